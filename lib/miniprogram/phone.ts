import { WxAuthError } from '../errors';
import { describeErrcode } from '../wechat/errcodes';

/**
 * The phone number of `wxa/business/getuserphonenumber` (the `<button open-type="getPhoneNumber">`
 * code flow, WeChat's recommended one since base library 2.21.2). The watermark is checked and
 * dropped: what is left is the number.
 */
export interface PhoneNumber {
  /** The number with its country code for numbers outside mainland China (`13800138000`, `+12025550123`). */
  phoneNumber: string;
  /** The number without country code (`13800138000`). */
  purePhoneNumber: string;
  /** The country calling code, as a string (`'86'`): WeChat documents a string and sends a number. */
  countryCode: string;
}

/**
 * The errcodes WeChat answers for a phone code that cannot be used: 40029 is every "invalid code"
 * (unknown, expired after 5 minutes, already used, or made for another mini program); 40163 is the
 * "code been used" some answers carry. The user must tap the button again for a new code.
 */
export const PHONE_CODE_ERRCODES: ReadonlySet<number> = new Set([40029, 40163]);
/**
 * The phone-number component is paid since 2023-08-28: 1400001 means the mini program's quota
 * (free allowance plus what was bought) is used up, for every user, until more is bought.
 */
export const PHONE_QUOTA_ERRCODE = 1400001;

/** A phone code longer than this is refused before the call (WeChat's are 64 hex characters). */
export const MAX_PHONE_CODE_LENGTH = 512;

/** The body getuserphonenumber is sent. */
export function phoneRequestBody(code: unknown): { code: string } {
  if (typeof code !== 'string' || !code.trim()) throw new WxAuthError('args_error', '"code" must be the non-empty code from the getPhoneNumber button', { field: 'code' });
  if (code.length > MAX_PHONE_CODE_LENGTH) throw new WxAuthError('args_error', `"code" must be at most ${MAX_PHONE_CODE_LENGTH} characters`, { field: 'code' });
  return { code: code.trim() };
}

/**
 * WeChat's answer as a `PhoneNumber`, once `phone_info.watermark.appid` is `appid`: a phone
 * number issued for another mini program (a code replayed across apps sharing a token source, a
 * misrouted answer) is refused with `decrypt_error`, as decrypted open data is.
 */
export function phoneNumberOf(answer: Record<string, unknown>, appid: string): PhoneNumber {
  const info = answer.phone_info;
  if (!info || typeof info !== 'object') throw new WxAuthError('wechat_error', 'WeChat answered getuserphonenumber without phone_info');
  const { phoneNumber, purePhoneNumber, countryCode, watermark } = info as Record<string, unknown>;
  const mark = watermark && typeof watermark === 'object' ? (watermark as Record<string, unknown>) : undefined;
  if (!mark || mark.appid !== appid) {
    throw new WxAuthError('decrypt_error', 'the phone number was not issued for this mini program (watermark.appid)');
  }
  if (typeof purePhoneNumber !== 'string' || !purePhoneNumber) throw new WxAuthError('wechat_error', 'WeChat answered getuserphonenumber without purePhoneNumber');
  const country = typeof countryCode === 'number' || typeof countryCode === 'string' ? String(countryCode) : '';
  return {
    phoneNumber: typeof phoneNumber === 'string' && phoneNumber ? phoneNumber : purePhoneNumber,
    purePhoneNumber,
    countryCode: country,
  };
}

/**
 * A failed getuserphonenumber as the error callers can act on: `phone_code_invalid` (400, ask the
 * user to tap the button again), `phone_quota_exhausted` (503, nothing the user can do: the mini
 * program's quota is used up), else the error as the client made it. WeChat's errcode stays on it.
 */
export function phoneError(error: unknown): unknown {
  if (!(error instanceof WxAuthError) || typeof error.errcode !== 'number') return error;
  const options = { errcode: error.errcode, ...(error.errmsg === undefined ? {} : { errmsg: error.errmsg }), cause: error };
  if (error.errcode === PHONE_QUOTA_ERRCODE) {
    return new WxAuthError('phone_quota_exhausted', `WeChat answered ${describeErrcode(error.errcode)}: buy more phone-number quota for the mini program`, options);
  }
  if (PHONE_CODE_ERRCODES.has(error.errcode)) {
    return new WxAuthError('phone_code_invalid', `WeChat answered ${describeErrcode(error.errcode)}: ask the user to tap the phone-number button again`, options);
  }
  return error;
}
