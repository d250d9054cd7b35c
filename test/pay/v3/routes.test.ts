import express, { Router } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPayV3Api, type PayV3Api } from '../../../lib/pay/v3/pay';
import { mountPayV3 } from '../../../lib/pay/v3/router';
import { createTestRedis, type TestRedis } from '../../helpers/redis';
import { testLogger, v3Ctx, v3Options, type TestLogger } from './harness';
import { APPID, MCHID } from './keys';
import { makeNotify, refundNotice, transaction, transferNotice } from './notify-helpers';

let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('pay-v3-routes');
});
afterAll(() => redis.close());

interface App {
  api: PayV3Api;
  url: string;
  logger: TestLogger;
  close(): Promise<void>;
}

/** One process of the shop: its own router and API, the shared Redis. */
async function startApp(before?: (app: express.Express) => void): Promise<App> {
  const logger = testLogger();
  const api = createPayV3Api(v3Ctx({ store: redis.store, logger }), { appid: APPID, mchid: MCHID, v3: v3Options(), notify: { waitMs: 10_000 } });
  const app = express();
  before?.(app);
  const router = Router();
  mountPayV3(router, api, logger);
  app.use(router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    api,
    logger,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function post(url: string, n: { headers: Record<string, string>; body: string | Buffer }, contentType = 'application/json') {
  const res = await fetch(url, { method: 'POST', headers: { ...n.headers, 'Content-Type': contentType }, body: typeof n.body === 'string' ? n.body : new Uint8Array(n.body) });
  return { status: res.status, text: await res.text() };
}

let txSeq = 0;
const freshTx = () => `42000000000000000000${String(++txSeq).padStart(8, '0')}${Date.now() % 1000}`;

describe('the v3 notify routes over HTTP', () => {
  let a: App;
  let b: App;
  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(), startApp()]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  test('a good notify: 204 with an empty body, the handler ran', async () => {
    const seen: string[] = [];
    a.api.onNotify((t) => void seen.push(t.transaction_id));
    const id = freshTx();
    const r = await post(`${a.url}/wxpay/v3/pay/callback`, makeNotify(transaction({ transaction_id: id })));
    expect(r).toEqual({ status: 204, text: '' });
    expect(seen).toEqual([id]);
  });

  test('duplicate concurrent deliveries to two routers on one Redis: the handler once, both acknowledged', async () => {
    let runs = 0;
    const slow = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 150));
    };
    a.api.onNotify(slow);
    b.api.onNotify(slow);
    const id = freshTx();
    const n = makeNotify(transaction({ transaction_id: id }));
    const replies = await Promise.all([post(`${a.url}/wxpay/v3/pay/callback`, n), post(`${b.url}/wxpay/v3/pay/callback`, n), post(`${b.url}/wxpay/v3/pay/callback`, n)]);
    expect(replies.map((r) => r.status)).toEqual([204, 204, 204]);
    expect(runs).toBe(1);
  });

  test('a throwing handler: a non-2xx FAIL, then processed once on redelivery (to the other process)', async () => {
    let runs = 0;
    a.api.onNotify(() => {
      runs++;
      throw new Error('db down');
    });
    b.api.onNotify(() => void runs++);
    const n = makeNotify(transaction({ transaction_id: freshTx() }));
    const first = await post(`${a.url}/wxpay/v3/pay/callback`, n);
    expect(first.status).toBe(500);
    expect(JSON.parse(first.text)).toEqual({ code: 'FAIL', message: 'handler failed' });
    expect((await post(`${b.url}/wxpay/v3/pay/callback`, n)).status).toBe(204);
    expect((await post(`${a.url}/wxpay/v3/pay/callback`, n)).status).toBe(204);
    expect(runs).toBe(2);
  });

  test('refund and transfer notifies have their own routes', async () => {
    const refunds: string[] = [];
    const bills: string[] = [];
    a.api.onRefundNotify((r) => void refunds.push(r.refund_id)).onTransferNotify((bill) => void bills.push(bill.out_bill_no));
    expect((await post(`${a.url}/wxpay/v3/refund/callback`, makeNotify(refundNotice({ refund_id: `5000${freshTx()}` }), { event: 'REFUND.SUCCESS' }))).status).toBe(204);
    expect((await post(`${a.url}/wxpay/v3/transfer/callback`, makeNotify(transferNotice({ out_bill_no: `B${freshTx()}` }), { event: 'MCHTRANSFER.BILL.FINISHED' }))).status).toBe(204);
    expect(refunds).toHaveLength(1);
    expect(bills).toHaveLength(1);
  });

  test('a probe-signed notify over HTTP: 401 FAIL', async () => {
    a.api.onNotify(() => {
      throw new Error('must not run');
    });
    const r = await post(`${a.url}/wxpay/v3/pay/callback`, makeNotify(transaction({ transaction_id: freshTx() }), { fault: 'probe' }));
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text).code).toBe('FAIL');
  });

  test('a body over the cap: 413', async () => {
    const n = makeNotify(transaction());
    const r = await post(`${a.url}/wxpay/v3/pay/callback`, { headers: n.headers, body: 'x'.repeat(70_000) });
    expect(r.status).toBe(413);
  });

  test('a malformed percent-encoding in the type: 404 FAIL, not an error page', async () => {
    const r = await post(`${a.url}/wxpay/v3/%E0%A4%A/callback`, makeNotify(transaction()));
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text).code).toBe('FAIL');
  });
});

describe('an app-level body parser before the router', () => {
  test('express.json() consumed the body: refused with 500, logged with the fix, handler never called', async () => {
    const app = await startApp((ex) => ex.use(express.json()));
    let runs = 0;
    app.api.onNotify(() => void runs++);
    const r = await post(`${app.url}/wxpay/v3/pay/callback`, makeNotify(transaction({ transaction_id: freshTx() })));
    await app.close();
    expect(r.status).toBe(500);
    expect(JSON.parse(r.text)).toEqual({ code: 'FAIL', message: 'body already consumed' });
    expect(runs).toBe(0);
    expect(app.logger.lines.some((l) => l.level === 'error' && /before express\.json\(\)/.test(l.message))).toBe(true);
  });

  test('express.json() that did not match the content type leaves the stream: read and verified', async () => {
    const app = await startApp((ex) => ex.use(express.json({ type: 'application/x-other' })));
    let runs = 0;
    app.api.onNotify(() => void runs++);
    const r = await post(`${app.url}/wxpay/v3/pay/callback`, makeNotify(transaction({ transaction_id: freshTx() })));
    await app.close();
    expect(r.status).toBe(204);
    expect(runs).toBe(1);
  });

  test('express.raw() kept the exact bytes: accepted', async () => {
    const app = await startApp((ex) => ex.use(express.raw({ type: '*/*' })));
    let runs = 0;
    app.api.onNotify(() => void runs++);
    const r = await post(`${app.url}/wxpay/v3/pay/callback`, makeNotify(transaction({ transaction_id: freshTx() })));
    await app.close();
    expect(r.status).toBe(204);
    expect(runs).toBe(1);
  });
});
