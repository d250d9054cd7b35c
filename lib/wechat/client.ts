import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosError, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { WxAuthError, type ErrorCode } from '../errors';
import { BUSY_ERRCODES, errcodeToError } from './errcodes';
import { resolveEndpoints, type Endpoints } from './endpoints';
import { APP_SECRET_FIELDS, scrubText, secretForms, secretValuesOf } from './scrub';
import { parseJsonWithIds } from './json-ids';
import { nodeHttpAdapter } from './transport';

export interface WechatClientOptions {
  endpoints?: Partial<Endpoints>;
  /**
   * Per-request timeout in ms. Default 5000 — also with your own `axios` instance, unless that
   * instance sets a `timeout` of its own (then it wins, unless this option is given).
   */
  timeoutMs?: number;
  /**
   * Your own axios instance (proxies, interceptors). Any instance works, `axios.create()` with its
   * defaults included: the answer may arrive as text, a Buffer / ArrayBuffer or parsed JSON.
   * Default: one keep-alive instance.
   */
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
  /**
   * Fields whose integer values are 64-bit ids (a template message's `msgid`): read from the raw
   * text as exact decimal strings, never through a double. Such a call turns off any axios
   * instance's `transformResponse` (a user's own too), which would parse the answer first.
   */
  int64Fields?: ReadonlySet<string>;
}

/** The bytes of a binary answer (`apiPostBinary`) and the Content-Type they came with. */
export interface BinaryAnswer {
  bytes: Buffer;
  contentType: string;
}

/** A JSON body from WeChat's API host: any fields, maybe an errcode. */
export type WechatJson = Record<string, unknown> & { errcode?: number; errmsg?: string };

const sleepDefault = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const DEFAULT_TIMEOUT_MS = 5000;
/** App secrets remembered for scrubbing later answers (one per configured app; a bound, not a cache). */
const MAX_KNOWN_SECRETS = 64;

/** Cap on an answer's size: WeChat's are a few hundred bytes; a proxy's error page is not a reason to buffer megabytes. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * One shared keep-alive axios instance: connections to WeChat are reused across requests, and
 * the wire step is `nodeHttpAdapter` (a third of axios's own adapter's CPU per call).
 */
export function createKeepAliveAxios(timeoutMs = DEFAULT_TIMEOUT_MS): AxiosInstance {
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
  /** Settings a user's instance may lack, sent with each request (empty for our own instance). */
  private readonly perRequest: AxiosRequestConfig;
  /** App secrets sent so far: masked in every later answer too (an upstream may echo an earlier request). */
  private readonly knownSecrets = new Set<string>();

  constructor(options: WechatClientOptions = {}) {
    this.endpoints = resolveEndpoints(options.endpoints);
    this.axios = options.axios ?? createKeepAliveAxios(options.timeoutMs);
    this.perRequest = options.axios ? perRequestDefaults(options.axios, options.timeoutMs) : {};
    this.busyRetries = options.busyRetries ?? 2;
    this.backoffMs = options.backoffMs ?? 200;
    this.sleep = options.sleep ?? sleepDefault;
  }

  /** GET `api` host `path` with query `params`; resolves with the body when errcode is 0/absent. */
  apiGet<T extends WechatJson = WechatJson>(path: string, params: Record<string, string>, options: CallOptions = {}): Promise<T> {
    return this.callJson<T>({ method: 'GET', url: this.endpoints.api + path, params, ...rawText(options) }, params, undefined, options);
  }

  /** POST JSON to the `api` host. */
  apiPost<T extends WechatJson = WechatJson>(
    path: string,
    params: Record<string, string>,
    body: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    return this.callJson<T>(
      { method: 'POST', url: this.endpoints.api + path, params, data: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, ...rawText(options) },
      params,
      body,
      options,
    );
  }

  /**
   * POST JSON to the `api` host for an answer that is bytes on success (a mini-program code
   * image) and WeChat's JSON error otherwise, both with HTTP 200. The bytes are returned only when
   * the Content-Type AND the body agree (`isBinary`): a JSON error is never handed out as an
   * image, whatever its label says. An errcode becomes a `WxAuthError` as in `apiPost`.
   */
  async apiPostBinary(
    path: string,
    params: Record<string, string>,
    body: unknown,
    isBinary: (bytes: Buffer, contentType: string) => boolean,
    options: CallOptions = {},
  ): Promise<BinaryAnswer> {
    const config: AxiosRequestConfig = {
      method: 'POST',
      url: this.endpoints.api + path,
      params,
      data: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
      responseType: 'arraybuffer',
      // A user's instance may parse JSON first: keep the bytes as they came.
      transformResponse: [(data: unknown) => data],
    };
    this.remember(params, body);
    const fallback = options.errorCode ?? 'wechat_error';
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(config);
      const bytes = asBytes(response.data) ?? Buffer.from(typeof response.data === 'string' ? response.data : '', 'utf8');
      const contentType = headerText(response.headers, 'content-type');
      if (isBinary(bytes, contentType)) return { bytes, contentType };
      // Not the image: WeChat's JSON error (or something that is not WeChat's API at all).
      const answer = jsonBody(bytes);
      const errcode = typeof answer.errcode === 'number' ? answer.errcode : Number(answer.errcode ?? 0);
      if (!errcode) throw new WxAuthError('network_error', 'WeChat answered neither the image nor an error', { status: 502 });
      if (BUSY_ERRCODES.has(errcode) && options.idempotent && attempt < this.busyRetries) {
        await this.sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      const errmsg = typeof answer.errmsg === 'string' ? this.scrub(answer.errmsg, params, body) : undefined;
      throw errcodeToError(errcode, errmsg, fallback);
    }
  }

  /**
   * Send and return the raw text body (status < 400). The Pay client uses this for XML, with its
   * own `httpsAgent` when a merchant certificate is needed.
   */
  async requestText(config: AxiosRequestConfig): Promise<string> {
    const data = await this.request(config);
    if (typeof data === 'string') return data;
    const bytes = asBytes(data);
    if (bytes) return bytes.toString('utf8');
    // A user's transformResponse turned it into something else (parsed JSON, most likely).
    return data === undefined || data === null ? '' : isJsonObject(data) || Array.isArray(data) ? JSON.stringify(data) : String(data);
  }

  /** Send; the answer's `data` as the instance delivered it (status < 400). */
  private async request(config: AxiosRequestConfig): Promise<unknown> {
    return (await this.send(config)).data;
  }

  /** Send; the whole answer (status < 400), transport failures as a `WxAuthError`. */
  private async send(config: AxiosRequestConfig): Promise<AxiosResponse<unknown>> {
    let response;
    try {
      response = await this.axios.request<unknown>({ ...this.perRequest, ...config });
    } catch (error) {
      // A user's instance with axios's default validateStatus rejects 4xx/5xx: the same error as ours.
      const status = (error as AxiosError | undefined)?.response?.status;
      if (axios.isAxiosError(error) && typeof status === 'number' && status >= 400) throw httpStatusError(status);
      throw networkError(error);
    }
    if (response.status >= 400) throw httpStatusError(response.status);
    return response;
  }

  private async callJson<T extends WechatJson>(config: AxiosRequestConfig, params: Record<string, string>, sent: unknown, options: CallOptions): Promise<T> {
    this.remember(params, sent);
    const fallback = options.errorCode ?? 'wechat_error';
    for (let attempt = 0; ; attempt++) {
      const body = jsonBody(await this.request(config), options.int64Fields);
      const errcode = typeof body.errcode === 'number' ? body.errcode : Number(body.errcode ?? 0);
      if (!errcode) return body as T;
      if (BUSY_ERRCODES.has(errcode) && options.idempotent && attempt < this.busyRetries) {
        await this.sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      const errmsg = typeof body.errmsg === 'string' ? this.scrub(body.errmsg, params, sent) : undefined;
      throw errcodeToError(errcode, errmsg, fallback);
    }
  }

  /** Keep the app secrets a request carries, to mask them in later answers as well. */
  private remember(params: Record<string, string>, sent: unknown): void {
    for (const source of [params, sent]) {
      if (!source || typeof source !== 'object') continue;
      for (const field of APP_SECRET_FIELDS) {
        const value = (source as Record<string, unknown>)[field];
        if (typeof value !== 'string' || !value || this.knownSecrets.has(value)) continue;
        if (this.knownSecrets.size >= MAX_KNOWN_SECRETS) this.knownSecrets.delete(this.knownSecrets.values().next().value!);
        this.knownSecrets.add(value);
      }
    }
  }

  /** `text` from an answer without anything secret this request (or an earlier one) sent. */
  private scrub(text: string, params: Record<string, string>, sent: unknown): string {
    const values = secretValuesOf(params);
    secretValuesOf(sent, undefined, values);
    return scrubText(text, secretForms([...values, ...this.knownSecrets]));
  }
}

/** No `transformResponse` for a call that reads 64-bit ids: the answer must reach us unparsed. */
function rawText(options: CallOptions): AxiosRequestConfig {
  return options.int64Fields?.size ? { transformResponse: [(data: unknown) => data] } : {};
}

function httpStatusError(status: number): WxAuthError {
  return new WxAuthError('network_error', `WeChat answered HTTP ${status}`, { status: 502 });
}

/**
 * Per-request settings for a user's axios instance: our timeout when the instance has none (or
 * `timeoutMs` was given), and our cap on an answer's size when the instance has none.
 */
function perRequestDefaults(instance: AxiosInstance, timeoutMs: number | undefined): AxiosRequestConfig {
  const defaults = instance.defaults ?? {};
  const config: AxiosRequestConfig = {};
  if (timeoutMs !== undefined || !defaults.timeout) config.timeout = timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (defaults.maxContentLength === undefined || defaults.maxContentLength < 0) config.maxContentLength = MAX_ANSWER_BYTES;
  return config;
}

/** A Buffer view of binary `data` (`responseType: 'arraybuffer'`, a typed array), else undefined. */
function asBytes(data: unknown): Buffer | undefined {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** One header as text ('' when absent), from axios's headers object or a plain record. */
function headerText(headers: unknown, name: string): string {
  if (!headers || typeof headers !== 'object') return '';
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  const value = typeof h.get === 'function' ? h.get(name) : (h[name] ?? h[name.toLowerCase()]);
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0] ?? '') : '';
}

function isJsonObject(value: unknown): value is WechatJson {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  // A plain object, from this realm or another (no class instance: a stream, a Blob).
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The JSON object of an answer, however the axios instance delivered it: text (our instance, or
 * `responseType: 'text'`; WeChat labels much of it `text/plain`), bytes, or already parsed by
 * axios's default `transformResponse` (plain `JSON.parse` either way, so the values are the same).
 * `int64Fields` are read from the text as strings; from an already parsed answer (a user's
 * interceptor) they can only be turned into strings as they are.
 */
function jsonBody(data: unknown, int64Fields?: ReadonlySet<string>): WechatJson {
  if (isJsonObject(data)) {
    if (!int64Fields?.size) return data;
    const copy: WechatJson = { ...data };
    for (const field of int64Fields) if (typeof copy[field] === 'number') copy[field] = String(copy[field]);
    return copy;
  }
  if (typeof data === 'string') return parseJson(data, int64Fields);
  const bytes = asBytes(data);
  return parseJson(bytes ? bytes.toString('utf8') : '', int64Fields);
}

function parseJson(text: string, int64Fields: ReadonlySet<string> = NO_FIELDS): WechatJson {
  try {
    const value: unknown = parseJsonWithIds(text, int64Fields);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as WechatJson;
  } catch {
    // fall through: not JSON (an HTML error page from a proxy, a truncated body)
  }
  throw new WxAuthError('network_error', 'WeChat answered with something that is not its JSON API', { status: 502 });
}

const NO_FIELDS: ReadonlySet<string> = new Set();

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
