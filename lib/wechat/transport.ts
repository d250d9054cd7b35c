import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import zlib from 'node:zlib';
import axios, {
  AxiosError,
  AxiosHeaders,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';

/**
 * An axios adapter that sends each request with one `node:http(s).request` on the config's
 * keep-alive agent.
 *
 * Why: axios's own Node adapter (follow-redirects, proxy lookup from the environment, stream
 * plumbing, decompression pipeline) spends ~3× the CPU of the request itself — about 110 µs per
 * call on loopback against 30 µs for `node:http` (bench/oauth.ts with BENCH_CPU_PROF). A login
 * makes one such call, so that was the gap to a peer on a keep-alive `urllib`. Axios stays the
 * API: interceptors, `axios.create` defaults and a user's own instance (the `axios` option)
 * all still apply; only the wire step is ours.
 *
 * What it deliberately does not do, because WeChat's hosts never need it (pass your own axios
 * instance when your network does): follow redirects, proxies, `auth`, `socketPath`, upload
 * streams or FormData. Bodies are strings or Buffers. A request that asks for one of those
 * options is refused (`ERR_BAD_OPTION_VALUE`) rather than sent without it; `createKeepAliveAxios`
 * keeps axios's own adapter when the environment names a proxy.
 */
export const nodeHttpAdapter: AxiosAdapter = (config) =>
  new Promise<AxiosResponse>((resolve, reject) => {
    const unsupported = UNSUPPORTED.find((option) => config[option] !== undefined && config[option] !== null && config[option] !== false);
    if (unsupported) {
      reject(new AxiosError(`nodeHttpAdapter does not support "${unsupported}": use axios's own adapter`, AxiosError.ERR_BAD_OPTION_VALUE, config));
      return;
    }
    let target: http.RequestOptions;
    try {
      target = targetOf(config);
    } catch (cause) {
      reject(AxiosError.from(cause, AxiosError.ERR_INVALID_URL, config));
      return;
    }
    const isHttps = target.protocol === 'https:';
    if (!isHttps && target.protocol !== 'http:') {
      reject(new AxiosError(`Unsupported protocol ${target.protocol}`, AxiosError.ERR_BAD_REQUEST, config));
      return;
    }
    const body = requestBody(config.data);
    const headers = (config.headers instanceof AxiosHeaders ? config.headers : AxiosHeaders.from(config.headers)).toJSON(true) as Record<string, string>;
    if (body) headers['Content-Length'] = String(body.length);
    // WeChat's answers are a few hundred bytes: ask for them uncompressed (less CPU than gunzip).
    headers['Accept-Encoding'] = 'identity';
    const agent = isHttps ? (config.httpsAgent as https.Agent | undefined) : (config.httpAgent as http.Agent | undefined);
    const send = isHttps ? https.request : http.request;

    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: AxiosError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      request.destroy();
      reject(error);
    };

    const request = send({ ...target, method: (config.method ?? 'get').toUpperCase(), headers, ...(agent ? { agent } : {}) }, (response) => {
      const limit = config.maxContentLength !== undefined && config.maxContentLength > -1 ? config.maxContentLength : Infinity;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          fail(new AxiosError(`maxContentLength size of ${limit} exceeded`, AxiosError.ERR_BAD_RESPONSE, config, request));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', (cause) => fail(AxiosError.from(cause, AxiosError.ERR_NETWORK, config, request)));
      response.on('end', () => {
        if (settled) return;
        let raw: Buffer;
        try {
          raw = decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), response.headers['content-encoding'], limit);
        } catch (cause) {
          fail(AxiosError.from(cause, AxiosError.ERR_BAD_RESPONSE, config, request));
          return;
        }
        settled = true;
        if (timer) clearTimeout(timer);
        const status = response.statusCode ?? 0;
        const result: AxiosResponse = {
          data: config.responseType === 'arraybuffer' ? raw : raw.toString('utf8'),
          status,
          statusText: response.statusMessage ?? '',
          headers: AxiosHeaders.from(response.headers as Record<string, string>),
          config,
          request,
        };
        if (!config.validateStatus || config.validateStatus(status)) resolve(result);
        else {
          const code = status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST;
          reject(new AxiosError(`Request failed with status code ${status}`, code, config, request, result));
        }
      });
    });

    request.on('error', (cause: NodeJS.ErrnoException) => fail(AxiosError.from(cause, cause.code, config, request)));

    // One deadline for the whole exchange (connect, send, a server that trickles its answer),
    // not only for an idle socket.
    if (config.timeout) {
      timer = setTimeout(
        () => fail(new AxiosError(`timeout of ${config.timeout}ms exceeded`, AxiosError.ECONNABORTED, config, request)),
        config.timeout,
      );
    }
    const onCancel = () => fail(new AxiosError('canceled', AxiosError.ERR_CANCELED, config, request));
    const signal = config.signal as AbortSignal | undefined;
    if (signal) {
      if (signal.aborted) onCancel();
      else request.once('close', onAbort(signal, onCancel));
    }
    // The deprecated CancelToken, still common in older code bases' interceptors.
    const token = config.cancelToken as CancelTokenLike | undefined;
    if (token) {
      if (token.reason) onCancel();
      else {
        token.subscribe(onCancel);
        request.once('close', () => token.unsubscribe(onCancel));
      }
    }
    request.end(body);
  });

/** A signal's one 'abort' listener and the cancel functions of the requests in flight on it. */
interface SignalWatch {
  cancels: Set<() => void>;
  listener: () => void;
}
const watched = new WeakMap<AbortSignal, SignalWatch>();

/**
 * Run `cancel` when `signal` aborts; returns the function that forgets it (call it once the
 * request is over).
 *
 * Why one listener per signal and not one per request: an app often shares one AbortSignal (a
 * shutdown controller's, an incoming request's) across many calls in flight. A listener each
 * makes Node warn past 10 (`MaxListenersExceededWarning: 11 abort listeners`) and holds a closure
 * per call on the signal. Here the first request on a signal adds the listener, an abort fans out
 * to every request still in flight on it, and the last one to finish removes it.
 */
function onAbort(signal: AbortSignal, cancel: () => void): () => void {
  let watch = watched.get(signal);
  if (!watch) {
    const cancels = new Set<() => void>();
    const listener = () => {
      watched.delete(signal);
      for (const c of [...cancels]) c();
    };
    watch = { cancels, listener };
    watched.set(signal, watch);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { cancels, listener } = watch;
  cancels.add(cancel);
  return () => {
    if (!cancels.delete(cancel) || cancels.size > 0) return;
    if (watched.get(signal)?.cancels === cancels) watched.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}

/** Options of axios's own adapter that this one cannot honour. */
const UNSUPPORTED = ['proxy', 'auth', 'socketPath'] as const;

interface CancelTokenLike {
  reason?: unknown;
  subscribe(listener: () => void): void;
  unsubscribe(listener: () => void): void;
}

/**
 * Where to send: `url` + `params` as `http.request` options. Flat params take a fast path: the
 * URL without them is parsed once and cached (WeChat's endpoints are a handful of strings) and
 * the query comes from `URLSearchParams` — the same values for any form-decoding server
 * (WeChat's included), though it percent-encodes a few characters axios leaves as they are
 * (`~!'():$,[]`). Anything else goes through `axios.getUri`.
 */
function targetOf(config: InternalAxiosRequestConfig): http.RequestOptions {
  const { params } = config;
  if (config.baseURL || config.paramsSerializer || (params !== undefined && params !== null && !isFlatRecord(params))) {
    return urlToHttpOptions(new URL(axios.getUri(config)));
  }
  const base = parsedBase(config.url ?? '');
  const query = params ? new URLSearchParams(params as Record<string, string>).toString() : '';
  if (!query) return base;
  return { ...base, path: `${base.path}${base.path.includes('?') ? '&' : '?'}${query}` };
}

type BaseTarget = http.RequestOptions & { path: string };
const parsedBases = new Map<string, BaseTarget>();
const MAX_PARSED_BASES = 256;

/** `url` as request options (no fragment), parsed once per distinct string. */
function parsedBase(url: string): BaseTarget {
  let target = parsedBases.get(url);
  if (!target) {
    const parsed = new URL(url); // throws on a malformed URL: the caller turns that into ERR_INVALID_URL
    target = { ...urlToHttpOptions(parsed), path: parsed.pathname + parsed.search };
    if (parsedBases.size >= MAX_PARSED_BASES) parsedBases.clear();
    parsedBases.set(url, target);
  }
  return target;
}

function isFlatRecord(value: unknown): value is Record<string, string | number | boolean> {
  if (!value || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const v of Object.values(value)) if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
  return true;
}

function requestBody(data: unknown): Buffer | undefined {
  if (data === undefined || data === null) return undefined;
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // axios's transformRequest has already turned objects into JSON strings; anything else is a caller bug.
  throw new AxiosError('nodeHttpAdapter sends strings and Buffers only', AxiosError.ERR_BAD_REQUEST);
}

/** Undo a Content-Encoding a server applied anyway, never inflating past `limit` bytes. */
function decode(body: Buffer, encoding: string | undefined, limit: number): Buffer {
  if (!encoding || encoding === 'identity' || body.length === 0) return body;
  const options = Number.isFinite(limit) ? { maxOutputLength: Math.max(1, limit) } : {};
  switch (encoding.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body, options);
    case 'deflate':
      // "deflate" is meant to be zlib-wrapped, but some servers send it raw.
      try {
        return zlib.inflateSync(body, options);
      } catch {
        return zlib.inflateRawSync(body, options);
      }
    case 'br':
      return zlib.brotliDecompressSync(body, options);
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}
