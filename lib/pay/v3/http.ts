import type https from 'node:https';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import type { WxContext } from '../../context';
import { WxPayError } from '../../errors';
import { networkError } from '../../wechat/client';
import { PayV3Error } from './errors';
import type { PayV3Keys } from './options';
import { assertSigned, authorization, hasSignature, headerOf, type HeaderBag } from './signature';

/** Kept equal to package.json's version by test/pay/v3/http.test.ts. */
export const PACKAGE_VERSION = '0.1.0';
/** WeChat answers 400 "Http头缺少Accept或User-Agent" without one. */
export const USER_AGENT = `express-wxauth/${PACKAGE_VERSION} (WeChatPay-APIv3; node/${process.versions.node})`;

/** WeChat's v3 answers are a few KB; a bill download may be large and has its own cap. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** A day's trade bill of a very busy merchant is tens of MB. */
export const MAX_BILL_BYTES = 256 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5000;

export type JsonObject = Record<string, unknown>;

export interface V3Request {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the pay host, segments already encoded (see `seg`). */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: JsonObject;
  /** The body carries fields encrypted under `keys.encryptKey`: send its serial. */
  sensitive?: boolean;
}

/** A path segment, percent-encoded (the canonical URL is the path exactly as sent). */
export const seg = (value: string) => encodeURIComponent(value);

/** A copy without `undefined` / `null` values, deep: WeChat refuses `null` in v3 JSON. */
export function stripNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined && v !== null).map(stripNulls) as T;
  if (!value || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value as JsonObject)) if (v !== undefined && v !== null) out[k] = stripNulls(v);
  return out as T;
}

function bytesOf(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  // A user's transformResponse parsed it: the signed bytes are gone, so nothing can be verified.
  return Buffer.alloc(0);
}

/**
 * The signed-request half of WeChat Pay v3: sign each request (`Authorization`), send it on the
 * package's axios instance with the raw answer kept, verify every answer (an empty 204 too)
 * before anything in it is used, and turn error answers into `PayV3Error`. No retries: these
 * calls move money; each API has its own safe resend (the same out_trade_no / out_refund_no).
 */
export class PayV3Caller {
  constructor(
    private readonly ctx: WxContext,
    private readonly mchid: string,
    readonly keys: PayV3Keys,
    /** An agent trusting `pay.ca` (a test double's TLS listener); WeChat's host needs none. */
    private readonly httpsAgent?: https.Agent,
  ) {}

  get endpoint(): string {
    return this.ctx.http.endpoints.pay;
  }

  /** The canonical URL: path and query exactly as sent. */
  static canonical(path: string, query?: V3Request['query']): string {
    let qs = '';
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs += `${qs ? '&' : '?'}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
    return path + qs;
  }

  /** Send `request`; resolves with WeChat's verified JSON (`{}` for a 204). */
  async call<T extends JsonObject = JsonObject>(what: string, request: V3Request): Promise<T> {
    const canonical = PayV3Caller.canonical(request.path, request.query);
    const response = await this.send(request.method, this.endpoint + canonical, canonical, request.body, request.sensitive, MAX_ANSWER_BYTES);
    const raw = bytesOf(response.data);
    const headers = response.headers as HeaderBag;
    const requestId = headerOf(headers, 'Request-ID');
    if (response.status >= 200 && response.status < 300) {
      assertSigned(this.keys, { headers, body: raw }, this.ctx.now(), what);
      if (raw.length === 0) return {} as T;
      const parsed = parseObject(raw);
      if (!parsed) throw new PayV3Error('pay_error', `WeChat Pay answered ${what} with something that is not JSON`, { status: 502, ...(requestId ? { requestId } : {}) });
      return parsed as T;
    }
    throw this.errorOf(what, response.status, headers, raw, requestId);
  }

  /**
   * A signed GET of a bill's `download_url` (on the pay host). Its answer is the file, which
   * WeChat does not sign: the caller checks it against the signed `hash_value`.
   */
  async download(what: string, downloadUrl: string): Promise<Buffer> {
    const url = new URL(downloadUrl);
    const host = new URL(this.endpoint);
    // The signed request goes only to the pay host we were configured with, never elsewhere.
    if (url.origin !== host.origin) throw new PayV3Error('sign_error', `WeChat Pay's ${what} download_url is not on the pay host`, { status: 502 });
    const canonical = url.pathname + url.search;
    const response = await this.send('GET', this.endpoint + canonical, canonical, undefined, false, MAX_BILL_BYTES);
    const raw = bytesOf(response.data);
    if (response.status >= 200 && response.status < 300) return raw;
    const headers = response.headers as HeaderBag;
    throw this.errorOf(what, response.status, headers, raw, headerOf(headers, 'Request-ID'));
  }

  private async send(method: string, url: string, canonical: string, body: JsonObject | undefined, sensitive: boolean | undefined, maxBytes: number): Promise<AxiosResponse> {
    const text = body === undefined ? '' : JSON.stringify(stripNulls(body));
    const timestamp = String(Math.floor(this.ctx.now() / 1000));
    const nonce = this.ctx.randomHex(16);
    const headers: Record<string, string> = {
      Authorization: authorization(this.keys, this.mchid, method, canonical, text, timestamp, nonce),
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
    };
    if (text) headers['Content-Type'] = 'application/json';
    const serial = this.keys.publicKeyId ?? (sensitive ? this.keys.encryptSerial : undefined);
    if (serial) headers['Wechatpay-Serial'] = serial;
    const instance = this.ctx.http.axios;
    const config: AxiosRequestConfig = {
      method,
      url,
      headers,
      ...(text ? { data: text } : {}),
      // The exact bytes: what WeChat signed. No JSON parsing, no redirects, every status resolved.
      responseType: 'arraybuffer',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: maxBytes,
      ...(instance.defaults?.timeout ? {} : { timeout: DEFAULT_TIMEOUT_MS }),
      ...(this.httpsAgent ? { httpsAgent: this.httpsAgent } : {}),
    };
    try {
      return await instance.request(config);
    } catch (error) {
      throw networkError(error);
    }
  }

  private errorOf(what: string, status: number, headers: HeaderBag, raw: Buffer, requestId: string | undefined): WxPayError {
    const body = parseObject(raw);
    const code = typeof body?.code === 'string' ? body.code : undefined;
    const message = typeof body?.message === 'string' ? body.message : undefined;
    const base = { status: 502, httpStatus: status, ...(requestId ? { requestId } : {}) };
    if (!code) return new PayV3Error('network_error', `WeChat Pay answered ${what} with HTTP ${status}`, base);
    if (hasSignature(headers)) {
      // Signed error answers are WeChat's word (ORDERPAID, ORDER_NOT_EXIST, …) once they verify.
      assertSigned(this.keys, { headers, body: raw }, this.ctx.now(), what);
      return new PayV3Error(code, `WeChat Pay answered ${what} with ${code}`, { ...base, errcode: code, ...(message ? { errmsg: message } : {}), ...(body?.detail !== undefined ? { detail: body.detail } : {}) });
    }
    return new PayV3Error('pay_error', `WeChat Pay answered ${what} with HTTP ${status} (${code}, unsigned)`, { ...base, errcode: code, ...(message ? { errmsg: message } : {}) });
  }
}

function parseObject(raw: Buffer): JsonObject | undefined {
  if (!raw.length) return undefined;
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
