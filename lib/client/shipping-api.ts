import type { ClientCore } from './core';
import { mapArgsErrcodes, requireText } from './api-args';
import {
  listBody,
  orderQueryKey,
  shippingOrderOf,
  unixSeconds,
  uploadBody,
  type ShippingListInput,
  type ShippingListResult,
  type ShippingOrder,
  type ShippingOrderRef,
  type ShippingUploadInput,
} from './shipping';

export type {
  DeliveryMode,
  LogisticsType,
  ShippingItem,
  ShippingListInput,
  ShippingListResult,
  ShippingOrder,
  ShippingOrderRef,
  ShippingOrderState,
  ShippingUploadInput,
} from './shipping';

/** The shipping-info service of a mini program (发货信息管理, `wxa/sec/order/*`). */
export interface ShippingApi {
  /** Record shipping for a paid order (`upload_shipping_info`); WeChat tells the payer and, for many categories, releases the funds after receipt. */
  upload(input: ShippingUploadInput, appid?: string): Promise<void>;
  /** One order's payment and shipping state (`get_order`). */
  getOrder(order: ShippingOrderRef, appid?: string): Promise<ShippingOrder>;
  /** Orders page by page (`get_order_list`): pass `lastIndex` back for the next page while `hasMore`. */
  list(input?: ShippingListInput, appid?: string): Promise<ShippingListResult>;
  /** Remind the payer to confirm receipt (`notify_confirm_receive`), once per order; `receivedTime` is when it arrived. */
  notifyConfirmReceive(input: { order: ShippingOrderRef; receivedTime: Date | number }, appid?: string): Promise<void>;
  /** The mini-program page WeChat's shipping messages open (`set_msg_jump_path`), e.g. `pages/order/detail`; it gets the order in its query. */
  setMsgJumpPath(path: string, appid?: string): Promise<void>;
  /** Whether WeChat manages this mini program's trades, i.e. shipping must be recorded (`is_trade_managed`). */
  isTradeManaged(appid?: string): Promise<boolean>;
}

/**
 * Errcodes of these calls that mean "this input is wrong": logistics type, split rules, item
 * description missing or too long, parameter error, list / carrier / tracking number too long,
 * upload_time not RFC 3339, delivery mode, order key.
 */
const SHIPPING_ARGS_ERRCODES: ReadonlySet<number> = new Set([
  40097, 10060005, 10060006, 10060007, 10060008, 10060009, 10060014, 10060024, 10060025, 10060026, 268485195, 268485216, 268485224, 268485228,
]);

export function shippingApi(core: ClientCore): { shipping: ShippingApi } {
  const post = (appid: string | undefined, path: string, body: Record<string, unknown>) =>
    mapArgsErrcodes(SHIPPING_ARGS_ERRCODES, () => core.post(core.miniprogramAppidOf(appid), path, body, { errorCode: 'wechat_error', idempotent: path !== '/wxa/sec/order/upload_shipping_info' }));
  const shipping: ShippingApi = {
    async upload(input, appid) {
      // Not retried on -1: a second upload of a shipped order spends WeChat's one re-upload.
      await post(appid, '/wxa/sec/order/upload_shipping_info', uploadBody(input, core.ctx.now()));
    },
    async getOrder(order, appid) {
      const answer = await post(appid, '/wxa/sec/order/get_order', orderQueryKey(order));
      return shippingOrderOf(answer.order);
    },
    async list(input, appid) {
      const answer = await post(appid, '/wxa/sec/order/get_order_list', listBody(input));
      const orders = Array.isArray(answer.order_list) ? answer.order_list.map(shippingOrderOf) : [];
      return { orders, lastIndex: typeof answer.last_index === 'string' ? answer.last_index : '', hasMore: answer.has_more === true };
    },
    async notifyConfirmReceive(input, appid) {
      const order = orderQueryKey(input?.order);
      await post(appid, '/wxa/sec/order/notify_confirm_receive', { ...order, received_time: unixSeconds(input.receivedTime, 'receivedTime') });
    },
    async setMsgJumpPath(path, appid) {
      await post(appid, '/wxa/sec/order/set_msg_jump_path', { path: requireText(path, 'path', 1024) });
    },
    async isTradeManaged(appid) {
      const id = core.miniprogramAppidOf(appid);
      const answer = await post(id, '/wxa/sec/order/is_trade_managed', { appid: id });
      return answer.is_trade_managed === true;
    },
  };
  return { shipping };
}
