import { phoneError, phoneNumberOf, phoneRequestBody, type PhoneNumber } from '../miniprogram/phone';
import type { ClientCore } from './core';

/** The mini program's phone number by code (手机号快速验证). */
export interface PhoneApi {
  /**
   * Exchange the code of `<button open-type="getPhoneNumber">` (`e.detail.code`) for the user's
   * phone number, through `wxa/business/getuserphonenumber` with the mini program's basic token
   * (default app: the configured `miniprogram`). The code works once, for 5 minutes.
   *
   * Fails with `phone_code_invalid` (400, errcode 40029: tap again), `phone_quota_exhausted`
   * (503, errcode 1400001: the paid component's quota is used up), `decrypt_error` when the
   * answer's watermark names another app, `args_error` for an empty code before any call.
   */
  getPhoneNumber(code: string, appid?: string): Promise<PhoneNumber>;
}

export function phoneApi(core: ClientCore): PhoneApi {
  return {
    async getPhoneNumber(code, appid) {
      const body = phoneRequestBody(code);
      const id = core.miniprogramAppidOf(appid);
      let answer;
      try {
        // Never resent on "busy" (-1): the code is single-use, a second try would only answer 40029.
        answer = await core.post(id, '/wxa/business/getuserphonenumber', body, { errorCode: 'wechat_error', idempotent: false });
      } catch (error) {
        throw phoneError(error);
      }
      return phoneNumberOf(answer, id);
    },
  };
}
