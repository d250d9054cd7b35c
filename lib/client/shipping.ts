import { argsError, optionalBool, optionalInt, requireText } from './api-args';

/**
 * The shipping-info service (发货信息管理) as typed inputs and results, and their WeChat bodies.
 * WeChat freezes a mini program's paid funds (for many categories) until shipping is recorded.
 */

/** Which payment: WeChat's `transaction_id`, or the merchant's `mchid` + `out_trade_no`. */
export type ShippingOrderRef = { transactionId: string } | { mchid: string; outTradeNo: string };

/** 1 express (实体物流), 2 same-city delivery (同城配送), 3 virtual goods (虚拟商品), 4 picked up by the user (用户自提). */
export type LogisticsType = 1 | 2 | 3 | 4;
/** 1 everything in one parcel (统一发货), 2 split into several (分拆发货, express only). */
export type DeliveryMode = 1 | 2;

export interface ShippingItem {
  /** The parcel's tracking number (required for express, `logisticsType: 1`), at most 128 characters. */
  trackingNo?: string;
  /** The carrier's code from WeChat's list (`get_delivery_list`, e.g. `SF`, `ZTO`): required for express. */
  expressCompany?: string;
  /** What was shipped, at most 120 characters, e.g. `"Blue mug ×2"`. */
  itemDesc: string;
  /** Masked phone numbers (`189****1234`): SF Express (`SF`) needs one of them. */
  contact?: { consignorContact?: string; receiverContact?: string };
}

export interface ShippingUploadInput {
  order: ShippingOrderRef;
  logisticsType: LogisticsType;
  deliveryMode: DeliveryMode;
  /** Split delivery (`deliveryMode: 2`) only, and required there: whether this upload completes the order. */
  isAllDelivered?: boolean;
  /** 1 item for unified delivery, 1–15 for split delivery. */
  shippingList: ShippingItem[];
  /** The payer's openid (for the mini program that took the payment). */
  payer: { openid: string };
  /** RFC 3339 (`2026-05-01T10:00:00+08:00`) or a Date; default now. A re-upload must be later than the first. */
  uploadTime?: Date | string;
}

/** 1 awaiting shipping, 2 shipped, 3 receipt confirmed, 4 completed, 5 refunded, 6 awaiting settlement. */
export type ShippingOrderState = 1 | 2 | 3 | 4 | 5 | 6;

export interface ShippingOrder {
  transactionId: string;
  mchid: string;
  subMchid?: string;
  outTradeNo: string;
  description: string;
  /** In fen. */
  paidAmount: number;
  openid: string;
  /** Unix seconds. */
  tradeCreateTime: number;
  /** Unix seconds. */
  payTime: number;
  orderState: ShippingOrderState;
  inComplaint: boolean;
  /** What was uploaded, once shipped. */
  shipping?: {
    deliveryMode: DeliveryMode;
    logisticsType: LogisticsType;
    finishShipping: boolean;
    goodsDesc: string;
    finishShippingCount: number;
    shippingList: Array<{ trackingNo: string; expressCompany: string; uploadTime: number }>;
  };
}

export interface ShippingListInput {
  /** Payment time range (Date or Unix seconds). */
  payTimeRange?: { beginTime?: Date | number; endTime?: Date | number };
  orderState?: ShippingOrderState;
  openid?: string;
  /** `lastIndex` of the previous page, to read the next one. */
  lastIndex?: string;
  /** 1–100. WeChat's default 100. */
  pageSize?: number;
}

export interface ShippingListResult {
  orders: ShippingOrder[];
  lastIndex: string;
  hasMore: boolean;
}

const MAX_ITEMS = 15;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BEIJING_MS = 8 * 3600_000;

/** `ms` as RFC 3339 in Beijing time, `2026-05-01T10:00:00.000+08:00` (the zone WeChat's examples use). */
export function beijingTime(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().replace('Z', '+08:00');
}

/** WeChat's `order_key` of upload: number type 2 by transaction_id, 1 by mchid + out_trade_no. */
export function orderKey(order: ShippingOrderRef): Record<string, unknown> {
  if (!order || typeof order !== 'object') throw argsError('order', 'must be { transactionId } or { mchid, outTradeNo }');
  if ('transactionId' in order && order.transactionId !== undefined) {
    return { order_number_type: 2, transaction_id: requireText(order.transactionId, 'order.transactionId', 32) };
  }
  const o = order as { mchid?: unknown; outTradeNo?: unknown };
  if (typeof o.mchid !== 'string' || !/^\d{6,32}$/.test(o.mchid)) throw argsError('order.mchid', 'must be the merchant id (digits), with outTradeNo');
  return { order_number_type: 1, mchid: o.mchid, out_trade_no: requireText(o.outTradeNo, 'order.outTradeNo', 32) };
}

/** The `transaction_id` / `merchant_id` + `merchant_trade_no` form of get_order and notify_confirm_receive. */
export function orderQueryKey(order: ShippingOrderRef): Record<string, unknown> {
  const key = orderKey(order);
  return key.order_number_type === 2 ? { transaction_id: key.transaction_id } : { merchant_id: key.mchid, merchant_trade_no: key.out_trade_no };
}

function item(value: ShippingItem, i: number, express: boolean): Record<string, unknown> {
  const at = `shippingList[${i}]`;
  if (!value || typeof value !== 'object') throw argsError(at, 'must be { itemDesc, trackingNo?, expressCompany?, contact? }');
  const itemDesc = requireText(value.itemDesc, `${at}.itemDesc`, 120)!;
  const trackingNo = requireText(value.trackingNo, `${at}.trackingNo`, 128, { optional: !express });
  const expressCompany = requireText(value.expressCompany, `${at}.expressCompany`, 128, { optional: !express });
  let contact: Record<string, string> | undefined;
  if (value.contact !== undefined) {
    const consignor = requireText(value.contact?.consignorContact, `${at}.contact.consignorContact`, 1024, { optional: true });
    const receiver = requireText(value.contact?.receiverContact, `${at}.contact.receiverContact`, 1024, { optional: true });
    contact = { ...(consignor ? { consignor_contact: consignor } : {}), ...(receiver ? { receiver_contact: receiver } : {}) };
  }
  // SF Express parcels are only traceable with a phone number: WeChat refuses them without one.
  if (expressCompany === 'SF' && !contact?.consignor_contact && !contact?.receiver_contact) {
    throw argsError(`${at}.contact`, 'is required for SF Express (a masked consignor or receiver phone)');
  }
  return {
    ...(trackingNo ? { tracking_no: trackingNo } : {}),
    ...(expressCompany ? { express_company: expressCompany } : {}),
    item_desc: itemDesc,
    ...(contact && Object.keys(contact).length ? { contact } : {}),
  };
}

/** `shipping.upload` input → the body of `wxa/sec/order/upload_shipping_info`, checked field by field. */
export function uploadBody(input: ShippingUploadInput, nowMs: number): Record<string, unknown> {
  if (!input || typeof input !== 'object') throw argsError('order', 'is required');
  const key = orderKey(input.order);
  const logisticsType = optionalInt(input.logisticsType, 'logisticsType', 1, 4);
  if (logisticsType === undefined) throw argsError('logisticsType', 'must be 1 (express), 2 (same city), 3 (virtual) or 4 (picked up)');
  const deliveryMode = optionalInt(input.deliveryMode, 'deliveryMode', 1, 2);
  if (deliveryMode === undefined) throw argsError('deliveryMode', 'must be 1 (unified) or 2 (split)');
  if (deliveryMode === 2 && logisticsType !== 1) throw argsError('deliveryMode', 'split delivery (2) is for express (logisticsType 1) only');
  const isAllDelivered = optionalBool(input.isAllDelivered, 'isAllDelivered');
  if (deliveryMode === 2 && isAllDelivered === undefined) throw argsError('isAllDelivered', 'is required for split delivery');
  const list = input.shippingList;
  if (!Array.isArray(list) || list.length < 1) throw argsError('shippingList', 'must have at least one item');
  if (deliveryMode === 1 && list.length !== 1) throw argsError('shippingList', 'must have exactly one item for unified delivery');
  if (list.length > MAX_ITEMS) throw argsError('shippingList', `must have at most ${MAX_ITEMS} items`);
  const openid = requireText(input.payer?.openid, 'payer.openid', 128);
  let uploadTime: string;
  if (input.uploadTime === undefined) uploadTime = beijingTime(nowMs);
  else if (input.uploadTime instanceof Date && !Number.isNaN(input.uploadTime.getTime())) uploadTime = beijingTime(input.uploadTime.getTime());
  else if (typeof input.uploadTime === 'string' && RFC3339.test(input.uploadTime)) uploadTime = input.uploadTime;
  else throw argsError('uploadTime', 'must be a Date or an RFC 3339 time such as 2026-05-01T10:00:00+08:00');
  return {
    order_key: key,
    logistics_type: logisticsType,
    delivery_mode: deliveryMode,
    ...(deliveryMode === 2 ? { is_all_delivered: isAllDelivered } : {}),
    shipping_list: list.map((entry, i) => item(entry, i, logisticsType === 1)),
    upload_time: uploadTime,
    payer: { openid },
  };
}

/** A Date or Unix seconds as Unix seconds. */
export function unixSeconds(value: Date | number, field: string): number {
  const seconds = value instanceof Date ? Math.floor(value.getTime() / 1000) : value;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) throw argsError(field, 'must be a Date or Unix seconds');
  return seconds;
}

export function listBody(input: ShippingListInput = {}): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) throw argsError('input', 'must be an object');
  const range = input.payTimeRange;
  const begin = range?.beginTime === undefined ? undefined : unixSeconds(range.beginTime, 'payTimeRange.beginTime');
  const end = range?.endTime === undefined ? undefined : unixSeconds(range.endTime, 'payTimeRange.endTime');
  const orderState = optionalInt(input.orderState, 'orderState', 1, 6);
  const openid = requireText(input.openid, 'openid', 128, { optional: true });
  const lastIndex = input.lastIndex === undefined ? undefined : requireText(input.lastIndex, 'lastIndex', 1024);
  const pageSize = optionalInt(input.pageSize, 'pageSize', 1, 100);
  return {
    ...(begin !== undefined || end !== undefined ? { pay_time_range: { ...(begin !== undefined ? { begin_time: begin } : {}), ...(end !== undefined ? { end_time: end } : {}) } } : {}),
    ...(orderState !== undefined ? { order_state: orderState } : {}),
    ...(openid ? { openid } : {}),
    ...(lastIndex ? { last_index: lastIndex } : {}),
    ...(pageSize !== undefined ? { page_size: pageSize } : {}),
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

/** One order of WeChat's answer, camelCase. */
export function shippingOrderOf(raw: unknown): ShippingOrder {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const s = o.shipping && typeof o.shipping === 'object' ? (o.shipping as Record<string, unknown>) : undefined;
  const list = Array.isArray(s?.shipping_list) ? (s!.shipping_list as Array<Record<string, unknown>>) : [];
  return {
    transactionId: str(o.transaction_id),
    mchid: str(o.merchant_id),
    ...(o.sub_merchant_id ? { subMchid: str(o.sub_merchant_id) } : {}),
    outTradeNo: str(o.merchant_trade_no),
    description: str(o.description),
    paidAmount: num(o.paid_amount),
    openid: str(o.openid),
    tradeCreateTime: num(o.trade_create_time),
    payTime: num(o.pay_time),
    orderState: num(o.order_state) as ShippingOrderState,
    inComplaint: o.in_complaint === true,
    ...(s
      ? {
          shipping: {
            deliveryMode: num(s.delivery_mode) as DeliveryMode,
            logisticsType: num(s.logistics_type) as LogisticsType,
            finishShipping: s.finish_shipping === true,
            goodsDesc: str(s.goods_desc),
            finishShippingCount: num(s.finish_shipping_count),
            shippingList: list.map((e) => ({ trackingNo: str(e.tracking_no), expressCompany: str(e.express_company), uploadTime: num(e.upload_time) })),
          },
        }
      : {}),
  };
}
