import { createPay, wxauth, type PayV3Transaction } from '../../lib';
import { defaultRandomHex } from '../../lib/context';
import { WxAuthError } from '../../lib/errors';
import { AutoShipper } from '../../lib/pay/v3/auto-ship';
import { createSimMerchantV3 } from '../../lib/simulator';
import { MemoryStore } from '../../lib/store/memory';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { MINI, MP } from './harness';
import { eventually, MCHID, startShop, type Shop } from './shop-harness';

// pay.v3.autoShipVirtualGoods over real HTTP: the simulator pays a mini-program order, its notify
// reaches the app (204), then the app records the shipping as virtual goods — once, in the
// background, retried after a failure, never failing the notify.
let redis: TestRedis;
const UPLOAD = '/wxa/sec/order/upload_shipping_info';

beforeAll(async () => {
  redis = await createTestRedis('auto-ship');
});
afterAll(async () => {
  await redis.close();
});

describe('a mini-program payment with autoShipVirtualGoods', () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await startShop(redis, { itemDesc: (t) => `Membership for order ${t.out_trade_no}`, retryDelaysMs: [10, 20] });
  });
  afterAll(async () => {
    await shop.close();
  });
  beforeEach(() => {
    shop.sim.payV3.policy.duplicates = 0;
  });

  test('pay → notify handled (204) → the simulator’s order shows shipped as virtual goods', async () => {
    const { transactionId, outTradeNo, statuses } = await shop.payOrder();
    expect(statuses).toEqual([204]);
    expect(shop.paid.map((t) => t.transaction_id)).toContain(transactionId);
    await eventually(() => shop.sim.shipping.byTransactionId(transactionId)?.orderState === 2, 'the shipping upload');
    expect(shop.sim.shipping.byTransactionId(transactionId)).toMatchObject({ logisticsType: 3, deliveryMode: 1, finishShipping: true, parcels: [expect.objectContaining({ itemDesc: `Membership for order ${outTradeNo}`, trackingNo: '' })] });
    // And WeChat's own view through the client agrees.
    expect(await shop.router.client.shipping.getOrder({ transactionId })).toMatchObject({ orderState: 2, shipping: { logisticsType: 3 } });
  });

  test('repeated notifies of one payment run the handler once and upload once', async () => {
    shop.sim.payV3.policy.duplicates = 2;
    const uploadsBefore = shop.sim.calls(UPLOAD);
    const { transactionId, statuses } = await shop.payOrder();
    expect(statuses).toEqual([204, 204, 204]);
    await eventually(() => shop.sim.shipping.byTransactionId(transactionId)?.orderState === 2, 'the shipping upload');
    await shop.router.pay.v3.settleAutoShipping();
    expect(shop.paid.filter((t) => t.transaction_id === transactionId)).toHaveLength(1);
    expect(shop.sim.calls(UPLOAD) - uploadsBefore).toBe(1);
    expect(shop.sim.shipping.byTransactionId(transactionId)!.uploads).toBe(1);
  });

  test('a failed upload is logged and retried; the notify was acknowledged all the same', async () => {
    shop.sim.faults.inject(UPLOAD, { errcode: -1 });
    const uploadsBefore = shop.sim.calls(UPLOAD);
    const { transactionId, statuses } = await shop.payOrder();
    expect(statuses).toEqual([204]);
    await eventually(() => shop.sim.shipping.byTransactionId(transactionId)?.orderState === 2, 'the retried upload');
    expect(shop.sim.calls(UPLOAD) - uploadsBefore).toBe(2);
    expect(shop.logger.text()).toContain('auto shipping (virtual goods) failed; will retry');
    expect(shop.logger.text()).toContain(transactionId);
  });

  test('when every attempt fails it gives up with a log line, the payment stays awaiting shipping and the notify stays 204', async () => {
    shop.sim.faults.inject(UPLOAD, { errcode: 45009, times: 3 });
    const { transactionId, statuses } = await shop.payOrder();
    expect(statuses).toEqual([204]);
    await shop.router.pay.v3.settleAutoShipping();
    expect(shop.sim.shipping.byTransactionId(transactionId)!.orderState).toBe(1);
    expect(shop.logger.text()).toContain('giving up: record it with client.shipping.upload');
    // No token, secret or errmsg text of WeChat's in the log line.
    expect(shop.logger.text()).not.toContain(MINI.secret);
    // The app records it itself later: nothing is left half-done.
    await shop.router.client.shipping.upload({ order: { transactionId }, logisticsType: 3, deliveryMode: 1, shippingList: [{ itemDesc: 'Membership' }], payer: { openid: shop.sim.openidOf(MINI.appid, 'alice') } });
    expect(shop.sim.shipping.byTransactionId(transactionId)!.orderState).toBe(2);
  });

  test('an official account’s payment is not shipped', async () => {
    const uploadsBefore = shop.sim.calls(UPLOAD);
    const { transactionId, statuses } = await shop.payOrder({ appid: MP.appid });
    expect(statuses).toEqual([204]);
    await shop.router.pay.v3.settleAutoShipping();
    expect(shop.sim.calls(UPLOAD)).toBe(uploadsBefore);
    expect(shop.paid.map((t) => t.transaction_id)).toContain(transactionId);
  });
});

describe('AutoShipper', () => {
  const tx = { appid: MINI.appid, mchid: MCHID, out_trade_no: 'A1', transaction_id: '4200001', trade_state: 'SUCCESS', trade_type: 'JSAPI', amount: { total: 1 }, payer: { openid: 'o-alice' } } as PayV3Transaction;
  const shipperWith = (upload: () => Promise<void>) => {
    const logger = captureLogger();
    const ctx = { http: undefined as never, store: new MemoryStore(), now: Date.now, randomHex: defaultRandomHex, logger };
    const shipper = new AutoShipper({ ctx, mchid: MCHID, miniprogramAppid: MINI.appid, upload, once: { lockSeconds: 60, waitMs: 0, rememberSeconds: 3600, logger } }, { itemDesc: 'x', retryDelaysMs: [1] });
    return { shipper, logger };
  };

  test('“already shipped” (10060002 / 10060003) from WeChat is done, not a failure', async () => {
    let calls = 0;
    const { shipper, logger } = shipperWith(async () => {
      calls++;
      throw new WxAuthError('wechat_error', 'shipped', { errcode: 10060003 });
    });
    shipper.afterHandled(tx, {});
    await shipper.settled();
    shipper.afterHandled(tx, {});
    await shipper.settled();
    expect(calls).toBe(1);
    expect(logger.lines).toEqual([]);
  });

  test('a refused input is not retried', async () => {
    let calls = 0;
    const { shipper, logger } = shipperWith(async () => {
      calls++;
      throw new WxAuthError('args_error', '"itemDesc" too long', { field: 'shippingList[0].itemDesc' });
    });
    shipper.afterHandled(tx, {});
    await shipper.settled();
    expect(calls).toBe(1);
    expect(logger.text()).toContain('giving up');
  });

  test('only JSAPI payments of the mini program, with a payer', () => {
    const { shipper } = shipperWith(async () => undefined);
    expect(shipper.applies(tx)).toBe(true);
    expect(shipper.applies({ ...tx, appid: MP.appid })).toBe(false);
    expect(shipper.applies({ ...tx, trade_type: 'NATIVE' })).toBe(false);
    expect(shipper.applies({ ...tx, payer: {} })).toBe(false);
  });
});

describe('autoShipVirtualGoods options, checked at construction', () => {
  const keys = createSimMerchantV3();
  const v3 = (extra: object) => ({ apiV3Key: keys.apiV3Key, serialNo: keys.serialNo, privateKey: keys.privateKey, publicKeyId: 'PUB_KEY_ID_0112345678', publicKey: keys.publicKey, ...extra });

  test('without a mini program it is a config_error naming the option', () => {
    expect(() => wxauth({ mp: MP, pay: { appid: MP.appid, mchid: MCHID, v3: v3({ autoShipVirtualGoods: { itemDesc: 'x' } }) } })).toThrow(
      expect.objectContaining({ code: 'config_error', field: 'pay.v3.autoShipVirtualGoods' }),
    );
    expect(() => createPay({ appid: MP.appid, mchid: MCHID, v3: v3({ autoShipVirtualGoods: { itemDesc: 'x' } }) })).toThrow(expect.objectContaining({ code: 'config_error', field: 'pay.v3.autoShipVirtualGoods' }));
  });

  test('the mini program’s appid must be one the merchant takes payments for', () => {
    expect(() => wxauth({ miniprogram: MINI, pay: { appid: MP.appid, mchid: MCHID, v3: v3({ autoShipVirtualGoods: { itemDesc: 'x' } }) } })).toThrow(
      expect.objectContaining({ code: 'config_error', field: 'pay.v3.autoShipVirtualGoods' }),
    );
    expect(() => wxauth({ miniprogram: MINI, pay: { appid: MP.appid, mchid: MCHID, v3: v3({ appids: [MINI.appid], autoShipVirtualGoods: { itemDesc: 'x' } }) } })).not.toThrow();
  });

  test('an itemDesc over 120 characters or of the wrong type names the field', () => {
    for (const itemDesc of ['x'.repeat(121), 42]) {
      expect(() => wxauth({ miniprogram: MINI, pay: { appid: MINI.appid, mchid: MCHID, v3: v3({ autoShipVirtualGoods: { itemDesc } }) } })).toThrow(
        expect.objectContaining({ code: 'config_error', field: expect.stringContaining('pay.v3.autoShipVirtualGoods.itemDesc') }),
      );
    }
  });
});
