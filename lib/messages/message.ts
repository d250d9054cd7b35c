import { WxAuthError } from '../errors';
import type { AnyMessage, RawMessage } from './types';

/** WeChat's fields that are numbers for us (everything else stays a string: ids are 64 bits). */
const NUMBERS = new Set(['createTime', 'locationX', 'locationY', 'scale', 'latitude', 'longitude', 'precision', 'errcode']);

/** Where a subscribe-message event keeps its list (`SubscribeMsgPopupEvent > List`). */
const LIST_HOLDERS = ['SubscribeMsgPopupEvent', 'SubscribeMsgChangeEvent', 'SubscribeMsgSentEvent'];

/** `FromUserName` → `fromUserName`, `Location_X` → `locationX`, `trace_id` → `traceId`, `MsgID` → `msgId`. */
export function camelKey(key: string): string {
  if (key === 'MsgID' || key === 'MsgId') return 'msgId';
  const parts = key.split('_').filter(Boolean);
  if (!parts.length) return key;
  const [first, ...rest] = parts;
  return first!.charAt(0).toLowerCase() + first!.slice(1) + rest.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

function camelTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelTree);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[camelKey(k)] = camelTree(v);
    return out;
  }
  return value;
}

/**
 * The handler's view of a parsed message: camelCase fields, numbers where WeChat sends numbers,
 * the subscribe-message events' `List` as `list`, and `raw` under WeChat's names. Refused with
 * `args_error` when a field every message has (`ToUserName`, `FromUserName`, `CreateTime`,
 * `MsgType`) is missing.
 */
export function toMessage(raw: RawMessage): AnyMessage {
  for (const field of ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType']) {
    if (typeof raw[field] !== 'string' || !raw[field]) throw new WxAuthError('args_error', `the message has no ${field}`);
  }
  if (!/^\d{1,12}$/.test(raw.CreateTime as string)) throw new WxAuthError('args_error', 'the message CreateTime is not a number');
  const message: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = camelKey(k);
    message[key] = NUMBERS.has(key) && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : camelTree(v);
  }
  for (const holder of LIST_HOLDERS) {
    const box = raw[holder];
    if (box && typeof box === 'object' && !Array.isArray(box)) {
      const list = (box as Record<string, unknown>).List;
      message.list = Array.isArray(list) ? list.map(camelTree) : [];
    }
  }
  if (message.event === 'wxa_media_check' && !Array.isArray(message.detail)) message.detail = message.detail === undefined ? [] : [message.detail];
  message.raw = raw;
  return message as AnyMessage;
}

/**
 * The key that identifies one message across WeChat's retries: `MsgId` for user messages,
 * `FromUserName` + `CreateTime` (+ the event name) for events, as WeChat's documentation
 * recommends (an event's `MsgID`, on job events, names the job, not the delivery).
 */
export function dedupeKey(message: AnyMessage): string {
  const raw = message.raw;
  const msgId = raw.MsgId ?? raw.MsgID;
  if (typeof msgId === 'string' && msgId && message.msgType !== 'event') return `id:${msgId}`;
  const event = typeof raw.Event === 'string' ? raw.Event : '';
  return `ev:${message.fromUserName}:${message.createTime}:${event}`;
}
