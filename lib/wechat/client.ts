import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { WxAuthError, type ErrorCode } from '../errors';
import { BUSY_ERRCODES, errcodeToError } from './errcodes';
import { resolveEndpoints, type Endpoints } from './endpoints';
import { nodeHttpAdapter } from './transport';

export interface WechatClientOptions {
  endpoints?: Partial<Endpoints>;
  /** Per-request timeout in ms. Default 5000. */
  timeoutMs?: number;
  /** Your own axios instance (proxies, interceptors). Default: one keep-alive instance. */
  axios?: AxiosInstance;
  /** Retries on errcode -1 (system busy), with exponential backoff. Default 2. */
  busyRetries?: number;
  /** Base backoff in ms. Default 200. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  /** Code of the error when WeChat answers an errcode (the step that failed). */
  errorCode?: ErrorCode;
  /**
   * Safe to send again on errcode -1? False for anything that consumes a one-time value
   * (an OAuth code, a js_code): re-sending a used code only turns "busy" into "code used".
   */
  idempotent?: boolean;
}

/** A JSON body from WeChat's API host: any fields, maybe an errcode. */
export type WechatJson = Record<string, unknown> & { errcode?: number; errmsg?: string };

const sleepDefault = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Cap on an answer's size: WeChat's are a few hundred bytes; a proxy's error page is not a reason to buffer megabytes. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * One shared keep-alive axios instance: connections to WeChat are reused across requests, and
 * the wire step is `nodeHttpAdapter` (a third of axios's own adapter's CPU per call).
 */
export function createKeepAliveAxios(timeoutMs = 5000): AxiosInstance {
  return axios.create({
    // Behind an outbound proxy named in the environment, axios's own adapter (which reads it).
    adapter: proxyFromEnvironment() ? 'http' : nodeHttpAdapter,
    timeout: timeoutMs,
    maxContentLength: MAX_ANSWER_BYTES,
    // keepAliveMsecs matches what axios sets on every socket, so the two don't each issue a
    // setsockopt per request (measured in bench/oauth.ts).
    httpAgent: new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 64 }),
    httpsAgent: new https.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 64 }),
    // We parse ourselves: WeChat sometimes sends JSON as text/plain, and an HTML error page
    // must become a clean error rather than a string where an object was expected.
    responseType: 'text',
    transformResponse: [(data) => data],
    validateStatus: () => true,
    maxRedirects: 0,
  });
}

/** HTTP(S)_PROXY in either case, as axios's own adapter reads it. */
function proxyFromEnvironment(): boolean {
  const env = process.env;
  return !!(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy);
}

/**
 * Calls to WeChat's JSON API host. Turns transport failures and errcodes into `WxAuthError`
 * without ever carrying the request URL (it holds the secret or code) into a message or cause.
 */
export class WechatClient {
  readonly endpoints: Endpoints;
  readonly axios: AxiosInstance;
  private readonly busyRetries: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: WechatClientOptions = {}) {
    this.endpoints = resolveEndpoints(options.endpoints);
    this.axios = options.axios ?? createKeepAliveAxios(options.timeoutMs);
    this.busyRetries = options.busyRetries ?? 2;
    this.backoffMs = options.backoffMs ?? 200;
    this.sleep = options.sleep ?? sleepDefault;
  }

  /** GET `api` host `path` with query `params`; resolves with the body when errcode is 0/absent. */
  apiGet<T extends WechatJson = WechatJson>(path: string, params: Record<string, string>, options: CallOptions = {}): Promise<T> {
    return this.callJson<T>({ method: 'GET', url: this.endpoints.api + path, params }, options);
  }

  /** POST JSON to the `api` host. */
  apiPost<T extends WechatJson = WechatJson>(
    path: string,
    params: Record<string, string>,
    body: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    return this.callJson<T>(
      { method: 'POST', url: this.endpoints.api + path, params, data: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
      options,
    );
  }

  /**
   * Send and return the raw text body (status < 400). The Pay client uses this for XML, with its
   * own `httpsAgent` when a merchant certificate is needed.
   */
  async requestText(config: AxiosRequestConfig): Promise<string> {
    let response;
    try {
      response = await this.axios.request<string>(config);
    } catch (error) {
      throw networkError(error);
    }
    if (response.status >= 400) {
      throw new WxAuthError('network_error', `WeChat answered HTTP ${response.status}`, { status: 502 });
    }
    return typeof response.data === 'string' ? response.data : String(response.data ?? '');
  }

  private async callJson<T extends WechatJson>(config: AxiosRequestConfig, options: CallOptions): Promise<T> {
    const fallback = options.errorCode ?? 'wechat_error';
    for (let attempt = 0; ; attempt++) {
      const body = parseJson(await this.requestText(config));
      const errcode = typeof body.errcode === 'number' ? body.errcode : Number(body.errcode ?? 0);
      if (!errcode) return body as T;
      if (BUSY_ERRCODES.has(errcode) && options.idempotent && attempt < this.busyRetries) {
        await this.sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      throw errcodeToError(errcode, typeof body.errmsg === 'string' ? body.errmsg : undefined, fallback);
    }
  }
}

function parseJson(text: string): WechatJson {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as WechatJson;
  } catch {
    // fall through: not JSON (an HTML error page from a proxy, a truncated body)
  }
  throw new WxAuthError('network_error', 'WeChat answered with something that is not its JSON API', { status: 502 });
}

/** An axios failure as a `WxAuthError` whose cause holds no URL, params or headers. */
export function networkError(error: unknown): WxAuthError {
  const e = error as { code?: string; message?: string };
  const timedOut = e?.code === 'ECONNABORTED' || e?.code === 'ETIMEDOUT' || /timeout/i.test(e?.message ?? '');
  const safe = new Error(timedOut ? 'timeout' : (e?.code ?? 'request failed'));
  return new WxAuthError('network_error', timedOut ? 'WeChat did not answer in time' : 'WeChat could not be reached', {
    status: timedOut ? 504 : 502,
    cause: safe,
  });
}
