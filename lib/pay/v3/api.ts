import type { WxContext } from '../../context';
import { WxAuthError, WxPayError } from '../../errors';
import { stripTrailingSlashes } from '../../wechat/endpoints';
import { argsError, requireFen, requireString } from '../client';
import { signPayV3 } from './crypto';
import { PayV3Caller, seg, type JsonObject } from './http';
import type {
  PayV3AppParams,
  PayV3JsapiParams,
  PayV3Json,
  PayV3OrderRef,
  PayV3PrepayInput,
  PayV3PrepayResult,
  PayV3RefundInput,
  PayV3TradeType,
} from './types';

export const TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;
const REFUND_NO = /^[A-Za-z0-9_\-|*@]{1,64}$/;
const TRANSACTION_ID = /^[A-Za-z0-9]{1,32}$/;
/** Order categories go into the notify path. `refund` and `transfer` are those notifies' own paths. */
export const V3_ORDER_TYPE = /^[A-Za-z0-9_-]{1,32}$/;
export const RESERVED_TYPES = ['refund', 'transfer'];
const TRADE_TYPES: Record<PayV3TradeType, string> = { JSAPI: 'jsapi', APP: 'app', H5: 'h5', NATIVE: 'native' };

/** What the v3 calls need from `pay`. */
export interface PayV3Settings {
  appid: string;
  mchid: string;
  /** `pay.v3.notifyUrl`: `:type` replaced by the order type (`refund`, `transfer` for those notifies). */
  notifyUrl?: string;
  /** `<baseUrl><mountPath>`, for the default notify URLs. */
  baseUrl?: string;
}

/** A notify URL must be absolute and carry no query string: WeChat refuses one. */
export function checkNotifyUrl(url: string, name: string): string {
  if (!/^https?:\/\/[^/\s]+/i.test(url) || url.includes('?') || url.includes('#')) throw argsError(name, 'must be an absolute URL without a query string');
  return url;
}

/** The transactions, refunds and bridge parameters of `router.pay.v3`. */
export class PayV3Calls {
  constructor(
    readonly caller: PayV3Caller,
    private readonly ctx: WxContext,
    private readonly settings: PayV3Settings,
  ) {}

  /** The notify URL for `type` (`refund` / `transfer` for those notifies), or undefined without `baseUrl` or `pay.v3.notifyUrl`. */
  notifyUrlFor(type: string): string | undefined {
    if (this.settings.notifyUrl) return this.settings.notifyUrl.replace(/:type\b/g, type);
    return this.settings.baseUrl ? `${stripTrailingSlashes(this.settings.baseUrl)}/wxpay/v3/${type}/callback` : undefined;
  }

  requireNotifyUrl(type: string, given?: string): string {
    if (given !== undefined) return checkNotifyUrl(given, 'notifyUrl');
    const url = this.notifyUrlFor(type);
    if (!url) throw new WxAuthError('config_error', '"pay.v3.notifyUrl" is required when "baseUrl" is not set (WeChat needs an absolute notify URL)', { field: 'pay.v3.notifyUrl' });
    return url;
  }

  async prepay(input: PayV3PrepayInput): Promise<PayV3PrepayResult> {
    if (!input || typeof input !== 'object') throw argsError('prepay', 'needs { tradeType, description, outTradeNo, total, … }');
    const path = TRADE_TYPES[input.tradeType];
    if (!path) throw argsError('tradeType', `must be one of ${Object.keys(TRADE_TYPES).join(', ')}`);
    const description = requireString(input.description, 'description');
    if (description.length > 127) throw argsError('description', 'must be at most 127 characters');
    const outTradeNo = requireString(input.outTradeNo, 'outTradeNo', TRADE_NO, 'must be 6-32 of A-Z a-z 0-9 _ - | *');
    const total = requireFen(input.total, 'total');
    const type = input.type ?? 'pay';
    if (!V3_ORDER_TYPE.test(type) || RESERVED_TYPES.includes(type)) throw argsError('type', 'must be 1-32 of A-Z a-z 0-9 _ - and not "refund" or "transfer"');
    if (input.attach !== undefined && (typeof input.attach !== 'string' || input.attach.length > 128)) throw argsError('attach', 'must be a string of at most 128 characters');
    const body: JsonObject = {
      appid: input.appid === undefined ? this.settings.appid : requireString(input.appid, 'appid'),
      mchid: this.settings.mchid,
      description,
      out_trade_no: outTradeNo,
      time_expire: timeOf(input.timeExpire),
      attach: input.attach,
      notify_url: this.requireNotifyUrl(type, input.notifyUrl),
      amount: { total, currency: 'CNY' },
    };
    if (input.tradeType === 'JSAPI') body.payer = { openid: requireString(input.openid, 'openid', undefined, 'is required for JSAPI') };
    if (input.tradeType === 'H5' || input.payerClientIp !== undefined) {
      const ip = requireString(input.payerClientIp, 'payerClientIp', undefined, 'is required for H5');
      body.scene_info = { payer_client_ip: ip, ...(input.tradeType === 'H5' ? { h5_info: { type: input.h5Type ?? 'Wap' } } : {}) };
    }
    const raw = await this.caller.call(`prepay (${input.tradeType})`, { method: 'POST', path: `/v3/pay/transactions/${path}`, body });
    const result: PayV3PrepayResult = {};
    if (typeof raw.prepay_id === 'string') result.prepayId = raw.prepay_id;
    if (typeof raw.code_url === 'string') result.codeUrl = raw.code_url;
    if (typeof raw.h5_url === 'string') result.h5Url = raw.h5_url;
    const wanted = input.tradeType === 'NATIVE' ? result.codeUrl : input.tradeType === 'H5' ? result.h5Url : result.prepayId;
    if (!wanted) throw new WxPayError('pay_error', `WeChat Pay answered prepay (${input.tradeType}) without its ${input.tradeType === 'NATIVE' ? 'code_url' : input.tradeType === 'H5' ? 'h5_url' : 'prepay_id'}`, { status: 502 });
    return result;
  }

  /** `appId\ntimeStamp\nnonceStr\nprepay_id=…\n`, RSA-signed with the merchant key. */
  jsapiParams(prepayId: string, appid = this.settings.appid): PayV3JsapiParams {
    requireString(prepayId, 'prepayId', /^[\w-]{1,128}$/, 'is malformed');
    const timeStamp = String(Math.floor(this.ctx.now() / 1000));
    const nonceStr = this.ctx.randomHex(16);
    const pkg = `prepay_id=${prepayId}`;
    const paySign = signPayV3(`${appid}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, this.caller.keys.privateKey);
    return { appId: appid, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
  }

  /** `appid\ntimestamp\nnoncestr\nprepayid\n`, RSA-signed with the merchant key. */
  appParams(prepayId: string, appid = this.settings.appid): PayV3AppParams {
    requireString(prepayId, 'prepayId', /^[\w-]{1,128}$/, 'is malformed');
    const timestamp = String(Math.floor(this.ctx.now() / 1000));
    const noncestr = this.ctx.randomHex(16);
    const sign = signPayV3(`${appid}\n${timestamp}\n${noncestr}\n${prepayId}\n`, this.caller.keys.privateKey);
    return { appid, partnerid: this.settings.mchid, prepayid: prepayId, package: 'Sign=WXPay', noncestr, timestamp, sign };
  }

  async orderQuery(ref: PayV3OrderRef): Promise<PayV3Json> {
    const r = (ref ?? {}) as Record<string, unknown>;
    const byId = typeof r.transactionId === 'string';
    const path = byId
      ? `/v3/pay/transactions/id/${seg(requireString(r.transactionId, 'transactionId', TRANSACTION_ID, 'is malformed'))}`
      : `/v3/pay/transactions/out-trade-no/${seg(requireString(r.outTradeNo, 'outTradeNo', TRADE_NO, 'must be 6-32 of A-Z a-z 0-9 _ - | * (or pass transactionId)'))}`;
    const raw = await this.caller.call('orderQuery', { method: 'GET', path, query: { mchid: this.settings.mchid } });
    this.ours('orderQuery', raw, byId ? { transaction_id: r.transactionId } : { out_trade_no: r.outTradeNo });
    return raw;
  }

  /** Close an unpaid order (WeChat answers 204). */
  async closeOrder(outTradeNo: string): Promise<void> {
    const no = requireString(outTradeNo, 'outTradeNo', TRADE_NO, 'must be 6-32 of A-Z a-z 0-9 _ - | *');
    await this.caller.call('closeOrder', { method: 'POST', path: `/v3/pay/transactions/out-trade-no/${seg(no)}/close`, body: { mchid: this.settings.mchid } });
  }

  async refund(input: PayV3RefundInput): Promise<PayV3Json> {
    if (!input || typeof input !== 'object') throw argsError('refund', 'needs { outTradeNo | transactionId, outRefundNo, refund, total }');
    const r = input as Record<string, unknown>;
    const outRefundNo = requireString(input.outRefundNo, 'outRefundNo', REFUND_NO, 'must be 1-64 of A-Z a-z 0-9 _ - | * @');
    const total = requireFen(input.total, 'total');
    const refund = requireFen(input.refund, 'refund');
    if (refund > total) throw argsError('refund', 'must not exceed total');
    const type = input.type ?? 'refund';
    if (!V3_ORDER_TYPE.test(type) || type === 'transfer') throw argsError('type', 'must be 1-32 of A-Z a-z 0-9 _ -');
    const body: JsonObject = {
      ...(typeof r.transactionId === 'string'
        ? { transaction_id: requireString(r.transactionId, 'transactionId', TRANSACTION_ID, 'is malformed') }
        : { out_trade_no: requireString(r.outTradeNo, 'outTradeNo', TRADE_NO, 'must be 6-32 of A-Z a-z 0-9 _ - | * (or pass transactionId)') }),
      out_refund_no: outRefundNo,
      reason: input.reason,
      notify_url: input.notifyUrl !== undefined ? checkNotifyUrl(input.notifyUrl, 'notifyUrl') : this.notifyUrlFor(type),
      funds_account: input.fundsAccount,
      amount: { refund, total, currency: 'CNY' },
    };
    const raw = await this.caller.call('refund', { method: 'POST', path: '/v3/refund/domestic/refunds', body });
    this.ours('refund', raw, { out_refund_no: outRefundNo });
    return raw;
  }

  /** `status`: SUCCESS, CLOSED, PROCESSING or ABNORMAL (not final: the merchant must act). */
  async refundQuery(outRefundNo: string): Promise<PayV3Json> {
    const no = requireString(outRefundNo, 'outRefundNo', REFUND_NO, 'must be 1-64 of A-Z a-z 0-9 _ - | * @');
    const raw = await this.caller.call('refundQuery', { method: 'GET', path: `/v3/refund/domestic/refunds/${seg(no)}` });
    this.ours('refundQuery', raw, { out_refund_no: no });
    return raw;
  }

  /**
   * A verified answer about another merchant, or about another order than the one asked for, is
   * not ours to act on (the signature proves WeChat wrote it, not that it answers this request).
   */
  ours(what: string, raw: PayV3Json, echo: Record<string, unknown>): void {
    const mchid = raw.mchid ?? raw.mch_id;
    if (mchid !== undefined && mchid !== this.settings.mchid) throw new WxPayError('sign_error', `WeChat Pay's answer to ${what} is for another merchant`, { status: 502 });
    for (const [field, sent] of Object.entries(echo)) {
      if (raw[field] !== undefined && raw[field] !== sent) throw new WxPayError('sign_error', `WeChat Pay's answer to ${what} does not match ${field}: it is not the answer to this request`, { status: 502 });
    }
  }
}

/** RFC 3339 with the +08:00 offset WeChat uses, from a Date; a string is passed as it is. */
function timeOf(value: string | Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(value)) throw argsError('timeExpire', 'must be RFC 3339 (2025-06-08T10:34:56+08:00) or a Date');
    return value;
  }
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw argsError('timeExpire', 'must be RFC 3339 or a Date');
  const china = new Date(value.getTime() + 8 * 3600_000);
  return `${china.toISOString().slice(0, 19)}+08:00`;
}
