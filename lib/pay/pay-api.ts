import type { PayV3Api } from './v3/pay';
import type { PayParams } from './sign';
import type {
  AppPayParams,
  JsapiPayParams,
  NotifyReply,
  OnNotifyOptions,
  OrderQueryResponse,
  OrderRef,
  PayFields,
  PayNotifyHandler,
  PrepayInput,
  PrepayResponse,
  RedPackInput,
  RedPackResponse,
  RefundInput,
  RefundNotifyHandler,
  RefundQueryInput,
  RefundQueryResponse,
  RefundResponse,
} from './types';

/** WeChat Pay v2, as `router.pay` and as `createPay(config)`. */
export interface PayApi {
  /** Unified order; resolves with the verified response plus `prepayId` (and `codeUrl` / `mwebUrl`). */
  prepay(input: PrepayInput): Promise<PrepayResponse>;
  /** Signed parameters for `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`. */
  jsapiParams(prepayId: string): JsapiPayParams;
  /** Signed parameters for the OpenSDK `PayReq`. */
  appParams(prepayId: string): AppPayParams;
  orderQuery(ref: OrderRef): Promise<OrderQueryResponse>;
  closeOrder(outTradeNo: string): Promise<PayFields>;
  /** Needs `pay.cert` (mutual TLS). */
  refund(input: RefundInput): Promise<RefundResponse>;
  refundQuery(ref: RefundQueryInput): Promise<RefundQueryResponse>;
  /** Needs `pay.cert` (mutual TLS). */
  sendRedPack(input: RedPackInput): Promise<RedPackResponse>;
  /** Sign parameters with the API key and the configured `signType`. */
  sign(params: PayParams): string;
  /** Verify `params.sign` (constant time) with the configured `signType` only; a message naming another `sign_type` is refused. */
  verify(params: PayParams): boolean;
  /**
   * Register the payment notify handler: called once per transaction_id. `amountOf` (your amount
   * for the order) is checked before it. Returns the API for chaining.
   */
  onNotify(handler: PayNotifyHandler, options?: OnNotifyOptions): PayApi;
  /** Register the refund notify handler: called once per refund_id. */
  onRefundNotify(handler: RefundNotifyHandler): PayApi;
  /** Process a raw payment notify body without Express; send the reply as given. */
  handleNotify(body: string | Buffer, type?: string): Promise<NotifyReply>;
  /** Process a raw refund notify body without Express. */
  handleRefundNotify(body: string | Buffer): Promise<NotifyReply>;
  /** The notify URL `prepay` uses for orders of `type`. */
  notifyUrlFor(type?: string): string | undefined;
  /** The pay host in use (WeChat's, or the simulator's). */
  readonly endpoint: string;
  /** WeChat Pay v3 (`pay.v3`); a `config_error` when it is not configured. */
  readonly v3: PayV3Api;
}
