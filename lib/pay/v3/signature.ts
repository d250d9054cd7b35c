import { WxPayError } from '../../errors';
import { signPayV3, verifyPayV3 } from './crypto';
import type { PayV3Keys } from './options';

/** WeChat refuses (and we refuse) a signature whose timestamp is this far from now, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

const NEWLINE = Buffer.from('\n');

/** The `Authorization` scheme of every v3 request. */
export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** Header values, looked up case-insensitively (Node lower-cases; AxiosHeaders and plain objects vary). */
export type HeaderBag = Record<string, unknown> | { get(name: string): unknown };

export function headerOf(headers: HeaderBag | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  let value: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function') value = (headers as { get(name: string): unknown }).get(lower);
  else {
    const bag = headers as Record<string, unknown>;
    value = bag[lower] ?? bag[name];
    if (value === undefined) {
      for (const key of Object.keys(bag)) if (key.toLowerCase() === lower) value = bag[key];
    }
  }
  if (Array.isArray(value)) value = value[0];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/**
 * The `Authorization` header for a request: RSA-SHA256 over
 * `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n` (canonical URL = path + query as sent, an
 * empty body an empty line).
 */
export function authorization(keys: PayV3Keys, mchid: string, method: string, canonicalUrl: string, body: string, timestamp: string, nonce: string): string {
  const signature = signPayV3(`${method}\n${canonicalUrl}\n${timestamp}\n${nonce}\n${body}\n`, keys.privateKey);
  return `${AUTH_SCHEME} mchid="${mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${keys.serialNo}"`;
}

/** What a signature check needs from an answer or a notify. */
export interface SignedMessage {
  headers: HeaderBag | undefined;
  /** The raw body, exactly as received (the bytes are what WeChat signed). */
  body: string | Buffer;
}

/** Why a signature check failed; no key, signature or body in it. */
export type SignatureProblem = 'missing headers' | 'unknown serial' | 'stale timestamp' | 'bad signature';

/**
 * Check WeChat Pay's signature of an answer or notify: `Wechatpay-Timestamp`, `-Nonce`,
 * `-Signature` over `TIMESTAMP\nNONCE\nBODY\n`, under the key `Wechatpay-Serial` names
 * (`PUB_KEY_ID_…` → the public key, else the platform certificate of that serial). An unknown
 * serial, a timestamp ≥ 300 s away from `nowMs` (past or future) and a wrong signature — WeChat
 * sends deliberate probe signatures — all fail. Returns the problem, or undefined when it verifies.
 */
export function checkSignature(keys: PayV3Keys, message: SignedMessage, nowMs: number): SignatureProblem | undefined {
  const timestamp = headerOf(message.headers, 'Wechatpay-Timestamp');
  const nonce = headerOf(message.headers, 'Wechatpay-Nonce');
  const signature = headerOf(message.headers, 'Wechatpay-Signature');
  const serial = headerOf(message.headers, 'Wechatpay-Serial');
  if (!timestamp || !nonce || !signature || !serial) return 'missing headers';
  const key = keys.verifiers.get(serial.startsWith('PUB_KEY_ID_') ? serial : serial.toUpperCase());
  if (!key) return 'unknown serial';
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) >= MAX_CLOCK_SKEW_SECONDS) return 'stale timestamp';
  const signed =
    typeof message.body === 'string'
      ? `${timestamp}\n${nonce}\n${message.body}\n`
      : Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), message.body, NEWLINE]);
  if (!verifyPayV3(signed, signature, key)) return 'bad signature';
  return undefined;
}

/** Whether an answer carries WeChat Pay's signature headers at all. */
export function hasSignature(headers: HeaderBag | undefined): boolean {
  return !!headerOf(headers, 'Wechatpay-Signature');
}

/** `checkSignature` that throws `sign_error` (502: the answer cannot be trusted). */
export function assertSigned(keys: PayV3Keys, message: SignedMessage, nowMs: number, what: string): void {
  const problem = checkSignature(keys, message, nowMs);
  if (problem) throw new WxPayError('sign_error', `WeChat Pay's answer to ${what} does not verify (${problem})`, { status: 502 });
}
