import { uploadBody, type ShippingUploadInput } from '../../lib/client/shipping';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { MINI, MP } from './harness';
import { MCHID, startShop, type Shop } from './shop-harness';

// client.shipping against the simulator over HTTP: orders paid through its v3 mini-program pay
// await shipping until an upload, with WeChat's errcodes.
let redis: TestRedis;
let shop: Shop;
const UPLOAD = '/wxa/sec/order/upload_shipping_info';

beforeAll(async () => {
  redis = await createTestRedis('shipping');
  shop = await startShop(redis);
});
afterAll(async () => {
  await shop.close();
  await redis.close();
});

const express = (transactionId: string, openid: string, extra: Partial<ShippingUploadInput> = {}): ShippingUploadInput => ({
  order: { transactionId },
  logisticsType: 1,
  deliveryMode: 1,
  shippingList: [{ trackingNo: 'ZT1234567890', expressCompany: 'ZTO', itemDesc: 'Green tea ×2' }],
  payer: { openid },
  ...extra,
});

describe('client.shipping', () => {
  test('a paid mini-program order awaits shipping; an express upload records it; getOrder shows it shipped', async () => {
    const { transactionId, outTradeNo, openid, statuses } = await shop.payOrder({ total: 250 });
    expect(statuses).toEqual([204]);
    const before = await shop.router.client.shipping.getOrder({ transactionId });
    expect(before).toMatchObject({ transactionId, mchid: MCHID, outTradeNo, openid, paidAmount: 250, description: 'Green tea', orderState: 1, inComplaint: false });
    expect(before.shipping).toBeUndefined();

    await shop.router.client.shipping.upload(express(transactionId, openid));
    const after = await shop.router.client.shipping.getOrder({ mchid: MCHID, outTradeNo });
    expect(after.orderState).toBe(2);
    expect(after.shipping).toMatchObject({ deliveryMode: 1, logisticsType: 1, finishShipping: true, goodsDesc: 'Green tea ×2' });
    expect(after.shipping!.shippingList).toEqual([{ trackingNo: 'ZT1234567890', expressCompany: 'ZTO', uploadTime: expect.any(Number) }]);
    // The default upload_time is now, in RFC 3339 (the simulator read it back as seconds).
    expect(Math.abs(after.shipping!.shippingList[0]!.uploadTime - Date.now() / 1000)).toBeLessThan(60);
  });

  test('WeChat allows one re-upload: the third upload is 10060003', async () => {
    const { transactionId, openid } = await shop.payOrder();
    const shipping = shop.router.client.shipping;
    await shipping.upload(express(transactionId, openid));
    await shipping.upload(express(transactionId, openid, { shippingList: [{ trackingNo: 'SF1', expressCompany: 'SF', itemDesc: 'Green tea', contact: { receiverContact: '189****1234' } }] }));
    await expect(shipping.upload(express(transactionId, openid))).rejects.toMatchObject({ code: 'wechat_error', errcode: 10060003 });
    expect(shop.sim.shipping.byTransactionId(transactionId)).toMatchObject({ uploads: 2, parcels: [expect.objectContaining({ trackingNo: 'SF1' })] });
  });

  test('split delivery adds parcels until isAllDelivered', async () => {
    const { transactionId, openid } = await shop.payOrder();
    const parcel = (n: number) => ({ trackingNo: `ZT${n}`, expressCompany: 'ZTO', itemDesc: `Parcel ${n}` });
    await shop.router.client.shipping.upload(express(transactionId, openid, { deliveryMode: 2, isAllDelivered: false, shippingList: [parcel(1)] }));
    expect((await shop.router.client.shipping.getOrder({ transactionId })).shipping).toMatchObject({ finishShipping: false });
    await shop.router.client.shipping.upload(express(transactionId, openid, { deliveryMode: 2, isAllDelivered: true, shippingList: [parcel(2), parcel(3)] }));
    const order = await shop.router.client.shipping.getOrder({ transactionId });
    expect(order.shipping).toMatchObject({ finishShipping: true });
    expect(order.shipping!.shippingList.map((p) => p.trackingNo)).toEqual(['ZT1', 'ZT2', 'ZT3']);
  });

  test('an unknown payment is 10060001; another payer’s openid is 10060031', async () => {
    const { transactionId } = await shop.payOrder();
    await expect(shop.router.client.shipping.getOrder({ transactionId: '4200000000000000000000000000' })).rejects.toMatchObject({ code: 'wechat_error', errcode: 10060001 });
    await expect(shop.router.client.shipping.upload(express(transactionId, shop.sim.openidOf(MINI.appid, 'bob')))).rejects.toMatchObject({ code: 'wechat_error', errcode: 10060031 });
  });

  test('an official account’s payment is not in the mini program’s shipping service', async () => {
    const { transactionId, openid } = await shop.payOrder({ appid: MP.appid });
    await expect(shop.router.client.shipping.upload(express(transactionId, openid))).rejects.toMatchObject({ errcode: 10060001 });
  });

  test('list pages through the orders with lastIndex and filters by state', async () => {
    const a = await shop.payOrder();
    await shop.payOrder();
    const shipping = shop.router.client.shipping;
    await shipping.upload(express(a.transactionId, a.openid));
    const all: string[] = [];
    let lastIndex: string | undefined;
    for (;;) {
      const page = await shipping.list({ pageSize: 1, ...(lastIndex ? { lastIndex } : {}) });
      all.push(...page.orders.map((o) => o.transactionId));
      if (!page.hasMore) break;
      lastIndex = page.lastIndex;
    }
    expect(all).toEqual(shop.sim.shipping.all(MINI.appid).map((s) => s.transactionId));
    const shipped = await shipping.list({ orderState: 2, openid: a.openid, payTimeRange: { beginTime: new Date(Date.now() - 3600_000) } });
    expect(shipped.orders.map((o) => o.transactionId)).toContain(a.transactionId);
    expect(shipped.orders.every((o) => o.orderState === 2)).toBe(true);
  });

  test('notifyConfirmReceive: only for a shipped order, once', async () => {
    const { transactionId, openid } = await shop.payOrder();
    const shipping = shop.router.client.shipping;
    await expect(shipping.notifyConfirmReceive({ order: { transactionId }, receivedTime: new Date() })).rejects.toMatchObject({ errcode: 10060004 });
    await shipping.upload(express(transactionId, openid));
    await shipping.notifyConfirmReceive({ order: { transactionId }, receivedTime: new Date() });
    expect(shop.sim.shipping.byTransactionId(transactionId)!.remindedAt).toEqual(expect.any(Number));
    await expect(shipping.notifyConfirmReceive({ order: { transactionId }, receivedTime: new Date() })).rejects.toMatchObject({ errcode: 10060004 });
  });

  test('setMsgJumpPath and isTradeManaged', async () => {
    await shop.router.client.shipping.setMsgJumpPath('pages/order/detail');
    expect(shop.sim.shipping.jumpPath(MINI.appid)).toBe('pages/order/detail');
    expect(await shop.router.client.shipping.isTradeManaged()).toBe(true);
    shop.sim.shipping.setTradeManaged(MINI.appid, false);
    expect(await shop.router.client.shipping.isTradeManaged()).toBe(false);
    shop.sim.shipping.setTradeManaged(MINI.appid, true);
  });

  test('WeChat’s input errcodes (here upload_time, 268485216) are args_error with the errcode kept', async () => {
    const { transactionId, openid } = await shop.payOrder();
    shop.sim.faults.inject(UPLOAD, { errcode: 268485216 });
    await expect(shop.router.client.shipping.upload(express(transactionId, openid))).rejects.toMatchObject({ code: 'args_error', errcode: 268485216 });
  });
});

describe('shipping upload checks, before any call', () => {
  const base = express('4200000001', 'o-alice');
  const now = Date.UTC(2026, 4, 1, 2, 0, 0);
  test.each<[string, Partial<ShippingUploadInput>, string]>([
    ['logisticsType 5', { logisticsType: 5 as never }, 'logisticsType'],
    ['deliveryMode 3', { deliveryMode: 3 as never }, 'deliveryMode'],
    ['express without a tracking number', { shippingList: [{ expressCompany: 'ZTO', itemDesc: 'x' }] }, 'shippingList[0].trackingNo'],
    ['express without a carrier', { shippingList: [{ trackingNo: '1', itemDesc: 'x' }] }, 'shippingList[0].expressCompany'],
    ['an itemDesc of 121 characters', { shippingList: [{ trackingNo: '1', expressCompany: 'ZTO', itemDesc: 'x'.repeat(121) }] }, 'shippingList[0].itemDesc'],
    ['two items for unified delivery', { shippingList: [base.shippingList[0]!, base.shippingList[0]!] }, 'shippingList'],
    ['16 parcels', { deliveryMode: 2, isAllDelivered: true, shippingList: Array.from({ length: 16 }, () => base.shippingList[0]!) }, 'shippingList'],
    ['no items', { shippingList: [] }, 'shippingList'],
    ['split delivery of virtual goods', { logisticsType: 3, deliveryMode: 2, isAllDelivered: true }, 'deliveryMode'],
    ['split delivery without isAllDelivered', { deliveryMode: 2 }, 'isAllDelivered'],
    ['an upload time that is not RFC 3339', { uploadTime: '2026-05-01 10:00:00' }, 'uploadTime'],
    ['SF Express without a phone', { shippingList: [{ trackingNo: 'SF1', expressCompany: 'SF', itemDesc: 'x' }] }, 'shippingList[0].contact'],
    ['no payer', { payer: {} as never }, 'payer.openid'],
    ['an order with neither form', { order: { mchid: 'x' } as never }, 'order.mchid'],
  ])('%s is an args_error naming %s', (_what, change, field) => {
    expect(() => uploadBody({ ...base, ...change }, now)).toThrow(expect.objectContaining({ code: 'args_error', field }));
  });

  test('virtual goods need only the item; the default upload time is now at +08:00', () => {
    const body = uploadBody({ order: { mchid: MCHID, outTradeNo: 'A1' }, logisticsType: 3, deliveryMode: 1, shippingList: [{ itemDesc: 'Membership, 1 month' }], payer: { openid: 'o-alice' } }, now);
    expect(body).toEqual({
      order_key: { order_number_type: 1, mchid: MCHID, out_trade_no: 'A1' },
      logistics_type: 3,
      delivery_mode: 1,
      shipping_list: [{ item_desc: 'Membership, 1 month' }],
      upload_time: '2026-05-01T10:00:00.000+08:00',
      payer: { openid: 'o-alice' },
    });
  });
});
