import type { PaySignType } from './sign';

/** Extra raw WeChat fields passed through as they are (`attach`, `time_expire`, `scene_info`, …). */
export type ExtraFields = Record<string, string | number | undefined>;

/** A verified v2 response or notify: every field WeChat sent, as strings. */
export type PayFields = Record<string, string>;

/**
 * A verified response with camelCase conveniences: every raw field WeChat sent (strings, under
 * WeChat's own snake_case names) plus a few typed ones (amounts as numbers).
 */
export interface PayResultFields {
  [field: string]: string | number | undefined;
}

export type TradeType = 'JSAPI' | 'NATIVE' | 'APP' | 'MWEB';

export interface PrepayInput extends ExtraFields {
  /** Goods description shown to the payer (`body`), at most 128 characters. */
  body: string;
  /** Your order number (`out_trade_no`): 1–32 of `[A-Za-z0-9_-|*@]`, unique per merchant. */
  outTradeNo: string;
  /** Amount in fen (integer, ≥ 1). No default. */
  totalFee: number;
  /** The payer's openid for this appid; required for JSAPI. */
  openid?: string;
  /** Default `JSAPI`. */
  tradeType?: TradeType;
  /** Order category; goes into the notify URL `/wxpay/<type>/callback` and to your handler. Default `pay`. */
  type?: string;
  /** The payer's IP (`spbill_create_ip`); default the `clientIp` option; no other default. */
  spbillCreateIp?: string;
  /** NATIVE only (`product_id`); default the order number. */
  productId?: string;
  /** This order's notify URL, overriding the computed one. */
  notifyUrl?: string;
}

export interface PrepayResult extends PayFields {
  prepayId: string;
}
/** `codeUrl` (NATIVE) and `mwebUrl` (MWEB) are present when WeChat returned them. */
export type PrepayResponse = PrepayResult & { codeUrl?: string; mwebUrl?: string };

/** Which order: one of the two ids. */
export type OrderRef = { outTradeNo: string; transactionId?: undefined } | { transactionId: string; outTradeNo?: undefined };

export interface OrderQueryResponse extends PayResultFields {
  /** `SUCCESS`, `REFUND`, `NOTPAY`, `CLOSED`, `REVOKED`, `USERPAYING`, `PAYERROR`. */
  tradeState: string;
  transactionId?: string;
  /** Amount in fen, when WeChat returned it. */
  totalFee?: number;
}

export type RefundInput = OrderRef & {
  /** Your refund number (`out_refund_no`); sending the same one again is safe (WeChat answers with the same refund). */
  outRefundNo: string;
  /** The order's total, in fen (WeChat checks it). */
  totalFee: number;
  /** The amount to refund, in fen. */
  refundFee: number;
  refundDesc?: string;
  /** Overrides the computed refund notify URL. */
  notifyUrl?: string;
  extra?: ExtraFields;
};

export interface RefundResponse extends PayResultFields {
  refundId: string;
  refundFee: number;
}

export type RefundQueryInput =
  | { outRefundNo: string }
  | { refundId: string }
  | { outTradeNo: string }
  | { transactionId: string };

export interface RefundQueryItem {
  outRefundNo: string;
  refundId: string;
  refundFee: number;
  /** `SUCCESS`, `REFUNDCLOSE`, `PROCESSING`, `CHANGE`. */
  refundStatus: string;
}
export interface RefundQueryResponse {
  [field: string]: string | RefundQueryItem[] | undefined;
  refunds: RefundQueryItem[];
}

export interface RedPackInput extends ExtraFields {
  /** `mch_billno`: your unique number, at most 28 of `[A-Za-z0-9]`; resend the same one after a timeout. */
  mchBillno: string;
  /** Receiver's openid under `pay.appid` (an official account). */
  reOpenid: string;
  /** Amount in fen. */
  totalAmount: number;
  /** Default 1 (a normal red packet has one receiver). */
  totalNum?: number;
  wishing: string;
  actName: string;
  remark: string;
  /** Default the `sendName` option. */
  sendName?: string;
  /** Default the `clientIp` option. */
  clientIp?: string;
  /** Required by WeChat below 1 yuan / above 200 yuan (`PRODUCT_1`…`PRODUCT_8`). */
  sceneId?: string;
}
export type RedPackResponse = PayFields & { sendListid?: string };

/** Parameters for `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` (and `wx.chooseWXPay` with `timestamp`). */
export interface JsapiPayParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: PaySignType;
  paySign: string;
}

/** Parameters for the OpenSDK `PayReq`. */
export interface AppPayParams {
  appid: string;
  partnerid: string;
  prepayid: string;
  package: 'Sign=WXPay';
  noncestr: string;
  timestamp: string;
  sign: string;
}

/** A verified payment notify: every field plus conveniences. */
export interface PayNotifyOrder extends PayResultFields {
  transactionId: string;
  outTradeNo: string;
  /** Amount in fen. */
  totalFee: number;
  openid?: string;
}

/** A decrypted refund notify (`req_info`) plus the outer `appid`/`mch_id`. */
export interface RefundNotifyInfo extends PayResultFields {
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  /** `SUCCESS`, `CHANGE`, `REFUNDCLOSE`. */
  refundStatus: string;
  refundFee: number;
  totalFee: number;
}

/**
 * `router.pay.onNotify(handler)`: called once per transaction_id with the verified order (after
 * `amountOf`, when given). Resolving marks the transaction done; throwing answers FAIL, and
 * WeChat's next delivery calls it again. What it returns is ignored.
 */
export type PayNotifyHandler = (order: PayNotifyOrder, type: string) => Promise<void> | void;
/** `router.pay.onRefundNotify(handler)`: called once per refund_id. */
export type RefundNotifyHandler = (refund: RefundNotifyInfo) => Promise<void> | void;

export interface OnNotifyOptions {
  /**
   * Your amount for an order (fen), looked up BEFORE the handler runs; a mismatch (or undefined,
   * an order you do not know) answers FAIL, is logged with `logger.error`, and the handler is not
   * called — not on this delivery, not on any repeat of it.
   */
  amountOf?: (outTradeNo: string, type: string) => Promise<number | undefined> | number | undefined;
}

/** What to send back to WeChat for a notify. */
export interface NotifyReply {
  status: number;
  contentType: 'application/xml; charset=utf-8';
  body: string;
  /** True when the reply is SUCCESS. */
  ok: boolean;
}
