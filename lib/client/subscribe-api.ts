import { WxAuthError } from '../errors';
import type { ClientCore } from './core';
import { messageCall } from './message-errors';
import { messageData, type MessageValue } from './message-values';

/** Which version of the mini program a tap on the message opens. WeChat's default: `formal`. */
export type MiniprogramState = 'developer' | 'trial' | 'formal';
/** The language of the "进入小程序查看" link. WeChat's default: `zh_CN`. */
export type SubscribeLang = 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';

/** A mini program's subscribe message (订阅消息), after the user accepted `wx.requestSubscribeMessage`. */
export interface SubscribeMessage {
  /** The recipient's openid in the mini program. */
  touser: string;
  /** The template id (`priTmplId`) the user subscribed to. */
  templateId: string;
  /** The page a tap opens, with its query (`pages/order/detail?id=42`); no page: no tap target. */
  page?: string;
  /**
   * Each template key's value: `{ thing1: 'Green tea', amount2: '¥12.50' }` or WeChat's
   * `{ thing1: { value: 'Green tea' } }`. Each typed key (`thing1`, `time2`, …) is checked
   * against its type's rule before the call (see the value rules).
   */
  data: Record<string, MessageValue | undefined>;
  miniprogramState?: MiniprogramState;
  lang?: SubscribeLang;
}

/** An official account's subscribe notice (订阅通知), after the user accepted it (JSSDK `wx-open-subscribe`). */
export interface SubscribeNotice extends Omit<SubscribeMessage, 'miniprogramState' | 'lang'> {
  /** The recipient's openid in the official account. */
  touser: string;
  /** The page a tap opens: a web page URL, unless `miniprogram` is given. */
  page?: string;
  /** Open a mini program page instead of `page`. */
  miniprogram?: { appid: string; pagepath: string };
}

/** Subscribe messages (mini program) and subscribe notices (official account). */
export interface SubscribeApi {
  /**
   * Send a mini program subscribe message (`message/subscribe/send`), from the mini program
   * `appid` (default: the configured `miniprogram`). Resolves with WeChat's 64-bit `msgid` as
   * its digits. `not_subscribed` (errcode 43101): the user holds no subscription to the template.
   */
  sendSubscribe(message: SubscribeMessage, appid?: string): Promise<{ msgid: string }>;
  /**
   * Send an official account subscribe notice (`message/subscribe/bizsend`), from `appid`
   * (default: the default app). Same checks, errors and answer as `sendSubscribe`.
   */
  sendSubscribeNotice(notice: SubscribeNotice, appid?: string): Promise<{ msgid: string }>;
}

/** The answer's 64-bit field. */
const MSGID: ReadonlySet<string> = new Set(['msgid']);
const STATES: ReadonlySet<string> = new Set(['developer', 'trial', 'formal']);
const LANGS: ReadonlySet<string> = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);

function requireString(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || !value.trim()) throw new WxAuthError('args_error', `"${field}" must be ${what}`, { field });
  return value;
}

function optionalOneOf(value: unknown, field: string, allowed: ReadonlySet<string>): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.has(value)) {
    throw new WxAuthError('args_error', `"${field}" must be one of ${[...allowed].map((v) => `"${v}"`).join(', ')}`, { field });
  }
  return value;
}

/** The fields both sends share, in WeChat's names; every check done before any token is fetched. */
function commonBody(message: SubscribeMessage | SubscribeNotice): Record<string, unknown> {
  if (!message || typeof message !== 'object') throw new WxAuthError('args_error', 'the message must be an object', { field: 'message' });
  const touser = requireString(message.touser, 'touser', 'the openid of the recipient');
  const templateId = requireString(message.templateId, 'templateId', 'the template id the user subscribed to');
  const page = message.page === undefined ? undefined : requireString(message.page, 'page', 'a page path (pages/order/detail?id=42)');
  return { touser, template_id: templateId, ...(page !== undefined ? { page } : {}), data: messageData(message.data) };
}

/** A 64-bit msgid, kept as its digits (a number would round it past 2^53); empty when WeChat sent none. */
function msgidOf(answer: Record<string, unknown>): { msgid: string } {
  const { msgid } = answer;
  return { msgid: typeof msgid === 'string' || typeof msgid === 'number' ? String(msgid) : '' };
}

export function subscribeApi(core: ClientCore): SubscribeApi {
  return {
    async sendSubscribe(message, appid) {
      const body = commonBody(message);
      const state = optionalOneOf(message.miniprogramState, 'miniprogramState', STATES);
      const lang = optionalOneOf(message.lang, 'lang', LANGS);
      if (state) body.miniprogram_state = state;
      if (lang) body.lang = lang;
      const id = core.miniprogramAppidOf(appid);
      // -1 ("busy, not processed") is retried by the client: WeChat did not consume the subscription.
      const answer = await messageCall(() => core.post(id, '/cgi-bin/message/subscribe/send', body, { errorCode: 'wechat_error', idempotent: true, int64Fields: MSGID }));
      return msgidOf(answer);
    },

    async sendSubscribeNotice(notice, appid) {
      const body = commonBody(notice);
      const mp = notice.miniprogram;
      if (mp !== undefined) {
        if (!mp || typeof mp !== 'object') throw new WxAuthError('args_error', '"miniprogram" must be { appid, pagepath }', { field: 'miniprogram' });
        body.miniprogram = {
          appid: requireString(mp.appid, 'miniprogram.appid', 'the mini program appid'),
          pagepath: requireString(mp.pagepath, 'miniprogram.pagepath', 'a page path of the mini program'),
        };
      }
      const id = core.appidOf(appid);
      const answer = await messageCall(() => core.post(id, '/cgi-bin/message/subscribe/bizsend', body, { errorCode: 'wechat_error', idempotent: true, int64Fields: MSGID }));
      return msgidOf(answer);
    },
  };
}
