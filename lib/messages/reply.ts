import { WxAuthError } from '../errors';
import type { Reply } from './types';
import { buildXml, type XmlTree } from './xml';

/** What WeChat reads as "no reply" (an empty body works too; `success` is unambiguous). */
export const NO_REPLY = 'success';

/** WeChat shows at most 8 articles in a news reply (1 since 2018 for most accounts). */
const MAX_ARTICLES = 8;

/** Who the reply goes to (the message's sender) and from (the account), and when. */
export interface ReplyAddress {
  /** The user's openid: the message's `FromUserName`. */
  toUserName: string;
  /** The account's original id: the message's `ToUserName`. */
  fromUserName: string;
  /** Seconds since the epoch. */
  createTime: number;
}

/**
 * The passive reply XML for `reply`. Every text goes in CDATA, with `]]>` split so no value can
 * close its section. A reply that is not one of the typed shapes is refused with `args_error`
 * (the handler's bug, logged by the server; WeChat then gets `success`).
 * https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
 */
export function buildReplyXml(reply: Reply, to: ReplyAddress): string {
  const head: XmlTree = { ToUserName: to.toUserName, FromUserName: to.fromUserName, CreateTime: to.createTime };
  const r = typeof reply === 'string' ? { type: 'text' as const, content: reply } : reply;
  switch (r?.type) {
    case 'text':
      return buildXml({ ...head, MsgType: 'text', Content: text(r.content, 'content') });
    case 'image':
      return buildXml({ ...head, MsgType: 'image', Image: { MediaId: text(r.mediaId, 'mediaId') } });
    case 'voice':
      return buildXml({ ...head, MsgType: 'voice', Voice: { MediaId: text(r.mediaId, 'mediaId') } });
    case 'video':
      return buildXml({ ...head, MsgType: 'video', Video: { MediaId: text(r.mediaId, 'mediaId'), Title: optional(r.title, 'title'), Description: optional(r.description, 'description') } });
    case 'music':
      return buildXml({
        ...head,
        MsgType: 'music',
        Music: {
          Title: optional(r.title, 'title'),
          Description: optional(r.description, 'description'),
          MusicUrl: optional(r.musicUrl, 'musicUrl'),
          HQMusicUrl: optional(r.hqMusicUrl, 'hqMusicUrl'),
          ThumbMediaId: text(r.thumbMediaId, 'thumbMediaId'),
        },
      });
    case 'news': {
      if (!Array.isArray(r.articles) || !r.articles.length || r.articles.length > MAX_ARTICLES) {
        throw new WxAuthError('args_error', `a news reply needs 1 to ${MAX_ARTICLES} articles`);
      }
      const item = r.articles.map((a) => ({ Title: text(a.title, 'title'), Description: optional(a.description, 'description'), PicUrl: optional(a.picUrl, 'picUrl'), Url: optional(a.url, 'url') }));
      return buildXml({ ...head, MsgType: 'news', ArticleCount: item.length, Articles: { item } });
    }
    case 'transfer_customer_service':
      return buildXml({ ...head, MsgType: 'transfer_customer_service', ...(r.kfAccount ? { TransInfo: { KfAccount: text(r.kfAccount, 'kfAccount') } } : {}) });
    default:
      throw new WxAuthError('args_error', 'the handler returned a reply of no known type');
  }
}

/**
 * An optional field: a string or nothing. Anything else is refused, never serialised: the XML
 * builder turns an object's keys into element names, so an object here could add elements.
 */
function optional(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : text(value, field);
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new WxAuthError('args_error', `the reply's ${field} must be a string`);
  return value;
}
