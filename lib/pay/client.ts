import type https from 'node:https';
import type { WxContext } from '../context';
import { WxAuthError, WxPayError } from '../errors';
import { createCaAgent, createCertAgent } from './cert';
import type { PayOptions } from './options';
import { signPay, verifyPay, type PayParams, type PaySignType } from './sign';
import type { PayFields } from './types';
import { buildPayXml, parsePayXml } from './xml';

/** Responses may list many refunds or coupons; still far below this. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface CallOptions {
  /** Send with the merchant certificate (mutual TLS): `/secapi/*`, red packets. */
  cert?: boolean;
  /**
   * The red packet API answers without `sign` (a long-standing WeChat quirk): accept an unsigned
   * response there, provided it echoes `echo`. A `sign` that is present is verified.
   */
  unsignedResponse?: boolean;
  /** The appid field name of this API (`wxappid` for red packets). Default `appid`. */
  appidField?: string;
  /**
   * Fields the answer must repeat exactly as we sent them (the red packet API's `mch_billno`,
   * `re_openid`, `total_amount`, …): what ties an unsigned answer to this request. Required in a
   * `result_code` SUCCESS answer (WeChat returns them all then); in a FAIL one, each that is
   * present must match. A mismatch is a `sign_error`, like an answer that does not verify.
   */
  echo?: Record<string, string | number>;
}

/**
 * The signed-request half of WeChat Pay v2: build `<xml>`, send it to the pay host, and check
 * the answer in WeChat's order — `return_code` (transport), then `sign`, then `result_code`.
 * Nothing is retried: these calls move money, and each API documents its own safe retry (the
 * same out_trade_no / out_refund_no / mch_billno).
 */
export class PayCaller {
  readonly signType: PaySignType;
  private readonly certAgent?: https.Agent;
  private readonly caAgent?: https.Agent;

  constructor(
    private readonly ctx: WxContext,
    private readonly options: PayOptions,
  ) {
    this.signType = options.signType ?? 'MD5';
    if (options.cert) this.certAgent = createCertAgent(options.cert, options.mchid, options.ca);
    if (options.ca) this.caAgent = createCaAgent(options.ca);
  }

  /** The pay host in use (WeChat's, or the simulator's). */
  get endpoint(): string {
    return this.ctx.http.endpoints.pay;
  }

  nonce(): string {
    return this.ctx.randomHex(16);
  }

  /** Sign with the merchant's API key and the configured algorithm. */
  sign(params: PayParams): string {
    return signPay(params, this.options.key, this.signType);
  }

  async call(path: string, params: PayParams, call: CallOptions = {}): Promise<PayFields> {
    if (call.cert && !this.certAgent) {
      throw new WxAuthError('config_error', `"pay.cert" is required for ${path} (mutual TLS with the merchant certificate)`, { field: 'pay.cert' });
    }
    const body: PayParams = { ...params, mch_id: this.options.mchid, nonce_str: this.nonce() };
    if (this.signType !== 'MD5') body.sign_type = this.signType;
    body.sign = this.sign(body);
    const agent = call.cert ? this.certAgent : this.caAgent;
    const text = await this.ctx.http.requestText({
      method: 'POST',
      url: this.endpoint + path,
      data: buildPayXml(body),
      headers: { 'Content-Type': 'text/xml; charset=utf-8' },
      ...(agent ? { httpsAgent: agent } : {}),
    });
    return this.check(path, text, call);
  }

  /** Check a response text. Separate from sending so tests can feed recorded answers. */
  check(path: string, text: string, call: CallOptions = {}): PayFields {
    let raw: PayFields;
    try {
      raw = parsePayXml(text, { maxBytes: MAX_RESPONSE_BYTES });
    } catch (cause) {
      throw new WxPayError('xml_error', `WeChat Pay answered ${path} with something that is not its XML`, { status: 502, cause });
    }
    if (raw.return_code !== 'SUCCESS') {
      const msg = raw.return_msg || 'FAIL';
      throw new WxPayError(msg, `WeChat Pay refused ${path}: ${msg}`, { errmsg: msg, response: raw, status: 502 });
    }
    const unsignedOk = call.unsignedResponse && raw.sign === undefined;
    // Only the configured algorithm: an HMAC-SHA256 merchant takes no MD5-signed answer.
    if (!unsignedOk && !verifyPay(raw, this.options.key, this.signType)) {
      throw new WxPayError('sign_error', `the signature of WeChat Pay's answer to ${path} does not verify`, { status: 502, response: raw });
    }
    if (call.echo) this.checkEcho(path, raw, call.echo);
    // Signed or not, an answer about another merchant or app is not ours to act on.
    const appidField = call.appidField ?? 'appid';
    if ((raw.mch_id !== undefined && raw.mch_id !== this.options.mchid) || (raw[appidField] !== undefined && raw[appidField] !== this.options.appid)) {
      throw new WxPayError('sign_error', `WeChat Pay's answer to ${path} is for another merchant or app`, { status: 502, response: raw });
    }
    if (raw.result_code !== undefined && raw.result_code !== 'SUCCESS') {
      const code = raw.err_code || 'pay_error';
      throw new WxPayError(code, `WeChat Pay answered ${path} with ${code}`, {
        errcode: code,
        ...(raw.err_code_des ? { errmsg: raw.err_code_des } : {}),
        response: raw,
        status: 502,
      });
    }
    return raw;
  }

  /**
   * Each `echo` field equals what we sent. The answer itself stays out of the error: it is not
   * verified, so nothing in it is handed on; the message names the field, not its values.
   */
  private checkEcho(path: string, raw: PayFields, echo: Record<string, string | number>): void {
    const success = raw.result_code === 'SUCCESS';
    for (const [field, sent] of Object.entries(echo)) {
      const got = raw[field];
      if (got === undefined ? !success : got === String(sent)) continue;
      const what = got === undefined ? 'leaves out' : 'does not match';
      throw new WxPayError('sign_error', `WeChat Pay's answer to ${path} ${what} ${field}: it is not the answer to this request`, { status: 502 });
    }
  }
}

/** `args_error` naming the argument: the caller passed something WeChat would refuse anyway. */
export function argsError(name: string, message: string): WxAuthError {
  return new WxAuthError('args_error', `"${name}" ${message}`, { field: name });
}

export function requireString(value: unknown, name: string, pattern?: RegExp, hint?: string): string {
  if (typeof value !== 'string' || !value) throw argsError(name, 'is required');
  if (pattern && !pattern.test(value)) throw argsError(name, hint ?? 'is malformed');
  return value;
}

export function requireFen(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw argsError(name, 'must be a positive integer amount in fen');
  return value;
}

/** Raw WeChat fields from `extra`, minus the ones we own (they cannot be overridden that way). */
export function extraFields(extra: Record<string, unknown>, reserved: readonly string[]): PayParams {
  const out: PayParams = {};
  for (const [k, v] of Object.entries(extra)) {
    if (reserved.includes(k) || v === undefined) continue;
    if (!/^[a-z][a-z0-9_]*$/.test(k)) throw argsError(k, 'is not a WeChat Pay field (extra fields are passed raw, in snake_case)');
    if (typeof v !== 'string' && typeof v !== 'number') throw argsError(k, 'must be a string or a number');
    out[k] = v;
  }
  return out;
}
