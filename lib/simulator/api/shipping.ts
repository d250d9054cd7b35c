import express, { type Request, type Response, type Router } from 'express';
import { jsonBody, jsonRoute, rawBody } from '../http';
import type { SimState } from '../state';
import { miniprogramOfToken } from './token-app';
import { fail } from '../state';
import type { SimParcel, SimShipment, SimShipping } from './shipping-state';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_PARCELS = 15;

/**
 * The api host's shipping-info service (`/wxa/sec/order/*`), over the v3 host's paid
 * mini-program orders, with WeChat's errcodes: 10060001 order not found, 10060031 the payer's
 * openid is not the order's, 10060004 refunded or confirmed, 10060003 the one re-upload used,
 * 10060005 logistics_type, 268485224 delivery_mode, 10060006 split for non-express,
 * 10060007 is_all_delivered missing, 10060008 / 10060009 item_desc missing / over 120
 * characters, 10060014 a missing tracking_no / express_company (express) or another parameter,
 * 10060024 more than 15 parcels, 268485228 unified delivery with other than one parcel,
 * 10060025 / 10060026 express_company / tracking_no over 128, 268485216 upload_time not RFC 3339,
 * 268485195 an order_key that names neither form.
 */
export function shippingRoutes(state: SimState, shipping: SimShipping): Router {
  const router = express.Router();

  const miniprogramOf = (req: Request, res: Response): string => miniprogramOfToken(state, req, res);

  /** upload's `order_key`: 1 = mchid + out_trade_no, 2 = transaction_id. */
  const byOrderKey = (appid: string, key: unknown): SimShipment => {
    const k = (key && typeof key === 'object' ? key : {}) as Record<string, unknown>;
    if (k.order_number_type === 2 && typeof k.transaction_id === 'string' && k.transaction_id) return shipping.find(appid, { transactionId: k.transaction_id });
    if (k.order_number_type === 1 && typeof k.mchid === 'string' && typeof k.out_trade_no === 'string') return shipping.find(appid, { mchid: k.mchid, outTradeNo: k.out_trade_no });
    return fail(268485195);
  };

  /** get_order / notify_confirm_receive: `transaction_id`, or `merchant_id` + `merchant_trade_no`. */
  const byQueryKey = (appid: string, body: Record<string, unknown>): SimShipment => {
    if (typeof body.transaction_id === 'string' && body.transaction_id) return shipping.find(appid, { transactionId: body.transaction_id });
    if (typeof body.merchant_id === 'string' && typeof body.merchant_trade_no === 'string') return shipping.find(appid, { mchid: body.merchant_id, outTradeNo: body.merchant_trade_no });
    return fail(268485195);
  };

  const orderJson = (s: SimShipment): Record<string, unknown> => {
    const order = shipping.paidOrder(s.transactionId);
    return {
      transaction_id: s.transactionId,
      merchant_id: s.mchid,
      merchant_trade_no: s.outTradeNo,
      description: order?.description ?? '',
      paid_amount: order?.total ?? 0,
      openid: s.openid,
      trade_create_time: Math.floor((order?.createdAt ?? 0) / 1000),
      pay_time: Math.floor((order?.successTime ?? 0) / 1000),
      order_state: s.orderState,
      in_complaint: false,
      ...(s.parcels.length
        ? {
            shipping: {
              delivery_mode: s.deliveryMode,
              logistics_type: s.logisticsType,
              finish_shipping: s.finishShipping,
              goods_desc: s.parcels.map((p) => p.itemDesc).join(';'),
              finish_shipping_count: s.uploads,
              shipping_list: s.parcels.map((p) => ({ tracking_no: p.trackingNo, express_company: p.expressCompany, upload_time: p.uploadTime })),
            },
          }
        : {}),
    };
  };

  router.post(
    '/wxa/sec/order/upload_shipping_info',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = jsonBody(req);
      const logisticsType = body.logistics_type;
      if (typeof logisticsType !== 'number' || ![1, 2, 3, 4].includes(logisticsType)) fail(10060005);
      const deliveryMode = body.delivery_mode;
      if (deliveryMode !== 1 && deliveryMode !== 2) fail(268485224);
      if (deliveryMode === 2 && logisticsType !== 1) fail(10060006);
      if (deliveryMode === 2 && typeof body.is_all_delivered !== 'boolean') fail(10060007);
      const list = body.shipping_list;
      if (!Array.isArray(list) || list.length === 0) fail(10060014);
      if (list.length > MAX_PARCELS) fail(10060024);
      if (deliveryMode === 1 && list.length !== 1) fail(268485228);
      const uploadTime = body.upload_time;
      if (typeof uploadTime !== 'string' || !RFC3339.test(uploadTime) || Number.isNaN(Date.parse(uploadTime))) fail(268485216);
      const seconds = Math.floor(Date.parse(uploadTime) / 1000);
      const parcels: SimParcel[] = list.map((raw: unknown) => {
        const p = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
        const itemDesc = p.item_desc;
        if (typeof itemDesc !== 'string' || !itemDesc) fail(10060008);
        if ([...itemDesc].length > 120) fail(10060009);
        const trackingNo = typeof p.tracking_no === 'string' ? p.tracking_no : '';
        const expressCompany = typeof p.express_company === 'string' ? p.express_company : '';
        if (logisticsType === 1 && (!trackingNo || !expressCompany)) fail(10060014);
        if (expressCompany.length > 128) fail(10060025);
        if (trackingNo.length > 128) fail(10060026);
        return { trackingNo, expressCompany, itemDesc, uploadTime: seconds };
      });
      const shipment = byOrderKey(appid, body.order_key);
      const openid = (body.payer as { openid?: unknown } | undefined)?.openid;
      if (typeof openid !== 'string' || !openid) fail(10060014);
      if (openid !== shipment.openid) fail(10060031);
      shipping.upload(shipment, { logisticsType, deliveryMode, ...(deliveryMode === 2 ? { isAllDelivered: body.is_all_delivered === true } : {}), parcels });
      return { errcode: 0, errmsg: 'ok' };
    }),
  );

  router.post(
    '/wxa/sec/order/get_order',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      return { errcode: 0, errmsg: 'ok', order: orderJson(byQueryKey(appid, jsonBody(req))) };
    }),
  );

  router.post(
    '/wxa/sec/order/get_order_list',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = req.body && String(req.body).trim() ? jsonBody(req) : {};
      const range = (body.pay_time_range ?? {}) as { begin_time?: unknown; end_time?: unknown };
      const pageSize = body.page_size === undefined ? 100 : body.page_size;
      if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) fail(10060014);
      const start = body.last_index === undefined ? 0 : Number(body.last_index);
      if (!Number.isInteger(start) || start < 0) fail(10060014);
      const matching = shipping.all(appid).filter((s) => {
        const paid = Math.floor((shipping.paidOrder(s.transactionId)?.successTime ?? 0) / 1000);
        if (typeof range.begin_time === 'number' && paid < range.begin_time) return false;
        if (typeof range.end_time === 'number' && paid > range.end_time) return false;
        if (body.order_state !== undefined && s.orderState !== body.order_state) return false;
        return body.openid === undefined || s.openid === body.openid;
      });
      const page = matching.slice(start, start + pageSize);
      const next = start + page.length;
      return { errcode: 0, errmsg: 'ok', order_list: page.map(orderJson), last_index: String(next), has_more: next < matching.length };
    }),
  );

  router.post(
    '/wxa/sec/order/notify_confirm_receive',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = jsonBody(req);
      const shipment = byQueryKey(appid, body);
      if (typeof body.received_time !== 'number' || !Number.isInteger(body.received_time)) fail(10060014);
      // A reminder is for a shipped order, and WeChat sends it once.
      if (shipment.orderState !== 2 || shipment.remindedAt !== undefined) fail(10060004);
      shipment.remindedAt = state.now();
      return { errcode: 0, errmsg: 'ok' };
    }),
  );

  router.post(
    '/wxa/sec/order/set_msg_jump_path',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const path = jsonBody(req).path;
      if (typeof path !== 'string' || !path) fail(10060014);
      shipping.setJumpPath(appid, path);
      return { errcode: 0, errmsg: 'ok' };
    }),
  );

  router.post(
    '/wxa/sec/order/is_trade_managed',
    rawBody,
    jsonRoute((req, res) => {
      miniprogramOf(req, res);
      const appid = jsonBody(req).appid;
      if (typeof appid !== 'string' || !state.app(appid)) fail(40013);
      return { errcode: 0, errmsg: 'ok', is_trade_managed: shipping.tradeManaged(appid) };
    }),
  );

  return router;
}
