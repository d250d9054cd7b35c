import { WxAuthError } from '../errors';
import { messageData, type MessageValue } from './message-values';

/** A template message (模板消息) of an official account, for `sendTemplate`. */
export interface TemplateMessage {
  /** The recipient's openid (for the app that sends). */
  touser: string;
  /** The template's id from the official account's template library. */
  templateId: string;
  /**
   * Each template key's value, WeChat's `{ key: { value } }`: `{ character_string1: { value: 'A-42' },
   * thing2: { value: 'Green tea' } }`; see `tplData`. Typed keys are checked against WeChat's value rules.
   */
  data: Record<string, { value: string; /** @deprecated WeChat shows no colours since 2023-05-04: sent, not shown. */ color?: string }>;
  /** Page opened when the user taps the message. */
  url?: string;
  /** Mini program page opened instead of `url` (when the user's WeChat supports it). */
  miniprogram?: { appid: string; pagepath?: string };
}

/** A template field: its text, a number, or WeChat's `{ value }`. */
export type TemplateField = MessageValue;

/**
 * Options of `tplData`. There are none left: WeChat dropped custom colours on 2023-05-04 (category
 * templates show every value in the same style), and `tplData` refuses a `color` with an
 * `args_error` saying so rather than letting it be sent and silently ignored.
 */
export interface TplDataOptions {
  /** @deprecated Refused: WeChat shows no custom colours since 2023-05-04. */
  color?: never;
}

/**
 * The keys of the old templates WeChat stopped showing on 2023-05-04: a category template has
 * only its typed keys (`thing1`, `time2`, …). WeChat still accepts them and drops them unseen.
 */
export const RETIRED_TEMPLATE_KEYS: ReadonlySet<string> = new Set(['first', 'remark']);

const NO_COLOURS = 'WeChat shows no custom colours in template messages since 2023-05-04 (category templates): leave colours out';

/**
 * Build a template message's `data` from plain values (chiki's WeRobot `tpl_data`):
 * `tplData({ character_string1: 'A-42', thing2: 'Green tea', amount3: '¥12.50' })` →
 * `{ character_string1: { value: 'A-42' }, … }`. Fields left `undefined` are skipped.
 *
 * Each typed key's value is checked against WeChat's rule for its type (`thing` ≤ 20 characters,
 * `amount` a currency sign and ≤ 10 digits, …): an `args_error` naming the field. `first` and
 * `remark` (shown by no template since 2023-05-04) and colours are refused with an `args_error`
 * that says why, so a message is never sent with text nobody will see.
 */
export function tplData(fields: Record<string, TemplateField | undefined>, options: TplDataOptions = {}): TemplateMessage['data'] {
  if ((options as { color?: unknown }).color !== undefined) throw new WxAuthError('args_error', `"color": ${NO_COLOURS}`, { field: 'color' });
  for (const [key, field] of Object.entries(fields ?? {})) {
    if (field === undefined) continue;
    if (RETIRED_TEMPLATE_KEYS.has(key)) {
      throw new WxAuthError('args_error', `"${key}": WeChat shows no "first" or "remark" since 2023-05-04 (category templates have only their typed keys, e.g. thing1, time2)`, { field: key });
    }
    if (typeof field === 'object' && field !== null && (field as { color?: unknown }).color !== undefined) {
      throw new WxAuthError('args_error', `"${key}.color": ${NO_COLOURS}`, { field: `${key}.color` });
    }
  }
  return messageData(fields, 'data');
}

/** Keys of `data` WeChat will not show: `first` / `remark`, and any field with a colour. */
export function unseenParts(data: TemplateMessage['data']): string[] {
  const unseen: string[] = [];
  for (const [key, field] of Object.entries(data)) {
    if (RETIRED_TEMPLATE_KEYS.has(key)) unseen.push(key);
    else if (field && typeof field === 'object' && 'color' in field && field.color !== undefined) unseen.push(`${key}.color`);
  }
  return unseen;
}

/** Our camelCase message → the JSON body of `/cgi-bin/message/template/send`; typed values checked. */
export function templateBody(message: TemplateMessage): Record<string, unknown> {
  if (!message || typeof message.touser !== 'string' || !message.touser) {
    throw new WxAuthError('args_error', '"touser" must be the openid of the recipient', { field: 'touser' });
  }
  if (typeof message.templateId !== 'string' || !message.templateId) {
    throw new WxAuthError('args_error', '"templateId" must be the template id', { field: 'templateId' });
  }
  if (!message.data || typeof message.data !== 'object') {
    throw new WxAuthError('args_error', '"data" must map each template key to { value } (see tplData)', { field: 'data' });
  }
  // Checked, but sent as given: a colour or `first` from older code reaches WeChat, which ignores it.
  messageData(message.data, 'data');
  return {
    touser: message.touser,
    template_id: message.templateId,
    ...(message.url ? { url: message.url } : {}),
    ...(message.miniprogram ? { miniprogram: message.miniprogram } : {}),
    data: message.data,
  };
}
