import type { ClientCore } from './core';
import { messageCall } from './message-errors';
import { templateBody, unseenParts, type TemplateMessage } from './template';

/** The template answer's 64-bit field. */
const MSGID: ReadonlySet<string> = new Set(['msgid']);

/** Template messages (模板消息) of an official account. */
export interface TemplateApi {
  /**
   * Send a template message; resolves with WeChat's `msgid`, a 64-bit integer in decimal
   * (`'271781022721654784'`): a string, because a number would round it. Typed keys (`thing1`,
   * `time2`, …) are checked against WeChat's value rules first (`args_error` naming the key);
   * `not_subscribed` (43004): the user does not follow the account.
   */
  sendTemplate(message: TemplateMessage, appid?: string): Promise<{ msgid: string }>;
}

export function templateApi(core: ClientCore): TemplateApi {
  /** Templates already warned about (at most 256: ids come from the caller). */
  const warned = new Set<string>();
  return {
    async sendTemplate(message, appid) {
      const body = templateBody(message);
      const unseen = unseenParts(message.data);
      // WeChat accepts `first`, `remark` and colours and shows none of them (since 2023-05-04):
      // sent as given, so older code keeps working, with a word in the log once per template.
      if (unseen.length && !warned.has(message.templateId) && warned.size < 256) {
        warned.add(message.templateId);
        core.ctx.logger.warn('template message: WeChat shows no first, remark or colours since 2023-05-04 (category templates); they are sent but not shown', { fields: unseen.join(', ') });
      }
      // WeChat's -1 means "busy, not processed": the client retries it with backoff (idempotent).
      const answer = await messageCall(() => core.post(core.appidOf(appid), '/cgi-bin/message/template/send', body, { errorCode: 'wechat_error', idempotent: true, int64Fields: MSGID }));
      // A 64-bit id: kept as its digits (a number would round it past 2^53).
      const { msgid } = answer;
      return { msgid: typeof msgid === 'string' || typeof msgid === 'number' ? String(msgid) : '' };
    },
  };
}
