import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { wxauth } from '../../lib';
import type { PayNotifyOrder } from '../../lib/pay/types';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { APPID, PAY, payNotify, startPaySim, SUCCESS_XML, type PaySim } from './helpers';

// The whole package as an app uses it: wxauth({ pay, store: redisClient }) mounted on Express.
let redis: TestRedis;
let sim: PaySim;
let server: http.Server;
let url: string;
let router: ReturnType<typeof wxauth>;
const paid: PayNotifyOrder[] = [];

beforeAll(async () => {
  redis = await createTestRedis('pay-wxauth');
  sim = await startPaySim();
  const app = express();
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  router = wxauth({ pay: PAY, baseUrl: url, store: redis.client, storePrefix: redis.prefix, endpoints: { pay: sim.url }, logger: { warn: () => undefined, error: () => undefined } });
  router.pay.onNotify(async (order) => void paid.push(order));
  app.use(router);
});
afterAll(async () => {
  await sim.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await redis.close();
});

test('router.pay: prepay → simulator pays → the notify through wxauth()’s router reaches the handler once', async () => {
  const no = `W${Date.now()}`;
  const { prepayId } = await router.pay.prepay({ body: 'Tea', outTradeNo: no, totalFee: 42, openid: sim.sim.openidOf(APPID, 'alice') });
  const { order, deliveries } = await sim.host.payOrder(prepayId);
  expect(deliveries.every((d) => d.ok)).toBe(true);
  expect(paid.map((o) => o.transactionId)).toEqual([order.transactionId]);
  expect((await router.pay.orderQuery({ outTradeNo: no })).tradeState).toBe('SUCCESS');
});

test('done marks live in the app’s Redis, under its prefix', async () => {
  const { xml, fields } = payNotify();
  expect((await request(url).post('/wxpay/pay/callback').type('text/xml').send(xml)).text).toBe(SUCCESS_XML);
  const keys: string[] = [];
  for await (const batch of redis.client.scanIterator({ MATCH: `${redis.prefix}wxpay:*${String(fields.transaction_id)}*` })) keys.push(...([] as string[]).concat(batch));
  const key = `${redis.prefix}wxpay:${PAY.mchid}:pay:${String(fields.transaction_id)}:once`;
  expect(keys).toEqual([key]);
  expect(await redis.client.get(key)).toMatch(/^done:\d+$/);
});
