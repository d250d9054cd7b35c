import request from 'supertest';
import type { PayNotifyOrder, RefundNotifyInfo } from '../../lib/pay/types';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { makeTestCerts, type TestCerts } from './certs';
import { APPID, MCHID, payNotify, startPayApp, startPaySim, type PaySim } from './helpers';

// A merchant configured with HMAC-SHA256 takes nothing signed with MD5; the simulator, like
// WeChat, signs each answer and notify the way the merchant's request was signed, so the whole
// flow (order, notify, query, refund, refund notify, red packet) still works.
let redis: TestRedis;
let sim: PaySim;
let certs: TestCerts;
let shop: Awaited<ReturnType<typeof startPayApp>>;
const paid: PayNotifyOrder[] = [];
const refunded: RefundNotifyInfo[] = [];

beforeAll(async () => {
  redis = await createTestRedis('pay-hmac-flow');
  sim = await startPaySim();
  certs = makeTestCerts(MCHID);
  shop = await startPayApp({ store: redis.store, payUrl: sim.url, pay: { signType: 'HMAC-SHA256', cert: { pfx: certs.clientPfx }, sendName: 'Test Shop' } });
  shop.api.onNotify(async (order) => void paid.push(order)).onRefundNotify(async (info) => void refunded.push(info));
});
afterAll(async () => {
  await sim.close();
  await shop.close();
  await redis.close();
  certs.cleanup();
});

test('HMAC-SHA256 merchant: the simulator answers and notifies in HMAC-SHA256, every step goes through, an MD5-signed notify does not', async () => {
  const no = `H${Date.now()}`;
  const openid = sim.sim.openidOf(APPID, 'alice');
  const { prepayId } = await shop.api.prepay({ body: 'Tea', outTradeNo: no, totalFee: 800, openid });
  const { order, deliveries } = await sim.host.payOrder(prepayId);
  expect(order.signType).toBe('HMAC-SHA256');
  expect(deliveries.length).toBeGreaterThanOrEqual(3);
  expect(deliveries.every((d) => d.ok)).toBe(true);
  expect(paid.map((o) => o.transactionId)).toEqual([order.transactionId]);
  expect(paid[0]!.sign).toHaveLength(64); // an HMAC-SHA256 signature, not MD5's 32

  expect((await shop.api.orderQuery({ outTradeNo: no })).tradeState).toBe('SUCCESS');
  const refund = await shop.api.refund({ outTradeNo: no, outRefundNo: `${no}R`, totalFee: 800, refundFee: 300 });
  await sim.host.settled();
  expect(refunded.map((r) => r.refundId)).toEqual([refund.refundId]);
  expect((await shop.api.refundQuery({ outRefundNo: `${no}R` })).refunds[0]).toMatchObject({ refundFee: 300 });

  // …and the same merchant refuses a notify signed with MD5, even one that says sign_type=MD5.
  const md5 = await request(shop.url).post('/wxpay/pay/callback').type('text/xml').send(payNotify({ sign_type: 'MD5' }).xml);
  expect(md5.text).toContain('invalid sign');

  const pack = await shop.api.sendRedPack({ mchBillno: `HRP${Date.now()}`, reOpenid: openid, totalAmount: 100, wishing: 'w', actName: 'a', remark: 'r' });
  expect(pack.sendListid).toBeTruthy();
});
