/**
 * How every v3 request is taken and answered, as WeChat does: Accept / User-Agent present, the
 * `WECHATPAY2-SHA256-RSA2048` Authorization parsed (fields in any order) and its signature over
 * `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n` verified with the merchant's key, the timestamp
 * within 5 minutes, JSON bodies without `null`; every answer carries `Request-ID` and WeChat's
 * signature headers, errors are `{code, message, detail?}` with WeChat's HTTP status.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { requestMessage, rsaVerify } from './crypto';
import type { V3Faults, V3FaultSpec } from './faults';
import type { V3Merchant } from './merchants';
import { requestId, signedHeaders } from './signer';

/** A refusal, answered as WeChat's JSON error. */
export class V3Fail extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface V3ApiHost {
  merchant(mchid: string | undefined): V3Merchant | undefined;
  /** True when the mch_id exists on the simulator at all (maybe v2 only). */
  knownMchid(mchid: string): boolean;
  now(): number;
  faults: V3Faults;
}

export interface V3Call {
  m: V3Merchant;
  /** The parsed JSON body (POST), else an empty object. */
  body: Record<string, unknown>;
  req: Request;
  /** `http://host:port` the request came to: download and cashier URLs are built on it. */
  origin: string;
}

/** A success: a JSON body (200 by default), no body (204), or raw bytes sent unsigned (bill files). */
export type V3Answer = { status?: number; json?: unknown; file?: { bytes: Buffer; type: string } };

const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
const AUTH_FIELDS = ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'] as const;
type AuthFields = Record<(typeof AUTH_FIELDS)[number], string>;
/** WeChat refuses request timestamps more than 5 minutes away from its clock. */
const MAX_SKEW_S = 300;

/** `WECHATPAY2-SHA256-RSA2048 k="v",k="v"`: the five fields exactly once each, in any order. */
export function parseAuthorization(header: string | undefined): AuthFields | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== AUTH_SCHEME) return undefined;
  const fields: Record<string, string> = {};
  for (const part of header.slice(space + 1).split(',')) {
    const match = /^\s*([a-z_]+)="([^"]*)"\s*$/.exec(part);
    if (!match || !(AUTH_FIELDS as readonly string[]).includes(match[1]!) || match[1]! in fields) return undefined;
    fields[match[1]!] = match[2]!;
  }
  return AUTH_FIELDS.every((f) => fields[f]) ? (fields as AuthFields) : undefined;
}

/** The JSON path of the first `null` in a value, if any (WeChat refuses `null` values). */
function nullPath(value: unknown, at = ''): string | undefined {
  if (value === null) return at || '/';
  if (typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value as object)) {
    const found = nullPath(v, `${at}/${k}`);
    if (found) return found;
  }
  return undefined;
}

function authenticate(host: V3ApiHost, req: Request, raw: Buffer): V3Merchant {
  const auth = parseAuthorization(req.get('authorization'));
  if (!auth) throw new V3Fail(401, 'SIGN_ERROR', 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》');
  const m = host.merchant(auth.mchid);
  if (!m) {
    if (host.knownMchid(auth.mchid)) throw new V3Fail(401, 'SIGN_ERROR', '商户未开通APIv3（未设置APIv3密钥或API证书）');
    throw new V3Fail(400, 'MCH_NOT_EXISTS', '商户号不存在');
  }
  if (auth.serial_no.toUpperCase() !== m.serialNo) throw new V3Fail(401, 'SIGN_ERROR', '商户证书序列号有误。请使用签名私钥匹配的证书序列号');
  if (!/^\d{1,12}$/.test(auth.timestamp) || Math.abs(host.now() / 1000 - Number(auth.timestamp)) > MAX_SKEW_S) {
    throw new V3Fail(401, 'SIGN_ERROR', 'Http头Authorization中的timestamp已过期或不合法，请使用当前时间');
  }
  if (auth.nonce_str.length > 64) throw new V3Fail(401, 'SIGN_ERROR', 'Http头Authorization中的nonce_str过长');
  const message = requestMessage(req.method, req.originalUrl, auth.timestamp, auth.nonce_str, raw);
  if (!rsaVerify(message, auth.signature, m.merchantKey)) throw new V3Fail(401, 'SIGN_ERROR', '签名错误，请检查后再试');
  return m;
}

function parseBody(req: Request, raw: Buffer, bodyless: boolean): Record<string, unknown> {
  if (req.method !== 'POST' || (bodyless && !raw.length)) return {};
  if (!raw.length) throw new V3Fail(400, 'PARAM_ERROR', '请求body不能为空');
  if (!/^application\/json\b/i.test(req.get('content-type') ?? '')) throw new V3Fail(400, 'INVALID_REQUEST', 'Http头Content-Type值必须为application/json');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new V3Fail(400, 'PARAM_ERROR', '请求body不是合法的JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new V3Fail(400, 'PARAM_ERROR', '请求body必须是JSON对象');
  const nul = nullPath(value);
  if (nul) throw new V3Fail(400, 'PARAM_ERROR', `输入源“/body${nul}”的值不能为null`, { location: 'body', field: nul });
  return value as Record<string, unknown>;
}

/** Send an answer: `Request-ID` always, WeChat's signature unless `unsignedBody` (bill files are unsigned). */
export function sendV3(res: Response, host: V3ApiHost, m: V3Merchant | undefined, status: number, body: Buffer, type: string | undefined, fault?: V3FaultSpec, unsignedBody = false): void {
  res.status(status);
  res.setHeader('Request-ID', requestId());
  res.setHeader('Cache-Control', 'no-store');
  if (!unsignedBody) for (const [k, v] of Object.entries(signedHeaders(body, m?.mode ?? 'publicKey', host.now(), fault))) res.setHeader(k, v);
  if (type) res.setHeader('Content-Type', type);
  res.end(body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendFail(res: Response, host: V3ApiHost, m: V3Merchant | undefined, error: V3Fail, fault?: V3FaultSpec): void {
  const body = { code: error.code, message: error.message, ...(error.detail ? { detail: error.detail } : {}) };
  sendV3(res, host, m, error.status, Buffer.from(JSON.stringify(body)), JSON_TYPE, fault);
}

/** A v3 route (`bodyless`: a POST that takes no body, e.g. a transfer cancel): checks, authentication, the handler, the signed answer (with any fault waiting for this path). */
export function v3Route(host: V3ApiHost, handle: (call: V3Call) => V3Answer, options: { bodyless?: boolean } = {}): RequestHandler[] {
  const raw = express.raw({ type: () => true, limit: '1mb' });
  return [
    raw,
    (req, res) => {
      const fault = host.faults.take(req.path);
      let m: V3Merchant | undefined = host.merchant(parseAuthorization(req.get('authorization'))?.mchid);
      try {
        if (fault?.status) throw new V3Fail(fault.status, fault.code ?? (fault.status >= 500 ? 'SYSTEM_ERROR' : 'INVALID_REQUEST'), fault.message ?? (fault.status >= 500 ? '系统错误' : '请求错误'));
        if (!req.get('accept') || !req.get('user-agent')) throw new V3Fail(400, 'INVALID_REQUEST', 'Http头缺少Accept或User-Agent');
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        m = authenticate(host, req, bytes);
        const body = parseBody(req, bytes, options.bodyless === true);
        const answer = handle({ m, body, req, origin: `${req.protocol}://${req.get('host') ?? '127.0.0.1'}` });
        if (answer.file) return sendV3(res, host, m, 200, answer.file.bytes, answer.file.type, undefined, true);
        if (answer.json === undefined) return sendV3(res, host, m, answer.status ?? 204, Buffer.alloc(0), undefined, fault);
        sendV3(res, host, m, answer.status ?? 200, Buffer.from(JSON.stringify(answer.json)), JSON_TYPE, fault);
      } catch (error) {
        // Never echo an unexpected error: it could hold request data.
        sendFail(res, host, m, error instanceof V3Fail ? error : new V3Fail(500, 'SYSTEM_ERROR', '系统错误'), fault?.status ? undefined : fault);
      }
    },
  ];
}

/** WeChat's validation refusal for one body field. */
export function paramError(field: string, issue: string): V3Fail {
  return new V3Fail(400, 'PARAM_ERROR', `输入源“/body/${field}”${issue}`, { location: 'body', field: `/${field}` });
}
