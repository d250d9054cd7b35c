import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { hexEqual, md5Hex } from '../hash';

/** The two v2 signature algorithms. `sign_type` in a request or notify names which one was used. */
export type PaySignType = 'MD5' | 'HMAC-SHA256';

/** Flat v2 parameters: what goes into (or comes out of) a `<xml>` message. */
export type PayParams = Record<string, string | number | undefined | null>;

/**
 * The string WeChat Pay v2 signs: non-empty parameters except `sign`, sorted by key (ASCII,
 * case-sensitive), `k=v` joined with `&`, then `&key=API_KEY`. Values are used as they are —
 * no URL-encoding (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3).
 */
export function stringToSign(params: PayParams, key: string): string {
  // Concatenation rather than push/join: fewer allocations on the notify path (bench/sign.ts).
  const keys = Object.keys(params).sort();
  let text = '';
  for (const k of keys) {
    const v = params[k];
    if (k === 'sign' || v === undefined || v === null || v === '') continue;
    text += `${k}=${v}&`;
  }
  return `${text}key=${key}`;
}

/**
 * The API key as a KeyObject, made once per key: `createHmac` with a string key imports it on
 * every call, a tenth of an HMAC's cost. Least recently used first out, so a platform signing
 * for many merchants keeps its busy keys and a rotated-out key is dropped in time.
 */
const hmacKeys = new Map<string, KeyObject>();
const MAX_HMAC_KEYS = 64;
function hmacKey(key: string): KeyObject {
  let keyObject = hmacKeys.get(key);
  if (keyObject) {
    if (hmacKeys.size > 1) {
      // Move to the young end (Map keeps insertion order).
      hmacKeys.delete(key);
      hmacKeys.set(key, keyObject);
    }
    return keyObject;
  }
  keyObject = createSecretKey(Buffer.from(key, 'utf8'));
  hmacKeys.set(key, keyObject);
  if (hmacKeys.size > MAX_HMAC_KEYS) hmacKeys.delete(hmacKeys.keys().next().value!);
  return keyObject;
}

/** Lower-case hex digest of the string to sign: MD5, or HMAC-SHA256 keyed with the API key. */
function hexDigest(params: PayParams, key: string, signType: PaySignType): string {
  const text = stringToSign(params, key);
  if (signType === 'HMAC-SHA256') return createHmac('sha256', hmacKey(key)).update(text, 'utf8').digest('hex');
  return md5Hex(text);
}

/** Sign v2 parameters with the API key: upper-case hex MD5, or HMAC-SHA256 keyed with the API key. */
export function signPay(params: PayParams, key: string, signType: PaySignType = 'MD5'): string {
  return hexDigest(params, key, signType).toUpperCase();
}

/**
 * Check `params.sign` in constant time with `signType` (default MD5, WeChat's default): the
 * algorithm is the merchant's choice, never the message's. A message whose own `sign_type` names
 * another algorithm is refused — otherwise an HMAC-SHA256 merchant would take MD5-signed messages
 * (a downgrade to the weaker algorithm, chosen by the sender).
 */
export function verifyPay(params: PayParams, key: string, signType: PaySignType = 'MD5'): boolean {
  const received = params.sign;
  if (typeof received !== 'string') return false;
  if (acceptedSignType(params, signType) === undefined) return false;
  return hexEqual(received, hexDigest(params, key, signType));
}

/**
 * `configured` when the message's `sign_type` is absent (WeChat leaves it out of answers) or
 * names `configured`; undefined when it names anything else. What we verify with.
 */
export function acceptedSignType(params: PayParams, configured: PaySignType): PaySignType | undefined {
  const t = params.sign_type;
  return t === undefined || t === null || t === '' || t === configured ? configured : undefined;
}

/**
 * The algorithm a request names: its own `sign_type` when present (undefined if unknown), else
 * `fallback`. For the pay host's side (the simulator), which, like WeChat, answers each request
 * the way it was signed; a merchant verifies with `acceptedSignType` instead.
 */
export function receivedSignType(params: PayParams, fallback: PaySignType): PaySignType | undefined {
  const t = params.sign_type;
  if (t === undefined || t === null || t === '') return fallback;
  return t === 'MD5' || t === 'HMAC-SHA256' ? t : undefined;
}
