import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import { stripTrailingSlashes } from '../wechat/endpoints';
import { argsError, extraFields, PayCaller, requireFen, requireString } from './client';
import type { PayOptions } from './options';
import type { PayParams } from './sign';
import type {
  AppPayParams,
  JsapiPayParams,
  OrderQueryResponse,
  OrderRef,
  PayFields,
  PrepayInput,
  PrepayResponse,
  RedPackInput,
  RedPackResponse,
  RefundInput,
  RefundQueryInput,
  RefundQueryItem,
  RefundQueryResponse,
  RefundResponse,
} from './types';

const TRADE_NO = /^[A-Za-z0-9_\-|*@]{1,32}$/;
const REFUND_NO = /^[A-Za-z0-9_\-|*@]{1,64}$/;
const BILL_NO = /^[A-Za-z0-9]{1,28}$/;
/** Order categories go into a URL path: keep them to a safe alphabet. `refund` is the refund notify's own path. */
export const ORDER_TYPE = /^[A-Za-z0-9_-]{1,32}$/;
const TRADE_TYPES = ['JSAPI', 'NATIVE', 'APP', 'MWEB'];

const PREPAY_OWN = ['body', 'outTradeNo', 'totalFee', 'openid', 'tradeType', 'type', 'spbillCreateIp', 'productId', 'notifyUrl'];
const PREPAY_RESERVED = [...PREPAY_OWN, 'appid', 'mch_id', 'nonce_str', 'sign', 'sign_type', 'out_trade_no', 'total_fee', 'trade_type', 'notify_url', 'spbill_create_ip'];

/** The calls of `router.pay` / `createPay()`, each a small typed wrapper over `PayCaller.call`. */
export class PayApiCalls {
  constructor(
    readonly caller: PayCaller,
    private readonly ctx: WxContext,
    private readonly options: PayOptions,
    private readonly baseUrl?: string,
  ) {}

  /** The notify URL for orders of `type` (`:type` in `pay.notifyUrl` is replaced). */
  notifyUrlFor(type: string): string | undefined {
    if (this.options.notifyUrl) return this.options.notifyUrl.replace(/:type\b/g, type);
    return this.baseUrl ? `${stripTrailingSlashes(this.baseUrl)}/wxpay/${type}/callback` : undefined;
  }

  /** Where refund notifies go; undefined leaves WeChat to use the merchant platform's setting. */
  refundNotifyUrl(): string | undefined {
    if (this.options.refundNotifyUrl) return this.options.refundNotifyUrl;
    if (this.options.notifyUrl) return /:type\b/.test(this.options.notifyUrl) ? this.options.notifyUrl.replace(/:type\b/g, 'refund') : undefined;
    return this.baseUrl ? `${stripTrailingSlashes(this.baseUrl)}/wxpay/refund/callback` : undefined;
  }

  /** Unified order (`/pay/unifiedorder`). No default amount, order number or IP: each is an `args_error` when missing. */
  async prepay(input: PrepayInput): Promise<PrepayResponse> {
    if (!input || typeof input !== 'object') throw argsError('prepay', 'needs { body, outTradeNo, totalFee, … }');
    const body = requireString(input.body, 'body');
    if (body.length > 128) throw argsError('body', 'must be at most 128 characters');
    const outTradeNo = requireString(input.outTradeNo, 'outTradeNo', TRADE_NO, 'must be 1-32 of A-Z a-z 0-9 _ - | * @');
    const totalFee = requireFen(input.totalFee, 'totalFee');
    const tradeType = input.tradeType ?? 'JSAPI';
    if (!TRADE_TYPES.includes(tradeType)) throw argsError('tradeType', `must be one of ${TRADE_TYPES.join(', ')}`);
    const type = input.type ?? 'pay';
    if (!ORDER_TYPE.test(type) || type === 'refund') throw argsError('type', 'must be 1-32 of A-Z a-z 0-9 _ - and not "refund"');
    const ip = input.spbillCreateIp ?? this.options.clientIp;
    if (!ip) throw argsError('spbillCreateIp', 'is required (the payer\'s IP, or set pay.clientIp)');
    if (tradeType === 'JSAPI') requireString(input.openid, 'openid', undefined, 'is required for JSAPI');
    const notifyUrl = input.notifyUrl ?? this.notifyUrlFor(type);
    if (!notifyUrl) {
      throw new WxAuthError('config_error', '"pay.notifyUrl" is required when "baseUrl" is not set (WeChat needs an absolute notify URL)', { field: 'pay.notifyUrl' });
    }
    const params: PayParams = {
      ...extraFields(input, PREPAY_RESERVED),
      appid: this.options.appid,
      body,
      out_trade_no: outTradeNo,
      total_fee: totalFee,
      spbill_create_ip: ip,
      notify_url: notifyUrl,
      trade_type: tradeType,
      openid: input.openid,
      product_id: tradeType === 'NATIVE' ? (input.productId ?? outTradeNo) : input.productId,
    };
    const raw = await this.caller.call('/pay/unifiedorder', params);
    if (!raw.prepay_id) throw new WxAuthError('pay_error', 'WeChat Pay answered unifiedorder without a prepay_id', { status: 502 });
    return { ...raw, prepayId: raw.prepay_id, ...(raw.code_url ? { codeUrl: raw.code_url } : {}), ...(raw.mweb_url ? { mwebUrl: raw.mweb_url } : {}) };
  }

  /** Parameters for `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`, signed like the unified order. */
  jsapiParams(prepayId: string): JsapiPayParams {
    requireString(prepayId, 'prepayId');
    const params = {
      appId: this.options.appid,
      timeStamp: String(Math.floor(this.ctx.now() / 1000)),
      nonceStr: this.caller.nonce(),
      package: `prepay_id=${prepayId}`,
      signType: this.caller.signType,
    };
    return { ...params, paySign: this.caller.sign(params) };
  }

  /** Parameters for the OpenSDK `PayReq` (APP pay). */
  appParams(prepayId: string): AppPayParams {
    requireString(prepayId, 'prepayId');
    const params = {
      appid: this.options.appid,
      partnerid: this.options.mchid,
      prepayid: prepayId,
      package: 'Sign=WXPay' as const,
      noncestr: this.caller.nonce(),
      timestamp: String(Math.floor(this.ctx.now() / 1000)),
    };
    return { ...params, sign: this.caller.sign(params) };
  }

  /** `/pay/orderquery` by out_trade_no or transaction_id. */
  async orderQuery(ref: OrderRef): Promise<OrderQueryResponse> {
    const raw = await this.caller.call('/pay/orderquery', { appid: this.options.appid, ...orderRef(ref) });
    return {
      ...raw,
      tradeState: raw.trade_state ?? '',
      ...(raw.transaction_id ? { transactionId: raw.transaction_id } : {}),
      ...(raw.total_fee ? { totalFee: Number(raw.total_fee) } : {}),
    };
  }

  /** `/pay/closeorder`: an unpaid order can no longer be paid. */
  async closeOrder(outTradeNo: string): Promise<PayFields> {
    const no = requireString(outTradeNo, 'outTradeNo', TRADE_NO, 'must be 1-32 of A-Z a-z 0-9 _ - | * @');
    return this.caller.call('/pay/closeorder', { appid: this.options.appid, out_trade_no: no });
  }

  /** `/secapi/pay/refund` with the merchant certificate. Resending the same `outRefundNo` is safe. */
  async refund(input: RefundInput): Promise<RefundResponse> {
    if (!input || typeof input !== 'object') throw argsError('refund', 'needs { outTradeNo | transactionId, outRefundNo, totalFee, refundFee }');
    const outRefundNo = requireString(input.outRefundNo, 'outRefundNo', REFUND_NO, 'must be 1-64 of A-Z a-z 0-9 _ - | * @');
    const totalFee = requireFen(input.totalFee, 'totalFee');
    const refundFee = requireFen(input.refundFee, 'refundFee');
    if (refundFee > totalFee) throw argsError('refundFee', 'must not exceed totalFee');
    const raw = await this.caller.call(
      '/secapi/pay/refund',
      {
        ...extraFields(input.extra ?? {}, ['appid', 'mch_id', 'nonce_str', 'sign', 'sign_type']),
        appid: this.options.appid,
        ...orderRef(input),
        out_refund_no: outRefundNo,
        total_fee: totalFee,
        refund_fee: refundFee,
        refund_desc: input.refundDesc,
        notify_url: input.notifyUrl ?? this.refundNotifyUrl(),
      },
      { cert: true },
    );
    return { ...raw, refundId: raw.refund_id ?? '', refundFee: Number(raw.refund_fee ?? refundFee) };
  }

  /** `/pay/refundquery`; `refunds` lists the `_$n` fields as objects. */
  async refundQuery(ref: RefundQueryInput): Promise<RefundQueryResponse> {
    const r = (ref ?? {}) as Record<string, unknown>;
    const params: PayParams = { appid: this.options.appid };
    if (typeof r.outRefundNo === 'string') params.out_refund_no = r.outRefundNo;
    else if (typeof r.refundId === 'string') params.refund_id = r.refundId;
    else Object.assign(params, orderRef(ref as OrderRef));
    const raw = await this.caller.call('/pay/refundquery', params);
    const refunds: RefundQueryItem[] = [];
    for (let i = 0; i < Number(raw.refund_count ?? 0) && i < 50; i++) {
      refunds.push({
        outRefundNo: raw[`out_refund_no_${i}`] ?? '',
        refundId: raw[`refund_id_${i}`] ?? '',
        refundFee: Number(raw[`refund_fee_${i}`] ?? 0),
        refundStatus: raw[`refund_status_${i}`] ?? '',
      });
    }
    return { ...raw, refunds };
  }

  /** `/mmpaymkttransfers/sendredpack` with the merchant certificate. Resend the same `mchBillno` after a timeout. */
  async sendRedPack(input: RedPackInput): Promise<RedPackResponse> {
    if (!input || typeof input !== 'object') throw argsError('sendRedPack', 'needs { mchBillno, reOpenid, totalAmount, wishing, actName, remark }');
    const sendName = input.sendName ?? this.options.sendName;
    const clientIp = input.clientIp ?? this.options.clientIp;
    const totalNum = input.totalNum ?? 1;
    if (!Number.isSafeInteger(totalNum) || totalNum < 1) throw argsError('totalNum', 'must be a positive integer');
    const own = ['mchBillno', 'reOpenid', 'totalAmount', 'totalNum', 'wishing', 'actName', 'remark', 'sendName', 'clientIp', 'sceneId'];
    // The answer is unsigned: what ties it to this request is that it repeats these, as WeChat's does.
    const echo = {
      mch_id: this.options.mchid,
      wxappid: this.options.appid,
      mch_billno: requireString(input.mchBillno, 'mchBillno', BILL_NO, 'must be 1-28 of A-Z a-z 0-9'),
      re_openid: requireString(input.reOpenid, 'reOpenid'),
      total_amount: requireFen(input.totalAmount, 'totalAmount'),
    };
    const raw = await this.caller.call(
      '/mmpaymkttransfers/sendredpack',
      {
        ...extraFields(input, [...own, 'wxappid', 'mch_id', 'nonce_str', 'sign', 'sign_type']),
        mch_billno: echo.mch_billno,
        wxappid: echo.wxappid,
        send_name: requireString(sendName, 'sendName', undefined, 'is required (or set pay.sendName)'),
        re_openid: echo.re_openid,
        total_amount: echo.total_amount,
        total_num: totalNum,
        wishing: requireString(input.wishing, 'wishing'),
        client_ip: requireString(clientIp, 'clientIp', undefined, 'is required (or set pay.clientIp)'),
        act_name: requireString(input.actName, 'actName'),
        remark: requireString(input.remark, 'remark'),
        scene_id: input.sceneId,
      },
      { cert: true, unsignedResponse: true, appidField: 'wxappid', echo },
    );
    return { ...raw, ...(raw.send_listid ? { sendListid: raw.send_listid } : {}) };
  }
}

function orderRef(ref: OrderRef | undefined): PayParams {
  const r = (ref ?? {}) as Record<string, unknown>;
  if (typeof r.transactionId === 'string' && r.transactionId) return { transaction_id: r.transactionId };
  return { out_trade_no: requireString(r.outTradeNo, 'outTradeNo', TRADE_NO, 'must be 1-32 of A-Z a-z 0-9 _ - | * @ (or pass transactionId)') };
}
