import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPay, wxauth, type PayV3Transaction, type PayV3RefundNotice, type PayV3TransferNotice, type WxAuthRouter } from '../../../lib';
import { createSimMerchantV3, createSimulator, type Simulator } from '../../../lib/simulator';
import { createTestRedis, type TestRedis } from '../../helpers/redis';
import { makeTestCerts } from '../certs';
import { testLogger } from './harness';

// The whole v3 path against the simulator's v3 host, over real HTTP both ways: prepay → pay →
// notify → query → refund → refund notify → bills → transfer → transfer notify, and faults.
const APPID = 'wxmp000000000001';
const MCHID = '1900000109';
const keys = createSimMerchantV3();

let redis: TestRedis;
let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let server: http.Server;
let url: string;
let router: WxAuthRouter;
const paid: PayV3Transaction[] = [];
const refunds: PayV3RefundNotice[] = [];
const bills: PayV3TransferNotice[] = [];
const logger = testLogger();

beforeAll(async () => {
  redis = await createTestRedis('pay-v3-sim');
  sim = createSimulator({
    apps: [{ appid: APPID, secret: 'mp-secret', type: 'mp' }],
    merchants: [{ mchid: MCHID, key: 'k3y0123456789abcdefghijklmnopqrs', appid: APPID, name: 'Test Shop', v3: keys.v3 }],
  });
  ({ url: simUrl, close: closeSim } = await sim.listen());
  const app = express();
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  router = wxauth({
    pay: {
      appid: APPID,
      mchid: MCHID,
      v3: {
        apiV3Key: keys.apiV3Key,
        serialNo: keys.serialNo,
        privateKey: keys.privateKey,
        publicKeyId: sim.payV3.publicKeyId,
        publicKey: sim.payV3.publicKey,
        certificates: { ...sim.payV3.platformCertificates },
      },
    },
    baseUrl: url,
    store: redis.client,
    storePrefix: redis.prefix,
    endpoints: { pay: simUrl },
    logger,
  });
  router.pay.v3
    .onNotify((t) => void paid.push(t), { amountOf: () => 100 })
    .onRefundNotify((r) => void refunds.push(r))
    .onTransferNotify((b) => void bills.push(b));
  app.use(router);
});
afterAll(async () => {
  await sim.payV3.settled();
  await closeSim();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await redis.close();
});

const openid = () => sim.openidOf(APPID, 'alice');
let seq = 0;
const no = (prefix: string) => `${prefix}${Date.now()}${++seq}`;

test('prepay → the payer pays → the notify reaches the handler once (204) → orderQuery SUCCESS → refund → refund notify', async () => {
  const outTradeNo = no('ORD');
  const { prepayId } = await router.pay.v3.prepay({ tradeType: 'JSAPI', description: 'Tea', outTradeNo, total: 100, openid: openid() });
  expect(prepayId).toBeTruthy();
  expect(router.pay.v3.jsapiParams(prepayId!).package).toBe(`prepay_id=${prepayId}`);
  const { order, deliveries } = await sim.payV3.pay(outTradeNo);
  expect(deliveries.map((d) => d.status)).toEqual([204]);
  expect(paid.map((t) => t.out_trade_no)).toEqual([outTradeNo]);
  expect(paid[0]!.transaction_id).toBe(order.transactionId);
  expect(await router.pay.v3.orderQuery({ outTradeNo })).toMatchObject({ trade_state: 'SUCCESS', transaction_id: order.transactionId });

  const outRefundNo = no('REF');
  const refund = await router.pay.v3.refund({ outTradeNo, outRefundNo, refund: 40, total: 100, reason: 'test' });
  expect(refund.out_refund_no).toBe(outRefundNo);
  await sim.payV3.settled();
  expect(refunds.map((r) => [r.out_refund_no, r.refund_status])).toEqual([[outRefundNo, 'SUCCESS']]);
  expect(await router.pay.v3.refundQuery(outRefundNo)).toMatchObject({ status: 'SUCCESS' });
});

test('closeOrder answers a verified 204; a paid order is ORDERPAID; an unknown one ORDER_NOT_EXIST', async () => {
  const open = no('ORD');
  await router.pay.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: open, total: 100 });
  await expect(router.pay.v3.closeOrder(open)).resolves.toBeUndefined();
  await expect(router.pay.v3.orderQuery({ outTradeNo: no('NONE') })).rejects.toMatchObject({ code: 'ORDER_NOT_EXIST' });
});

test('NATIVE and H5 return their URLs', async () => {
  expect((await router.pay.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: no('ORD'), total: 1 })).codeUrl).toMatch(/^weixin:\/\//);
  expect((await router.pay.v3.prepay({ tradeType: 'H5', description: 'x', outTradeNo: no('ORD'), total: 1, payerClientIp: '203.0.113.7' })).h5Url).toMatch(/^https?:\/\//);
});

test('the trade bill and the fund-flow bill arrive SHA-1 checked, GZIP uncompressed', async () => {
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const trade = await router.pay.v3.tradeBill({ billDate: today });
  expect(trade.toString('utf8')).toContain('交易时间');
  const gz = await router.pay.v3.tradeBill({ billDate: today, tarType: 'GZIP' });
  expect(gz.equals(trade)).toBe(true);
  expect((await router.pay.v3.fundFlowBill({ billDate: today })).length).toBeGreaterThan(0);
});

test('transfer: package_info, the user confirms, the notify reaches the handler once; userName is encrypted', async () => {
  const outBillNo = no('B');
  const answer = await router.pay.v3.transfer({
    outBillNo,
    openid: openid(),
    amount: 300000,
    remark: '新会员开通有礼',
    sceneId: '1000',
    userName: '张三',
    sceneReportInfos: [
      { infoType: '活动名称', infoContent: '新会员有礼' },
      { infoType: '奖励说明', infoContent: '注册会员抽奖一等奖' },
    ],
  });
  expect(typeof answer.package_info).toBe('string');
  const { deliveries } = await sim.payV3.confirmTransfer(outBillNo);
  expect(deliveries.map((d) => d.status)).toEqual([204]);
  expect(bills.map((b) => [b.out_bill_no, b.state])).toEqual([[outBillNo, 'SUCCESS']]);
  expect(await router.pay.v3.transferQuery(outBillNo)).toMatchObject({ state: 'SUCCESS' });
});

test('transferCancel of a bill the user has not confirmed', async () => {
  const outBillNo = no('B');
  await router.pay.v3.transfer({ outBillNo, openid: openid(), amount: 100, remark: 'r', sceneId: '1000', sceneReportInfos: [{ infoType: '活动名称', infoContent: 'x' }, { infoType: '奖励说明', infoContent: 'y' }] });
  expect((await router.pay.v3.transferCancel(outBillNo)).state).toMatch(/CANCEL/);
});

describe('faults', () => {
  test.each([
    ['a probe signature', { probe: true }],
    ['a stale timestamp', { staleSeconds: 300 }],
    ['a future timestamp', { staleSeconds: -300 }],
    ['a foreign key', { foreignKey: true }],
    ['an unknown serial', { serial: 'PUB_KEY_ID_0119999999999999999999999999' }],
    ['no signature', { unsigned: true }],
  ])('an answer with %s is a sign_error', async (_name, spec) => {
    const outTradeNo = no('ORD');
    await router.pay.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo, total: 1 });
    sim.payV3.faults.inject(`/v3/pay/transactions/out-trade-no/${outTradeNo}`, spec);
    await expect(router.pay.v3.orderQuery({ outTradeNo })).rejects.toMatchObject({ code: 'sign_error' });
  });

  test('a 500 SYSTEM_ERROR answer: its code, not retried', async () => {
    sim.payV3.faults.inject('/v3/pay/transactions/native', { status: 500 });
    await expect(router.pay.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: no('ORD'), total: 1 })).rejects.toMatchObject({ code: 'SYSTEM_ERROR' });
  });

  test('a probe-signed notify is refused (non-2xx), the redelivery is processed once', async () => {
    const outTradeNo = no('ORD');
    await router.pay.v3.prepay({ tradeType: 'JSAPI', description: 'x', outTradeNo, total: 100, openid: openid() });
    sim.payV3.faults.inject('notify', { probe: true });
    const before = paid.length;
    const { deliveries } = await sim.payV3.pay(outTradeNo);
    expect(deliveries.map((d) => d.status)).toEqual([401, 204]);
    expect(paid.slice(before).map((t) => t.out_trade_no)).toEqual([outTradeNo]);
  });

  test('an amount mismatch is never acknowledged', async () => {
    const outTradeNo = no('ORD');
    await router.pay.v3.prepay({ tradeType: 'JSAPI', description: 'x', outTradeNo, total: 99, openid: openid() });
    const before = paid.length;
    const { deliveries } = await sim.payV3.pay(outTradeNo);
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.status === 400)).toBe(true);
    expect(paid.length).toBe(before);
  });

  test('switch mode: certificate-signed and public-key-signed answers both verify', async () => {
    sim.payV3.setMode(MCHID, 'switch');
    try {
      for (let i = 0; i < 6; i++) {
        const outTradeNo = no('ORD');
        await router.pay.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo, total: 1 });
        await expect(router.pay.v3.orderQuery({ outTradeNo })).resolves.toMatchObject({ trade_state: 'NOTPAY' });
      }
    } finally {
      sim.payV3.setMode(MCHID, 'publicKey');
    }
  });
});

test('pay.ca: v3 calls to a TLS pay host that only trusts a test CA', async () => {
  const certs = makeTestCerts(MCHID);
  const tls = await sim.pay.listenTls({ cert: certs.server.cert, key: certs.server.key, ca: certs.ca });
  const v3 = { apiV3Key: keys.apiV3Key, serialNo: keys.serialNo, privateKey: keys.privateKey, publicKeyId: sim.payV3.publicKeyId, publicKey: sim.payV3.publicKey };
  const quiet = { warn: () => undefined, error: () => undefined };
  try {
    const trusted = createPay({ appid: APPID, mchid: MCHID, v3, ca: certs.ca, baseUrl: url, endpoints: { pay: tls.url }, logger: quiet });
    expect((await trusted.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: no('ORD'), total: 1 })).codeUrl).toBeTruthy();
    const untrusted = createPay({ appid: APPID, mchid: MCHID, v3, baseUrl: url, endpoints: { pay: tls.url }, logger: quiet });
    await expect(untrusted.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: no('ORD'), total: 1 })).rejects.toMatchObject({ code: 'network_error' });
  } finally {
    await tls.close();
  }
});
