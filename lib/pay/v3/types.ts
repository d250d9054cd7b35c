/** WeChat Pay v3's public types: inputs in camelCase, answers as WeChat's verified JSON (snake_case). */

import type { AppPayParams } from '../types';

export type PayV3TradeType = 'JSAPI' | 'APP' | 'H5' | 'NATIVE';

/** WeChat's verified JSON, as it sent it. */
export type PayV3Json = Record<string, unknown>;

export interface PayV3PrepayInput {
  /** `JSAPI` (official account pages and mini programs), `APP`, `H5` (mobile browsers outside WeChat) or `NATIVE` (QR code). */
  tradeType: PayV3TradeType;
  /** What the payer sees (`description`), at most 127 characters. */
  description: string;
  /** Your order number (`out_trade_no`): 6–32 of `[A-Za-z0-9_-|*]`, unique per merchant. */
  outTradeNo: string;
  /** Amount in fen (integer ≥ 1). */
  total: number;
  /** The payer's openid under `appid`; required for JSAPI. */
  openid?: string;
  /** The payer's IP; required for H5 (`scene_info.payer_client_ip`). */
  payerClientIp?: string;
  /** Order category: the notify goes to `/wxpay/v3/<type>/callback` and your handler gets it. Default `pay`. */
  type?: string;
  /** Your data, returned in the notify and queries (≤ 128 characters). */
  attach?: string;
  /** Payment deadline, RFC 3339 (`2025-06-08T10:34:56+08:00`) or a Date. */
  timeExpire?: string | Date;
  /** Another AppID bound to the merchant (a mini program's, for its JSAPI payments). Default `pay.appid`. */
  appid?: string;
  /** H5 only: `scene_info.h5_info.type` — `Wap` (default), `iOS` or `Android`. */
  h5Type?: 'Wap' | 'iOS' | 'Android';
  /** This order's notify URL (no query string), overriding the default. */
  notifyUrl?: string;
}

/** What the trade type returns: `prepayId` (JSAPI, APP), `codeUrl` (NATIVE, valid 2 h), `h5Url` (H5, ~5 min). */
export interface PayV3PrepayResult {
  prepayId?: string;
  codeUrl?: string;
  h5Url?: string;
}

/** For `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` and `wx.requestPayment` (mini programs). */
export interface PayV3JsapiParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** For the OpenSDK `PayReq` (APP pay): the same fields as v2's, `sign` an RSA signature here. */
export type PayV3AppParams = AppPayParams;

export type PayV3OrderRef = { outTradeNo: string; transactionId?: undefined } | { transactionId: string; outTradeNo?: undefined };

export type PayV3RefundInput = PayV3OrderRef & {
  /** Your refund number (`out_refund_no`); resending the same one is safe. */
  outRefundNo: string;
  /** Refund amount in fen. */
  refund: number;
  /** The order's total in fen (WeChat checks it). */
  total: number;
  /** Shown to the payer. */
  reason?: string;
  /** Order category: the refund notify goes to `/wxpay/v3/<type>/callback` (default `/wxpay/v3/refund/callback`). */
  type?: string;
  /** This refund's notify URL, overriding the default. */
  notifyUrl?: string;
  /** `AVAILABLE` to refund from the available balance. */
  fundsAccount?: string;
};

export interface PayV3TradeBillInput {
  /** `YYYY-MM-DD`. */
  billDate: string;
  /** `ALL` (default), `SUCCESS` or `REFUND`. */
  billType?: 'ALL' | 'SUCCESS' | 'REFUND';
  /** `GZIP`: WeChat compresses the file; you still get it uncompressed. */
  tarType?: 'GZIP';
}

export interface PayV3FundFlowBillInput {
  billDate: string;
  /** `BASIC` (default), `OPERATION` or `FEES`. */
  accountType?: 'BASIC' | 'OPERATION' | 'FEES';
  tarType?: 'GZIP';
}

export interface PayV3SceneReportInfo {
  /** `info_type`, e.g. `活动名称`, `奖励说明`. */
  infoType: string;
  infoContent: string;
}

/** 商家转账 (transfer-bills). */
export interface PayV3TransferInput {
  /** Your bill number (`out_bill_no`): 5–32 letters or digits. */
  outBillNo: string;
  openid: string;
  /** Amount in fen. */
  amount: number;
  /** `transfer_remark`, at most 32 characters; the user sees it. */
  remark: string;
  /** `transfer_scene_id`, e.g. `1000` (现金营销). */
  sceneId: string;
  /** The payee's real name: required from ¥2000 (200000 fen). Sent RSA-OAEP encrypted, never in the clear. */
  userName?: string;
  /** `transfer_scene_report_infos`, as the scene requires. */
  sceneReportInfos: PayV3SceneReportInfo[];
  /** Default `<baseUrl><mountPath>/wxpay/v3/transfer/callback`. */
  notifyUrl?: string;
  /** `user_recv_perception`, e.g. `现金奖励`. */
  userRecvPerception?: string;
  /** Default `pay.appid`. */
  appid?: string;
}

/** What a notify reply is: send `status`, and `body` (JSON) when there is one. */
export interface PayV3NotifyReply {
  status: number;
  ok: boolean;
  /** `''` on success (204), else `{"code":"FAIL","message":…}`. */
  body: string;
  contentType?: string;
}

/** The decrypted payment notify (`TRANSACTION.SUCCESS`). */
export interface PayV3Transaction extends PayV3Json {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  trade_state: string;
  amount: { total: number; payer_total?: number; currency?: string; payer_currency?: string };
  payer?: { openid?: string };
  attach?: string;
  success_time?: string;
}

/** The decrypted refund notify (`REFUND.SUCCESS` / `REFUND.ABNORMAL` / `REFUND.CLOSED`). */
export interface PayV3RefundNotice extends PayV3Json {
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  out_refund_no: string;
  refund_id: string;
  refund_status: string;
  amount: { total: number; refund: number; payer_total?: number; payer_refund?: number };
}

/** The decrypted transfer notify (`MCHTRANSFER.BILL.FINISHED`). */
export interface PayV3TransferNotice extends PayV3Json {
  out_bill_no: string;
  transfer_bill_no?: string;
  state: string;
  transfer_amount?: number;
  openid?: string;
}

export type PayV3NotifyHandler = (transaction: PayV3Transaction, type: string) => unknown;
export type PayV3RefundHandler = (refund: PayV3RefundNotice, type: string) => unknown;
export type PayV3TransferHandler = (bill: PayV3TransferNotice) => unknown;

export interface PayV3OnNotifyOptions {
  /** Your amount for the order, in fen: a notify with another `amount.total` is refused before the handler. */
  amountOf?: (outTradeNo: string, type: string) => number | undefined | Promise<number | undefined>;
}

/** A notify as it arrived: its headers and the exact body bytes. */
export interface PayV3NotifyRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}
