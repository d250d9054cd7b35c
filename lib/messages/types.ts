/**
 * The official account's messages and events as a handler sees them, and the passive replies it
 * may return. Field names are WeChat's in camelCase (`FromUserName` → `fromUserName`,
 * `Location_X` → `locationX`); `raw` keeps WeChat's own names and string values.
 * https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
 */

/** WeChat's fields as parsed: text values, nested elements as objects, repeated ones as arrays. */
export type RawMessage = Record<string, unknown>;

/** What every message and event carries. */
export interface MessageBase {
  /** The official account's original id (`gh_…`). */
  toUserName: string;
  /** The user's openid in this official account. */
  fromUserName: string;
  /** Seconds since the epoch, when WeChat received the message. */
  createTime: number;
  msgType: string;
  /** WeChat's fields under WeChat's names (`FromUserName`, `MsgId`, …). */
  raw: RawMessage;
  /** Any other field, camelCased. */
  [field: string]: unknown;
}

/** A user's message (not an event): it has a 64-bit `msgId`, kept as its digits. */
interface UserMessageBase extends MessageBase {
  msgId: string;
}

export interface TextMessage extends UserMessageBase {
  msgType: 'text';
  content: string;
}
export interface ImageMessage extends UserMessageBase {
  msgType: 'image';
  picUrl: string;
  mediaId: string;
}
export interface VoiceMessage extends UserMessageBase {
  msgType: 'voice';
  mediaId: string;
  /** `amr`, `speex`, … */
  format: string;
  /** Speech recognition, when the account has it on. */
  recognition?: string;
}
export interface VideoMessage extends UserMessageBase {
  msgType: 'video' | 'shortvideo';
  mediaId: string;
  thumbMediaId: string;
}
export interface LocationMessage extends UserMessageBase {
  msgType: 'location';
  /** Latitude. */
  locationX: number;
  /** Longitude. */
  locationY: number;
  scale: number;
  label: string;
}
export interface LinkMessage extends UserMessageBase {
  msgType: 'link';
  title: string;
  description: string;
  url: string;
}

/** Every user message type the server types; others arrive as `UserMessage` with their own `msgType`. */
export type IncomingMessage = TextMessage | ImageMessage | VoiceMessage | VideoMessage | LocationMessage | LinkMessage;

interface EventBase extends MessageBase {
  msgType: 'event';
  event: string;
}

/** Follow. From a parametric QR code: `eventKey` is `qrscene_<scene>` and `ticket` is set. */
export interface SubscribeEvent extends EventBase {
  event: 'subscribe';
  eventKey?: string;
  ticket?: string;
}
export interface UnsubscribeEvent extends EventBase {
  event: 'unsubscribe';
}
/** A follower scanned a parametric QR code: `eventKey` is the scene (no prefix). */
export interface ScanEvent extends EventBase {
  event: 'SCAN';
  eventKey: string;
  ticket: string;
}
/** Location reported on entering the conversation (when the account asks for it). */
export interface LocationEvent extends EventBase {
  event: 'LOCATION';
  latitude: number;
  longitude: number;
  precision: number;
}
/** A menu button of type `click`: `eventKey` is the button's key. */
export interface ClickEvent extends EventBase {
  event: 'CLICK';
  eventKey: string;
}
/** A menu button of type `view`: `eventKey` is the URL opened. */
export interface ViewEvent extends EventBase {
  event: 'VIEW';
  eventKey: string;
  menuId?: string;
}
/** The outcome of a template message: `status` is `success`, `failed:user block`, `failed: system failed`. */
export interface TemplateSendJobFinishEvent extends EventBase {
  event: 'TEMPLATESENDJOBFINISH';
  /** The template message's msgid (WeChat's `MsgID`), as its digits. */
  msgId: string;
  status: string;
}

/** One template in a subscribe-message event's list. */
export interface SubscribeMsgItem {
  templateId: string;
  /** `accept` or `reject` (popup / change events). */
  subscribeStatusString?: string;
  /** 1: the popup came from an H5 page, 2: from a mini program / account message (popup events). */
  popupScene?: string;
  /** The sent message's id (sent events). */
  msgId?: string;
  /** 0 on success (sent events). */
  errorCode?: string;
  /** `success`, `fail:user refuse`, … (sent events). */
  errorStatus?: string;
}
/** A user answered the subscribe-message popup. */
export interface SubscribeMsgPopupEvent extends EventBase {
  event: 'subscribe_msg_popup_event';
  list: SubscribeMsgItem[];
}
/** A user changed a subscription in the account's settings. */
export interface SubscribeMsgChangeEvent extends EventBase {
  event: 'subscribe_msg_change_event';
  list: SubscribeMsgItem[];
}
/** The outcome of subscribe messages sent with `message/subscribe/bizsend`. */
export interface SubscribeMsgSentEvent extends EventBase {
  event: 'subscribe_msg_sent_event';
  list: SubscribeMsgItem[];
}
/** The asynchronous verdict of a media check (`mediaCheckAsync`), matched by `traceId`. */
export interface MediaCheckEvent extends EventBase {
  event: 'wxa_media_check';
  appid: string;
  traceId: string;
  version: string;
  /** `{ suggest: 'pass' | 'review' | 'risky', label }`. */
  result: { suggest: string; label: string };
  /** The verdict of each strategy, as WeChat lists them. */
  detail: Array<Record<string, string>>;
  errcode?: number;
  errmsg?: string;
}

export type WechatEvent =
  | SubscribeEvent
  | UnsubscribeEvent
  | ScanEvent
  | LocationEvent
  | ClickEvent
  | ViewEvent
  | TemplateSendJobFinishEvent
  | SubscribeMsgPopupEvent
  | SubscribeMsgChangeEvent
  | SubscribeMsgSentEvent
  | MediaCheckEvent;

/** The event names the server types. Others can be handled too: `onEvent('MASSSENDJOBFINISH', …)`. */
export type EventType = WechatEvent['event'];

/** The event whose `event` is `T`; an untyped event for a name the server does not type. */
export type EventOf<T extends string> = T extends EventType ? Extract<WechatEvent, { event: T }> : EventBase & { event: T };

/** Any message or event, as a handler of `onMessage` / `onEvent('*')` gets it. */
export type AnyMessage = IncomingMessage | WechatEvent | (MessageBase & { msgType: string });

/** An article of a news reply. */
export interface NewsArticle {
  title: string;
  description?: string;
  /** Cover image URL (large 360×200, small 200×200). */
  picUrl?: string;
  /** Opened when the user taps the article. */
  url?: string;
}

/**
 * A passive reply (被动回复), sent back in the answer to WeChat's POST. A bare string is a text
 * reply. Return nothing for no reply (WeChat is then answered `success`).
 * https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
 */
export type Reply =
  | string
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'voice'; mediaId: string }
  | { type: 'video'; mediaId: string; title?: string; description?: string }
  | { type: 'music'; thumbMediaId: string; title?: string; description?: string; musicUrl?: string; hqMusicUrl?: string }
  | { type: 'news'; articles: NewsArticle[] }
  | { type: 'transfer_customer_service'; kfAccount?: string };

/**
 * A handler: return a reply, or nothing. Handlers run in the order they were registered, the
 * first that returns a reply ends the chain (so a later handler sees only what earlier ones let
 * through). A handler that takes longer than `replyTimeoutMs` gets no passive reply: WeChat is
 * answered `success` in time and the handler finishes on its own (send its answer with
 * `router.client.sendCustomMessage`).
 */
export type MessageHandler<M = AnyMessage> = (message: M) => Reply | void | undefined | Promise<Reply | void | undefined>;

/** `router.onMessage` / `router.onEvent`, shared by `createMessageServer` and `wxauth()`'s router. */
export interface MessageRegistry<Self> {
  /** Handle every user message (text, image, voice, video, location, link, …), not events. */
  onMessage(handler: MessageHandler<IncomingMessage | (MessageBase & { msgId: string })>): Self;
  /** Handle one event type (`subscribe`, `CLICK`, …), or `'*'` for every event. */
  onEvent<T extends string>(type: T, handler: MessageHandler<T extends '*' ? WechatEvent | EventBase : EventOf<T>>): Self;
}
