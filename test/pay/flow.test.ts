import request from 'supertest';
import { WxAuthError } from '../../lib/errors';
import type { PayNotifyOrder, RefundNotifyInfo } from '../../lib/pay/types';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { makeTestCerts, type TestCerts } from './certs';
import { APPID, MCHID, startPayApp, startPaySim, type PaySim } from './helpers';

let redis: TestRedis;
let sim: PaySim;
let certs: TestCerts;
let shop: Awaited<ReturnType<typeof startPayApp>>;
const paid: Array<[PayNotifyOrder, string]> = [];
const refunded: RefundNotifyInfo[] = [];
let failNext = 0;

beforeAll(async () => {
  redis = await createTestRedis('pay-flow');
  sim = await startPaySim();
  certs = makeTestCerts(MCHID);
  shop = await startPayApp({ store: redis.store, payUrl: sim.url, pay: { cert: { pfx: certs.clientPfx }, sendName: 'Test Shop' } });
  shop.api
    .onNotify(async (order, type) => {
      if (failNext > 0) {
        failNext--;
        throw new Error('temporary failure');
      }
      paid.push([order, type]);
    })
    .onRefundNotify(async (info) => void refunded.push(info));
});
afterAll(async () => {
  await sim.close();
  await shop.close();
  await redis.close();
  certs.cleanup();
});
beforeEach(() => {
  paid.length = 0;
  refunded.length = 0;
});

let n = 0;
const tradeNo = () => `F${Date.now()}${++n}`;

async function payAtCashier(prepayId: string, redirect: string): Promise<request.Response> {
  const page = await request(sim.url).get(sim.host.cashierPath(prepayId, redirect));
  expect(page.status).toBe(200);
  expect(page.text).toContain('id="pay"');
  const form = Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!.replace(/&#38;/g, '&')]));
  return request(sim.url).post('/sim/pay/cashier').type('form').send({ ...form, user: 'alice' });
}

describe('checkout → cashier → notify → refund, over HTTP against the simulator', () => {
  test('prepay, pay at the cashier: the notify (delivered 3 times) reaches the handler once, orderQuery says SUCCESS', async () => {
    const no = tradeNo();
    const r = await shop.api.prepay({ body: 'Green tea', outTradeNo: no, totalFee: 1200, tradeType: 'NATIVE', type: 'tea' });
    expect((await shop.api.orderQuery({ outTradeNo: no })).tradeState).toBe('NOTPAY');

    const res = await payAtCashier(r.prepayId, `${shop.url}/orders/${no}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${shop.url}/orders/${no}`);
    await sim.host.settled();

    expect(paid).toHaveLength(1);
    expect(paid[0]![1]).toBe('tea');
    expect(paid[0]![0]).toMatchObject({ outTradeNo: no, totalFee: 1200, openid: sim.sim.openidOf(APPID, 'alice') });
    const mine = sim.host.deliveries.filter((d) => d.id === paid[0]![0].transactionId);
    expect(mine).toHaveLength(3);
    expect(mine.every((d) => d.ok)).toBe(true);
    const q = await shop.api.orderQuery({ outTradeNo: no });
    expect(q).toMatchObject({ tradeState: 'SUCCESS', transactionId: paid[0]![0].transactionId, totalFee: 1200 });
  });

  test('the cashier shows a paid order as paid, with a way back instead of a Pay button', async () => {
    const r = await shop.api.prepay({ body: 'Tea', outTradeNo: tradeNo(), totalFee: 1, openid: sim.sim.openidOf(APPID, 'bob') });
    await sim.host.payOrder(r.prepayId);
    const page = await request(sim.url).get(sim.host.cashierPath(r.prepayId));
    expect(page.text).toMatch(/<span id="state">SUCCESS<\/span>/);
    expect(page.text).not.toContain('id="pay"');
    expect(page.text).toContain('id="back-to-shop"');
  });

  test('the handler fails on the first delivery: FAIL, then a later delivery processes it', async () => {
    failNext = 1;
    const r = await shop.api.prepay({ body: 'Tea', outTradeNo: tradeNo(), totalFee: 5, openid: sim.sim.openidOf(APPID, 'alice') });
    const { order, deliveries } = await sim.host.payOrder(r.prepayId);
    expect(deliveries.map((d) => d.ok)).toEqual([false, true, true]);
    expect(paid).toHaveLength(1);
    expect(paid[0]![0].transactionId).toBe(order.transactionId);
  });

  test('refund: the encrypted refund notify reaches onRefundNotify once; refundQuery and orderQuery agree', async () => {
    const no = tradeNo();
    const r = await shop.api.prepay({ body: 'Tea', outTradeNo: no, totalFee: 1000, openid: sim.sim.openidOf(APPID, 'alice') });
    await sim.host.payOrder(r.prepayId);

    const refund = await shop.api.refund({ outTradeNo: no, outRefundNo: `${no}R1`, totalFee: 1000, refundFee: 400 });
    expect(refund.refundId).toMatch(/^50\d+/);
    expect(refund.refundFee).toBe(400);
    await sim.host.settled();
    expect(refunded).toHaveLength(1);
    expect(refunded[0]).toMatchObject({ refundId: refund.refundId, outRefundNo: `${no}R1`, outTradeNo: no, refundStatus: 'SUCCESS', refundFee: 400, totalFee: 1000, appid: APPID, mch_id: MCHID });
    expect(sim.host.deliveries.filter((d) => d.kind === 'refund' && d.id === refund.refundId).every((d) => d.ok)).toBe(true);

    const q = await shop.api.refundQuery({ outTradeNo: no });
    expect(q.refunds).toEqual([{ outRefundNo: `${no}R1`, refundId: refund.refundId, refundFee: 400, refundStatus: 'SUCCESS' }]);
    expect((await shop.api.orderQuery({ outTradeNo: no })).tradeState).toBe('REFUND');

    // The same refund number again is the same refund (WeChat's idempotency), with no second notify.
    const again = await shop.api.refund({ outTradeNo: no, outRefundNo: `${no}R1`, totalFee: 1000, refundFee: 400 });
    expect(again.refundId).toBe(refund.refundId);
    await sim.host.settled();
    expect(refunded).toHaveLength(1);

    await expect(shop.api.refund({ outTradeNo: no, outRefundNo: `${no}R2`, totalFee: 1000, refundFee: 700 })).rejects.toMatchObject({ code: 'NOTENOUGH' });
  });

  test('refund arguments are checked before any request', async () => {
    await expect(shop.api.refund({ outTradeNo: 'A', outRefundNo: 'B', totalFee: 100, refundFee: 101 })).rejects.toMatchObject({ code: 'args_error', field: 'refundFee' });
    await expect(shop.api.refund({ outRefundNo: 'B', totalFee: 100, refundFee: 1 } as never)).rejects.toMatchObject({ code: 'args_error', field: 'outTradeNo' });
  });

  test('a refund notify that does not decrypt, or names another merchant, is FAIL', async () => {
    const bad = await request(shop.url).post('/wxpay/refund/callback').type('text/xml').send(`<xml><return_code>SUCCESS</return_code><appid>${APPID}</appid><mch_id>${MCHID}</mch_id><req_info>AAAAAAAAAAAAAAAAAAAAAA==</req_info></xml>`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('FAIL');
    const other = await request(shop.url).post('/wxpay/refund/callback').type('text/xml').send(`<xml><return_code>SUCCESS</return_code><appid>${APPID}</appid><mch_id>1234567</mch_id><req_info>AAAA</req_info></xml>`);
    expect(other.text).toContain('mch_id mismatch');
    expect(refunded).toHaveLength(0);
  });

  test('red packet: sent, recorded by the pay host; the unsigned answer is accepted after the merchant checks', async () => {
    const openid = sim.sim.openidOf(APPID, 'alice');
    const billno = `RP${Date.now()}`.slice(0, 28);
    const r = await shop.api.sendRedPack({ mchBillno: billno, reOpenid: openid, totalAmount: 188, wishing: 'Happy new year', actName: 'New year', remark: 'Thanks' });
    expect(r.sendListid).toBeTruthy();
    expect(r.sign).toBeUndefined(); // WeChat's red packet API does not sign its answer
    expect(sim.host.redPacks.at(-1)).toMatchObject({ mchBillno: billno, reOpenid: openid, totalAmount: 188, sendName: 'Test Shop' });
    await expect(shop.api.sendRedPack({ mchBillno: `${billno}X`, reOpenid: openid, totalAmount: 50, wishing: 'w', actName: 'a', remark: 'r' })).rejects.toMatchObject({ code: 'MONEY_LIMIT' });
  });

  test('red packet: mch_billno over 28 characters is an args_error', async () => {
    await expect(
      shop.api.sendRedPack({ mchBillno: 'X'.repeat(29), reOpenid: 'o1', totalAmount: 100, wishing: 'w', actName: 'a', remark: 'r' }),
    ).rejects.toMatchObject({ code: 'args_error', field: 'mchBillno' });
  });

  test('refund and red packets need pay.cert: config_error naming it', async () => {
    const noCert = await startPayApp({ store: redis.store, payUrl: sim.url });
    try {
      const e = await noCert.api.refund({ outTradeNo: 'A1', outRefundNo: 'R1', totalFee: 1, refundFee: 1 }).catch((error: unknown) => error);
      expect(e).toBeInstanceOf(WxAuthError);
      expect(e).toMatchObject({ code: 'config_error', field: 'pay.cert' });
    } finally {
      await noCert.close();
    }
  });
});
