import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { WxAuthError } from '../errors';

/** Input of `decryptMiniProgramData`: everything is as WeChat / `wx.getUserInfo` hands it over (base64). */
export interface MiniProgramEncrypted {
  /** The user's `session_key` from `jscode2session` (base64 of 16 bytes). Server-side only. */
  sessionKey: string;
  /** `encryptedData` from the mini program (base64). */
  encryptedData: string;
  /** `iv` from the mini program (base64 of 16 bytes). */
  iv: string;
  /** Our mini program's AppID: the decrypted `watermark.appid` must equal it. */
  appid: string;
  /**
   * How old the data may be: `watermark.timestamp` (when WeChat encrypted it) at most this many
   * seconds ago. Default 600 (10 minutes). Data dated more than a minute ahead is refused too.
   */
  maxAgeSeconds?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

/** Default of `maxAgeSeconds`: open data is decrypted right after the user's tap, not days later. */
export const MINIPROGRAM_DATA_MAX_AGE_SECONDS = 600;
/** How far ahead of our clock a watermark may be (clock skew between WeChat and us). */
const FUTURE_SKEW_SECONDS = 60;

/** Decrypted open data: `openId`, `unionId`, `nickName`, `phoneNumber`… plus `watermark`. */
export type MiniProgramData = Record<string, unknown> & { watermark: { appid: string; timestamp: number } };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decrypt mini-program open data (`wx.getUserInfo`, `getPhoneNumber`, share tickets…):
 * AES-128-CBC, key = base64(session_key), iv = base64(iv), PKCS#7 padding; then check that
 * `watermark.appid` is ours, so data encrypted for another mini program is refused, and that
 * `watermark.timestamp` is recent (`maxAgeSeconds`), so old data cannot be replayed.
 *
 * What the encryption does NOT prove: AES-CBC has no integrity, and the IV comes from the caller.
 * The first plaintext block is `decrypt(C1) XOR iv`, so whoever sends the request — the user, who
 * holds `encryptedData` and picks `iv` — can rewrite the first 16 bytes of the JSON at will
 * (`{"openId":"oGZUI…` → `{"openId":"XXXXX…`, or rename the first field) and it still decrypts with
 * valid padding. Changing later blocks garbles the block before, which then fails to parse. So the
 * data is only as trustworthy as these checks: the watermark (at the end, out of reach) binds it
 * to our appid and to a time; the session_key binds it to one user, and the caller must check
 * that an `openId` in it is the session's own openid (our router does). Never trust a field that
 * starts in the first 16 bytes more than that.
 *
 * Every failure — bad base64, wrong key size, bad padding, not JSON, foreign or stale watermark —
 * is the same `decrypt_error` with the same message: telling them apart would hand an attacker a
 * padding oracle.
 */
export function decryptMiniProgramData(input: MiniProgramEncrypted): MiniProgramData {
  const maxAge = input.maxAgeSeconds ?? MINIPROGRAM_DATA_MAX_AGE_SECONDS;
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge <= 0) {
    throw new WxAuthError('config_error', '"maxAgeSeconds" must be a number of seconds > 0', { field: 'maxAgeSeconds' });
  }
  const key = decodeExact(input.sessionKey, 16);
  const iv = decodeExact(input.iv, 16);
  const data = decode(input.encryptedData);
  if (!key || !iv || !data || data.length === 0 || data.length % 16 !== 0) throw decryptError();
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, iv); // autoPadding checks PKCS#7
    plain = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    throw decryptError();
  }
  let value: unknown;
  try {
    value = JSON.parse(plain);
  } catch {
    throw decryptError();
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw decryptError();
  const watermark = (value as { watermark?: { appid?: unknown; timestamp?: unknown } }).watermark;
  if (!watermark || typeof watermark !== 'object' || typeof watermark.appid !== 'string' || !sameText(watermark.appid, input.appid)) {
    throw decryptError();
  }
  // Seconds since the epoch, when WeChat encrypted the data; missing or not a number fails closed.
  const timestamp = watermark.timestamp;
  const nowSeconds = (input.now ?? Date.now)() / 1000;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < nowSeconds - maxAge || timestamp > nowSeconds + FUTURE_SKEW_SECONDS) {
    throw decryptError();
  }
  return value as MiniProgramData;
}

/**
 * Check `signature = sha1(rawData + session_key)` (hex) as `wx.getUserInfo` returns it, in
 * constant time. Returns false for anything malformed rather than throwing.
 */
export function checkRawDataSignature(rawData: string, sessionKey: string, signature: string): boolean {
  if (typeof rawData !== 'string' || typeof sessionKey !== 'string' || typeof signature !== 'string') return false;
  if (!/^[0-9a-fA-F]{40}$/.test(signature)) return false;
  const expected = createHash('sha1').update(rawData + sessionKey, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

function decode(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

function decodeExact(value: unknown, bytes: number): Buffer | undefined {
  const buffer = decode(value);
  return buffer && buffer.length === bytes ? buffer : undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function decryptError(): WxAuthError {
  return new WxAuthError('decrypt_error', 'the data could not be decrypted for this session and mini program');
}
