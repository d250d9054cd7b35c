import type { ClientCore } from './core';
import { templateBody } from './template';
import type { TemplateMessage } from './types';

/** The template answer's 64-bit field. */
const MSGID: ReadonlySet<string> = new Set(['msgid']);

/** Template messages (模板消息) of an official account. */
export interface TemplateApi {
  /**
   * Send a template message; resolves with WeChat's `msgid`, a 64-bit integer in decimal
   * (`'271781022721654784'`): a string, because a number would round it.
   */
  sendTemplate(message: TemplateMessage, appid?: string): Promise<{ msgid: string }>;
}

export function templateApi(core: ClientCore): TemplateApi {
  return {
    async sendTemplate(message, appid) {
      const body = templateBody(message);
      // WeChat's -1 means "busy, not processed": the client retries it with backoff (idempotent).
      const answer = await core.post(core.appidOf(appid), '/cgi-bin/message/template/send', body, { errorCode: 'wechat_error', idempotent: true, int64Fields: MSGID });
      // A 64-bit id: kept as its digits (a number would round it past 2^53).
      const { msgid } = answer;
      return { msgid: typeof msgid === 'string' || typeof msgid === 'number' ? String(msgid) : '' };
    },
  };
}
