import { WxAuthError } from '../errors';
import type { ClientCore } from './core';

/**
 * A customer-service message (客服消息), in WeChat's own wire format: `touser` and `msgtype`, and
 * the body under the key named by `msgtype`. It reaches a user who wrote to the account (or
 * clicked, followed, scanned) within the last 48 hours — the way to answer when a handler was
 * too slow for a passive reply.
 * https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
 */
export type CustomMessage = { touser: string; customservice?: { kf_account: string } } & (
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } }
  | { msgtype: 'voice'; voice: { media_id: string } }
  | { msgtype: 'video'; video: { media_id: string; thumb_media_id?: string; title?: string; description?: string } }
  | { msgtype: 'music'; music: { thumb_media_id: string; title?: string; description?: string; musicurl?: string; hqmusicurl?: string } }
  | { msgtype: 'news'; news: { articles: Array<{ title: string; description?: string; url?: string; picurl?: string }> } }
  | { msgtype: 'mpnewsarticle'; mpnewsarticle: { article_id: string } }
  | { msgtype: 'miniprogrampage'; miniprogrampage: { title: string; appid: string; pagepath: string; thumb_media_id: string } }
);

/** Customer-service messages of an official account. */
export interface CustomApi {
  /**
   * `POST /cgi-bin/message/custom/send`. WeChat answers 45015 when the user has not interacted
   * within 48 hours, 40003 for an openid that is not the account's (kept as `errcode` on a
   * `wechat_error`).
   */
  sendCustomMessage(message: CustomMessage, appid?: string): Promise<void>;
}

const TYPES = new Set(['text', 'image', 'voice', 'video', 'music', 'news', 'mpnewsarticle', 'miniprogrampage']);

export function customApi(core: ClientCore): CustomApi {
  return {
    async sendCustomMessage(message, appid) {
      // Checked here, not left to WeChat: a refused call still counts against the daily quota.
      if (!message || typeof message.touser !== 'string' || !message.touser) throw new WxAuthError('args_error', '"touser" must be the openid of the recipient', { field: 'touser' });
      if (!TYPES.has(message.msgtype)) throw new WxAuthError('args_error', `"msgtype" must be one of ${[...TYPES].join(', ')}`, { field: 'msgtype' });
      const body = (message as unknown as Record<string, unknown>)[message.msgtype];
      if (!body || typeof body !== 'object') throw new WxAuthError('args_error', `"${message.msgtype}" must hold the ${message.msgtype} message`, { field: message.msgtype });
      // Not idempotent: a retry after WeChat's -1 could deliver the message twice.
      await core.post(core.appidOf(appid), '/cgi-bin/message/custom/send', message, { errorCode: 'wechat_error' });
    },
  };
}
