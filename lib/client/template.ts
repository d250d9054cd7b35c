import { WxAuthError } from '../errors';
import type { TemplateMessage } from './types';

/** A template field: its text, or `{ value, color }` to colour that one field. */
export type TemplateField = string | number | { value: string | number; color?: string };

export interface TplDataOptions {
  /** Colour of every field that does not set its own, e.g. `#173177`. */
  color?: string;
}

const COLOR = /^#[0-9a-fA-F]{6}$/;

/**
 * Build a template message's `data` from plain values (chiki's WeRobot `tpl_data`):
 * `tplData({ first: 'Order paid', keyword1: 'A123', keyword2: '¥12.00', remark: 'Thanks' }, { color: '#173177' })`
 * → `{ first: { value: 'Order paid', color: '#173177' }, … }`. Fields left `undefined` are skipped.
 */
export function tplData(fields: Record<string, TemplateField | undefined>, options: TplDataOptions = {}): TemplateMessage['data'] {
  if (options.color !== undefined && !COLOR.test(options.color)) {
    throw new WxAuthError('args_error', '"color" must be a hex colour such as "#173177"', { field: 'color' });
  }
  const data: TemplateMessage['data'] = {};
  for (const [key, field] of Object.entries(fields)) {
    if (field === undefined) continue;
    const own = typeof field === 'object' && field !== null ? field : { value: field };
    if (own.color !== undefined && !COLOR.test(own.color)) {
      throw new WxAuthError('args_error', `"${key}.color" must be a hex colour such as "#173177"`, { field: key });
    }
    const color = own.color ?? options.color;
    data[key] = color === undefined ? { value: String(own.value) } : { value: String(own.value), color };
  }
  return data;
}

/** Our camelCase message → the JSON body of `/cgi-bin/message/template/send`. */
export function templateBody(message: TemplateMessage): Record<string, unknown> {
  if (!message || typeof message.touser !== 'string' || !message.touser) {
    throw new WxAuthError('args_error', '"touser" must be the openid of the recipient', { field: 'touser' });
  }
  if (typeof message.templateId !== 'string' || !message.templateId) {
    throw new WxAuthError('args_error', '"templateId" must be the template id', { field: 'templateId' });
  }
  if (!message.data || typeof message.data !== 'object') {
    throw new WxAuthError('args_error', '"data" must map each template field to { value, color? } (see tplData)', { field: 'data' });
  }
  return {
    touser: message.touser,
    template_id: message.templateId,
    ...(message.url ? { url: message.url } : {}),
    ...(message.miniprogram ? { miniprogram: message.miniprogram } : {}),
    data: message.data,
  };
}
