import type { WxContext } from '../../context';
import { WxAuthError } from '../../errors';
import { createCaAgent } from '../cert';
import type { PayNotifyOptions } from '../options';
import { PayV3Calls } from './api';
import { PayV3Bills } from './bills';
import { PayV3Caller } from './http';
import { PayV3Notifier } from './notify';
import { AutoShipper } from './auto-ship';
import type { OnceOptions } from '../once';
import type { ShippingUploadInput } from '../../client/shipping';
import { loadPayV3Keys, type PayV3Options } from './options';
import { PayV3Transfers } from './transfer';
import type {
  PayV3AppParams,
  PayV3FundFlowBillInput,
  PayV3JsapiParams,
  PayV3Json,
  PayV3NotifyHandler,
  PayV3NotifyReply,
  PayV3NotifyRequest,
  PayV3OnNotifyOptions,
  PayV3OrderRef,
  PayV3PrepayInput,
  PayV3PrepayResult,
  PayV3RefundHandler,
  PayV3RefundInput,
  PayV3TradeBillInput,
  PayV3TransferHandler,
  PayV3TransferInput,
  PayV3Transaction,
} from './types';

/** WeChat Pay v3, as `router.pay.v3` and `createPay(config).v3`. Every answer is verified before it resolves. */
export interface PayV3Api {
  /** `POST /v3/pay/transactions/{jsapi|app|h5|native}` → `{ prepayId }` / `{ codeUrl }` / `{ h5Url }`. */
  prepay(input: PayV3PrepayInput): Promise<PayV3PrepayResult>;
  /** For `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` / `wx.requestPayment`; `appid` for a mini program's prepay id. */
  jsapiParams(prepayId: string, appid?: string): PayV3JsapiParams;
  /** For the OpenSDK `PayReq`. */
  appParams(prepayId: string, appid?: string): PayV3AppParams;
  orderQuery(ref: PayV3OrderRef): Promise<PayV3Json>;
  /** Close an unpaid order. */
  closeOrder(outTradeNo: string): Promise<void>;
  refund(input: PayV3RefundInput): Promise<PayV3Json>;
  refundQuery(outRefundNo: string): Promise<PayV3Json>;
  /** The trade bill file, SHA-1 checked, uncompressed. */
  tradeBill(input: PayV3TradeBillInput): Promise<Buffer>;
  /** The fund-flow bill file, SHA-1 checked, uncompressed. */
  fundFlowBill(input: PayV3FundFlowBillInput): Promise<Buffer>;
  /** 商家转账: the answer's `package_info` goes to `wx.requestMerchantTransfer`. */
  transfer(input: PayV3TransferInput): Promise<PayV3Json>;
  transferQuery(outBillNo: string): Promise<PayV3Json>;
  transferCancel(outBillNo: string): Promise<PayV3Json>;
  /** The payment notify handler: once per transaction_id, after `amountOf` agreed. */
  onNotify(handler: PayV3NotifyHandler, options?: PayV3OnNotifyOptions): PayV3Api;
  /** The refund notify handler: once per refund_id (an ABNORMAL state once more). */
  onRefundNotify(handler: PayV3RefundHandler): PayV3Api;
  /** The transfer notify handler: once per out_bill_no. */
  onTransferNotify(handler: PayV3TransferHandler): PayV3Api;
  /**
   * A notify without Express: its headers and exact body bytes, and `type` — `refund`,
   * `transfer` or the order type of its path. Send back `status` (and `body` when not empty).
   */
  handleNotify(request: PayV3NotifyRequest, type?: string): Promise<PayV3NotifyReply>;
  /** The notify URL prepay uses for orders of `type` (`refund`, `transfer` for those). */
  notifyUrlFor(type?: string): string | undefined;
  /**
   * Resolves when every background upload of `pay.v3.autoShipVirtualGoods` started in this
   * process has finished (shipped, or given up and logged): await it on shutdown. Resolves at once without the option.
   */
  settleAutoShipping(): Promise<void>;
}

/** What `createPayV3Api` needs from `pay`. */
export interface PayV3Config {
  appid: string;
  mchid: string;
  v3: PayV3Options;
  notify?: PayNotifyOptions;
  /** Extra CA certificate(s) to trust for the pay host (`pay.ca`). */
  ca?: string | Buffer;
}

/** What `pay.v3.autoShipVirtualGoods` ships with: the mini program and `client.shipping.upload` (from `wxauth()`). */
export interface PayV3ShippingTarget {
  miniprogramAppid: string;
  upload(input: ShippingUploadInput): Promise<void>;
}

/** The core behind `router.pay.v3`: no Express here. `baseUrl` is `<baseUrl><mountPath>`. */
export function createPayV3Api(ctx: WxContext, pay: PayV3Config, baseUrl?: string, shipping?: PayV3ShippingTarget): PayV3Api {
  const keys = loadPayV3Keys(pay.v3);
  const appids = new Set([pay.appid, ...(pay.v3.appids ?? [])]);
  const caller = new PayV3Caller(ctx, pay.mchid, keys, pay.ca ? createCaAgent(pay.ca) : undefined);
  const calls = new PayV3Calls(caller, ctx, {
    appid: pay.appid,
    mchid: pay.mchid,
    ...(pay.v3.notifyUrl ? { notifyUrl: pay.v3.notifyUrl } : {}),
    ...(baseUrl ? { baseUrl } : {}),
  });
  const bills = new PayV3Bills(caller);
  const transfers = new PayV3Transfers(caller, calls, pay.appid);
  const n = pay.notify ?? {};
  const once = { lockSeconds: n.lockSeconds ?? 120, waitMs: n.waitMs ?? 5000, rememberSeconds: Math.round((n.rememberDays ?? 30) * 86400), ...(n.durableMarks ? { durable: n.durableMarks } : {}), now: ctx.now, logger: ctx.logger };
  const shipper = pay.v3.autoShipVirtualGoods ? autoShipper(ctx, pay, appids, once, shipping) : undefined;
  const notifier = new PayV3Notifier(ctx, keys, {
    mchid: pay.mchid,
    appids,
    once,
    ...(shipper ? { afterPaid: (t: PayV3Transaction, meta: Record<string, unknown>) => shipper.afterHandled(t, meta) } : {}),
  });
  const appidOf = (appid: string | undefined) => {
    if (appid !== undefined && !appids.has(appid)) throw new WxAuthError('args_error', '"appid" must be pay.appid or one of pay.v3.appids (its notifies would be refused)', { field: 'appid' });
    return appid;
  };
  const api: PayV3Api = {
    prepay: (input) => {
      appidOf(input?.appid);
      return calls.prepay(input);
    },
    jsapiParams: (prepayId, appid) => calls.jsapiParams(prepayId, appidOf(appid)),
    appParams: (prepayId, appid) => calls.appParams(prepayId, appidOf(appid)),
    orderQuery: (ref) => calls.orderQuery(ref),
    closeOrder: (outTradeNo) => calls.closeOrder(outTradeNo),
    refund: (input) => calls.refund(input),
    refundQuery: (outRefundNo) => calls.refundQuery(outRefundNo),
    tradeBill: (input) => bills.tradeBill(input),
    fundFlowBill: (input) => bills.fundFlowBill(input),
    transfer: (input) => {
      appidOf(input?.appid);
      return transfers.transfer(input);
    },
    transferQuery: (no) => transfers.transferQuery(no),
    transferCancel: (no) => transfers.transferCancel(no),
    onNotify: (handler, options) => (notifier.onNotify(handler, options), api),
    onRefundNotify: (handler) => (notifier.onRefundNotify(handler), api),
    onTransferNotify: (handler) => (notifier.onTransferNotify(handler), api),
    handleNotify: (request, type = 'pay') => notifier.handle(request, type),
    notifyUrlFor: (type = 'pay') => calls.notifyUrlFor(type),
    settleAutoShipping: async () => shipper?.settled(),
  };
  return api;
}

/**
 * The shipper of `pay.v3.autoShipVirtualGoods`, checked now: it needs `wxauth()`'s mini program
 * (for its access token) and that mini program's payments must be ours (else their notifies are
 * refused and nothing would ever be shipped).
 */
function autoShipper(ctx: WxContext, pay: PayV3Config, appids: ReadonlySet<string>, once: OnceOptions, shipping: PayV3ShippingTarget | undefined): AutoShipper {
  const field = 'pay.v3.autoShipVirtualGoods';
  if (!shipping) {
    throw new WxAuthError('config_error', `"${field}" needs wxauth() with "miniprogram" configured (createPay() has no mini-program access token)`, { field });
  }
  if (!appids.has(shipping.miniprogramAppid)) {
    throw new WxAuthError('config_error', `"${field}" ships the mini program's payments: add "miniprogram.appid" to "pay.v3.appids" (or make it "pay.appid")`, { field });
  }
  // Its own once mark, with a short lease: an upload takes one call to WeChat.
  return new AutoShipper({ ctx, mchid: pay.mchid, miniprogramAppid: shipping.miniprogramAppid, upload: shipping.upload, once: { ...once, lockSeconds: 60, waitMs: 0 } }, pay.v3.autoShipVirtualGoods!);
}
