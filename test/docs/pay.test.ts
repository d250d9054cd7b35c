import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { verifyPayV3 } from '../../lib';
import { createSimMerchantV3, createSimulator, type Simulator } from '../../lib/simulator';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { Browser, WECHAT_UA } from '../oauth/harness';
import { brokenLinks, bundleProgram, extractSnippets, linksOf, freePort, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';

// docs/pay.md: every ts snippet type-checks under strict, and the quick start with its recipes,
// and the handleNotify program, run as written against the simulator over real HTTP. What the
// snippets read from outside is the prelude the guide names ("Try it offline"): environment
// variables, certs/apiclient_key.pem and certs/pub_key.pem, and `./db` (test/docs/fixtures/db.ts,
// orders in orders.json of the program's working directory).
const ROOT = path.resolve(__dirname, '../..');
const GUIDE = 'docs/pay.md';
const CACHE = path.join(ROOT, 'node_modules/.cache/express-wxauth/snippets/pay');
const LIB = { 'express-wxauth': path.join(ROOT, 'lib/index.ts'), 'express-wxauth/simulator': path.join(ROOT, 'lib/simulator/index.ts') };
const DB = readFileSync(path.join(__dirname, 'fixtures/db.ts'), 'utf8');
const snippets = extractSnippets(readFileSync(path.join(ROOT, GUIDE), 'utf8'), GUIDE);

/** The run snippets this file runs: the quick start with these recipes in one app, and the handleNotify server. */
const RECIPES = ['native', 'h5', 'refund', 'bills', 'transfer', 'errors'];
const RUN = ['quickstart', ...RECIPES, 'without-express'];

describe('docs/pay.md: the snippets', () => {
  test('every ts/js block is marked; client-side ones are skipped with their reason', () => {
    const skipped = snippets.filter((s) => s.mode === 'skip');
    expect(skipped.length).toBeGreaterThanOrEqual(3);
    for (const s of skipped) expect(s.reason).toMatch(/^client-side: /);
    expect(snippets.filter((s) => s.lang !== 'ts').every((s) => s.mode === 'skip')).toBe(true);
    expect(skipped.map((s) => s.code).join('\n')).toMatch(/getBrandWCPayRequest[\s\S]*wx\.requestPayment[\s\S]*requestMerchantTransfer/);
  });

  test('the run snippets are exactly the ones this test runs', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name).sort()).toEqual([...RUN].sort());
  });

  test('the v3 quick start comes first and is in public-key mode, with the router before express.json()', () => {
    const first = snippets[0]!;
    expect(first.name).toBe('quickstart');
    expect(first.code).toMatch(/publicKeyId:[\s\S]*publicKey:/);
    expect(first.code).not.toMatch(/certificates|key: process/);
    expect(first.code.indexOf('app.use(auth)')).toBeLessThan(first.code.indexOf('app.use(express.json())'));
    expect(first.code).toMatch(/amountOf/);
  });

  test('every link lands: anchors in the guide, files and their headings in the repo', () => {
    const markdown = readFileSync(path.join(ROOT, GUIDE), 'utf8');
    const { broken } = brokenLinks(markdown, GUIDE, ROOT);
    expect(linksOf(markdown).length).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB, files: { 'db.ts': DB } })).toEqual([]);
  }, 180_000);
});

const APPID = 'wxd678efh567hg6787';
const SECRET = 'mp-secret-for-the-guide-0123456789';
const MCHID = '1230000109';
const merchant = createSimMerchantV3();
const chinaToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

interface Db {
  orders: Record<string, { id: string; title: string; total: number; state: string; transactionId?: string }>;
  events: string[];
}

/** A program's working directory: certs/, db.ts and a seeded orders.json. */
function workdir(name: string, orders: Array<{ id: string; total: number }>): { dir: string; db(): Db; setTotal(id: string, total: number): void } {
  const dir = path.join(CACHE, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'certs'), { recursive: true });
  writeFileSync(path.join(dir, 'certs/apiclient_key.pem'), merchant.privateKey);
  writeFileSync(path.join(dir, 'certs/pub_key.pem'), sim.payV3.publicKey);
  writeFileSync(path.join(dir, 'db.ts'), DB);
  const file = path.join(dir, 'orders.json');
  const data: Db = { orders: Object.fromEntries(orders.map((o) => [o.id, { ...o, title: `Tea ${o.id}`, state: 'NOTPAY' }])), events: [] };
  writeFileSync(file, JSON.stringify(data));
  const db = () => JSON.parse(readFileSync(file, 'utf8')) as Db;
  return {
    dir,
    db,
    setTotal(id, total) {
      const d = db();
      d.orders[id]!.total = total;
      writeFileSync(file, JSON.stringify(d));
    },
  };
}

async function run(name: string, names: string[], dir: string): Promise<RunningProgram> {
  const bundle = await bundleProgram(name, programOf(names.map((n) => snippetNamed(snippets, n)), snippets), { dir, alias: LIB });
  const port = await freePort();
  return startProgram(bundle, {
    cwd: dir,
    port,
    env: {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      WECHAT_SIMULATOR_URL: simUrl,
      WX_APPID: APPID,
      WX_SECRET: SECRET,
      COOKIE_SECRET: 'cookie-secret-for-the-guide-0123456789',
      BASE_URL: `http://127.0.0.1:${port}`,
      WX_PAY_MCHID: MCHID,
      WX_PAY_API_V3_KEY: merchant.apiV3Key,
      WX_PAY_SERIAL_NO: merchant.serialNo,
      WX_PAY_PUBLIC_KEY_ID: sim.payV3.publicKeyId,
      PORT: String(port),
    },
  });
}

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: TestRedis;

beforeAll(async () => {
  redis = await createTestRedis('docs-pay');
  sim = createSimulator({
    apps: [{ appid: APPID, secret: SECRET, type: 'mp' }],
    merchants: [{ mchid: MCHID, appid: APPID, name: 'Tea Shop', v3: merchant.v3 }],
  });
  ({ url: simUrl, close: closeSim } = await sim.listen());
});
afterAll(async () => {
  await sim.payV3.settled();
  await closeSim();
  // What the programs stored under the default prefix for this merchant: the notify marks.
  for await (const keys of redis.client.scanIterator({ MATCH: `wxauth:wxpay:${MCHID}:*`, COUNT: 500 })) {
    const batch = ([] as string[]).concat(keys as string | string[]);
    if (batch.length) await redis.client.del(batch);
  }
  await redis.close();
});

describe('docs/pay.md: the quick start and its recipes, against the simulator', () => {
  let shop: RunningProgram;
  let work: ReturnType<typeof workdir>;
  let browser: Browser;
  const events = (prefix: string) => work.db().events.filter((e) => e.startsWith(prefix));

  beforeAll(async () => {
    work = workdir('shop', ['ORDERT1', 'ORDERT2', 'ORDERT3', 'ORDERN1', 'ORDERH1', 'ORDERR1', 'ORDERC1', 'ORDERC2'].map((id) => ({ id, total: 100 })));
    shop = await run('shop', ['quickstart', ...RECIPES], work.dir);
    browser = new Browser(shop.url, simUrl, WECHAT_UA);
    // The mp login inside WeChat (snsapi_base, silent), which gives the openid JSAPI needs.
    await browser.visit('/oauth/wechat/login?action=mp&next=/');
  }, 60_000);
  afterAll(async () => {
    await sim.payV3.settled();
    await shop?.stop();
  });

  /** JSAPI through the quick start's route: the signed bridge parameters. */
  const checkout = async (id: string) => {
    const res = await browser.post(`/orders/${id}/pay`, {}, 'json');
    expect(res.status).toBe(200);
    return res.body as Record<string, string>;
  };

  test('quick start: the JSAPI route answers RSA-signed parameters for the logged-in payer; paying notifies once and marks the order paid', async () => {
    const params = await checkout('ORDERT1');
    expect(params).toMatchObject({ appId: APPID, signType: 'RSA', package: expect.stringMatching(/^prepay_id=wx/) });
    const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    expect(verifyPayV3(message, params.paySign!, merchant.publicKey)).toBe(true);
    expect(sim.payV3.order('ORDERT1')).toMatchObject({ tradeType: 'JSAPI', total: 100, openid: sim.openidOf(APPID, 'alice') });

    const { order, deliveries } = await sim.payV3.pay('ORDERT1');
    expect(deliveries.map((d) => d.status)).toEqual([204]);
    expect(work.db().orders.ORDERT1).toMatchObject({ state: 'PAID', transactionId: order.transactionId });
    expect(events('paid ORDERT1')).toEqual([`paid ORDERT1 ${order.transactionId}`]);
  });

  test('quick start: without a login the JSAPI route starts one instead of placing an order', async () => {
    const res = await request(shop.url).post('/orders/ORDERT3/pay').set('User-Agent', WECHAT_UA);
    expect(res.status).toBe(302);
    expect(sim.payV3.order('ORDERT3')).toBeUndefined();
  });

  test('quick start: a notify delivered twice runs the handler once', async () => {
    await checkout('ORDERT2');
    sim.payV3.policy.duplicates = 1;
    try {
      const { deliveries } = await sim.payV3.pay('ORDERT2');
      expect(deliveries.map((d) => d.status)).toEqual([204, 204]);
    } finally {
      sim.payV3.policy.duplicates = 0;
    }
    expect(events('paid ORDERT2')).toHaveLength(1);
  });

  test('quick start: amountOf refuses a notify whose amount is not the order\'s, on every delivery', async () => {
    await checkout('ORDERT3');
    work.setTotal('ORDERT3', 90); // the order changed after the payer was asked for 100
    const { deliveries } = await sim.payV3.pay('ORDERT3');
    expect(deliveries.length).toBeGreaterThan(1);
    expect(deliveries.every((d) => d.status === 400)).toBe(true);
    expect(work.db().orders.ORDERT3!.state).toBe('NOTPAY');
    expect(events('paid ORDERT3')).toEqual([]);
  });

  test('Native: a weixin:// code_url with a deadline; the polled order turns PAID after the payer scanned and paid', async () => {
    const res = await request(shop.url).post('/orders/ORDERN1/native');
    expect(res.status).toBe(200);
    expect(res.body.codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(sim.payV3.order('ORDERN1')).toMatchObject({ tradeType: 'NATIVE', total: 100 });
    expect(sim.payV3.order('ORDERN1')!.expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    expect((await request(shop.url).get('/orders/ORDERN1')).body).toEqual({ state: 'NOTPAY' });
    const { deliveries } = await sim.payV3.pay('ORDERN1', { user: 'bob' });
    expect(deliveries.map((d) => d.status)).toEqual([204]);
    expect((await request(shop.url).get('/orders/ORDERN1')).body).toEqual({ state: 'PAID' });
  });

  test('H5: 303 to the h5_url with the encoded redirect_url; the order carries the payer\'s IP', async () => {
    const res = await request(shop.url).post('/orders/ORDERH1/h5');
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location!);
    expect(location.origin + location.pathname).toBe(`${simUrl}/sim/pay/v3/h5`);
    expect(location.searchParams.get('redirect_url')).toBe(`${shop.url}/orders/ORDERH1`);
    expect(sim.payV3.order('ORDERH1')).toMatchObject({ tradeType: 'H5', payerClientIp: expect.stringMatching(/(^|:)127\.0\.0\.1$/) });
  });

  test('refund: the route refunds a paid order, the refund notify marks it refunded once', async () => {
    await checkout('ORDERR1');
    await sim.payV3.pay('ORDERR1');
    expect((await browser.post('/orders/ORDERR1/refund', {}, 'json')).body).toEqual({ status: expect.stringMatching(/^(SUCCESS|PROCESSING)$/) });
    await sim.payV3.settled();
    expect(sim.payV3.refund('ORDERR1-R1')).toMatchObject({ status: 'SUCCESS', refund: 100, total: 100 });
    expect(work.db().orders.ORDERR1!.state).toBe('REFUNDED');
    expect(events('refunded ORDERR1')).toEqual(['refunded ORDERR1 ORDERR1-R1']);
    expect((await browser.post('/orders/ORDERR1/refund', {}, 'json')).status).toBe(404);
  });

  test('bills: today\'s trade bill as CSV, downloaded GZIP, checked and uncompressed', async () => {
    const res = await browser.get(`/admin/bills/${chinaToday()}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.text).toContain('交易时间');
    expect(res.text).toContain(`\`${work.db().orders.ORDERT1!.transactionId}`);
  });

  test('transfer: package_info for wx.requestMerchantTransfer; the user confirms; the notify is recorded once', async () => {
    const res = await browser.post('/rewards', {}, 'json');
    expect(res.status).toBe(200);
    const { outBillNo, package: pkg, mchId, appId } = res.body as Record<string, string>;
    expect({ mchId, appId }).toEqual({ mchId: MCHID, appId: APPID });
    expect(sim.payV3.transfer(outBillNo!)).toMatchObject({ state: 'WAIT_USER_CONFIRM', packageInfo: pkg, openid: sim.openidOf(APPID, 'alice'), amount: 500 });
    const { deliveries } = await sim.payV3.confirmTransfer(outBillNo!);
    expect(deliveries.map((d) => d.status)).toEqual([204]);
    expect(events('transfer')).toEqual([`transfer ${outBillNo} SUCCESS`]);
  });

  test('errors: closing an unpaid order is 204, a paid one PayV3Error ORDERPAID → 409, an unknown one logged with its code and requestId', async () => {
    expect((await request(shop.url).post('/orders/ORDERC1/native')).status).toBe(200);
    expect((await request(shop.url).post('/orders/ORDERC1/close')).status).toBe(204);
    expect(sim.payV3.order('ORDERC1')!.state).toBe('CLOSED');
    const res = await request(shop.url).post('/orders/ORDERT1/close');
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'already paid' });
    expect(shop.output()).not.toMatch(/WeChat Pay ORDERPAID/);
    expect((await request(shop.url).post('/orders/NOSUCHORDER/close')).status).toBeGreaterThanOrEqual(400);
    expect(shop.output()).toMatch(/WeChat Pay ORDER_NOT_EXIST [\w-]+/);
  });
});

describe('docs/pay.md: handleNotify without Express, against notifies the simulator signs', () => {
  let server: RunningProgram;
  let work: ReturnType<typeof workdir>;
  let seq = 0;
  const transaction = (id: string, total: number) => ({
    appid: APPID,
    mchid: MCHID,
    out_trade_no: id,
    transaction_id: `42000${Date.now()}${++seq}`,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    payer: { openid: sim.openidOf(APPID, 'alice') },
    amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
  });
  const post = (notify: { headers: Record<string, string>; body: string }, url = '/wxpay/v3/pay/callback') =>
    request(server.url).post(url).set(notify.headers).send(notify.body);

  beforeAll(async () => {
    work = workdir('plain-http', [{ id: 'ORDERP1', total: 100 }, { id: 'ORDERP2', total: 100 }]);
    server = await run('plain-http', ['without-express'], work.dir);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  test('a signed notify: 204 and the order is paid; the same notify again: 204, the handler not run twice', async () => {
    const notify = sim.payV3.buildNotify(MCHID, 'pay', transaction('ORDERP1', 100));
    expect((await post(notify)).status).toBe(204);
    expect((await post(notify)).status).toBe(204);
    expect(work.db().orders.ORDERP1!.state).toBe('PAID');
    expect(work.db().events.filter((e) => e.startsWith('paid ORDERP1'))).toHaveLength(1);
  });

  test('a probe signature, a changed body, another amount and an unknown path are refused, never processed', async () => {
    expect((await post(sim.payV3.buildNotify(MCHID, 'pay', transaction('ORDERP2', 100), { fault: { probe: true } }))).status).toBe(401);
    const notify = sim.payV3.buildNotify(MCHID, 'pay', transaction('ORDERP2', 100));
    expect((await post({ headers: notify.headers, body: notify.body.replace('"id":"', '"id":"X') })).status).toBe(401);
    const other = await post(sim.payV3.buildNotify(MCHID, 'pay', transaction('ORDERP2', 1)));
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ code: 'FAIL', message: 'amount mismatch' });
    expect((await post(notify, '/elsewhere')).status).toBe(404);
    expect(work.db().orders.ORDERP2!.state).toBe('NOTPAY');
    expect(work.db().events.filter((e) => e.startsWith('paid ORDERP2'))).toEqual([]);
  });
});
