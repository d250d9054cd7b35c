import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { LEGACY_P12_CONVERT } from '../../lib/pay/cert';
import { createPay } from '../../lib/pay/pay';
import { signPay } from '../../lib/pay/sign';
import { buildPayXml } from '../../lib/pay/xml';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { Browser, WECHAT_UA } from '../oauth/harness';
import { brokenLinks, bundleProgram, freePort, linksOf, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';
import { LIB, loadGuide, ROOT } from './fixtures/guide-programs';

// docs/pay-v2.md: every ts snippet type-checks under strict, and the quick start with its recipes
// runs as written against the simulator's v2 pay host over real HTTP. What the program reads from
// outside is what the guide's quick start names: environment variables, certs/apiclient_cert.pem
// and certs/apiclient_key.pem (made by the guide's own openssl line, "Try it offline"), and `./db`
// (test/docs/fixtures/db.ts, orders in orders.json of the program's working directory).
const GUIDE = 'docs/pay-v2.md';
const DB = readFileSync(path.join(__dirname, 'fixtures/db.ts'), 'utf8');
const { markdown: MARKDOWN, snippets, cache: CACHE } = loadGuide(GUIDE);

const RECIPES = ['native', 'refund'];
const RUN = ['quickstart', ...RECIPES, 'without-express'];

describe('docs/pay-v2.md: the guide and its snippets', () => {
  test('it says near the top that v2 is frozen and new merchants use v3 with the public key, linking docs/pay.md', () => {
    const top = MARKDOWN.split('\n').slice(0, 8).join('\n');
    expect(top).toMatch(/\*\*v2 is frozen\.\*\*/);
    expect(top).toMatch(/new\s+merchant should use \*\*v3 with the WeChat Pay public key\*\*: see \[WeChat Pay\]\(pay\.md\)/);
  });

  test('every ts/js block is marked; the only skipped one is client-side', () => {
    const skipped = snippets.filter((s) => s.mode === 'skip');
    expect(skipped.map((s) => [s.lang, s.reason])).toEqual([['js', "client-side: runs in WeChat's browser"]]);
    expect(skipped[0]!.code).toMatch(/getBrandWCPayRequest/);
  });

  test('the run snippets are exactly the ones this test runs', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name).sort()).toEqual([...RUN].sort());
  });

  test('the quick start comes first: the router before express.json(), amountOf, the certificate as the PEM pair', () => {
    const first = snippets[0]!;
    expect(first.name).toBe('quickstart');
    expect(first.code.indexOf('app.use(auth)')).toBeLessThan(first.code.indexOf('app.use(express.json())'));
    expect(first.code).toMatch(/amountOf/);
    expect(first.code).toMatch(/apiclient_cert\.pem[\s\S]*apiclient_key\.pem/);
  });

  test("the certificate section gives the legacy .p12's convert command exactly as the config_error names it", () => {
    const section = MARKDOWN.slice(MARKDOWN.indexOf('## Refunds, red packets and the merchant certificate'), MARKDOWN.indexOf('## Errors'));
    expect(section).toContain(`\`\`\`sh\n  ${LEGACY_P12_CONVERT}\n  \`\`\``);
    expect(section).toContain("{ cert: readFileSync('apiclient_cert.pem'), key: readFileSync('apiclient_key.pem') }");
  });

  test('every link lands: anchors in the guide, files and their headings in the repo', () => {
    const { broken } = brokenLinks(MARKDOWN, GUIDE, ROOT);
    expect(linksOf(MARKDOWN).length).toBeGreaterThan(8);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB, files: { 'db.ts': DB } })).toEqual([]);
  }, 180_000);
});

const APPID = 'wxd678efh567hg6787';
const SECRET = 'mp-secret-for-the-guide-0123456789';
const MCHID = '1230000109';
const KEY = 'guide0v2000api0key00000000000032';

interface Db {
  orders: Record<string, { id: string; title: string; total: number; state: string; transactionId?: string }>;
  events: string[];
}

/** The guide's openssl line for a throwaway certificate pair ("Try it offline"). */
function certCommand(): string {
  const block = /```sh\n(mkdir -p certs[\s\S]*?)```/.exec(MARKDOWN);
  if (!block) throw new Error(`${GUIDE}: no sh block making certs/`);
  return block[1]!;
}

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: TestRedis;

beforeAll(async () => {
  redis = await createTestRedis('docs-pay-v2');
  sim = createSimulator({
    apps: [{ appid: APPID, secret: SECRET, type: 'mp' }],
    merchants: [{ mchid: MCHID, key: KEY, appid: APPID, name: 'Tea Shop' }],
  });
  ({ url: simUrl, close: closeSim } = await sim.listen());
});
afterAll(async () => {
  await sim.pay.settled();
  await closeSim();
  // What the program stored under the default prefix for this merchant: the notify marks.
  for await (const keys of redis.client.scanIterator({ MATCH: `wxauth:wxpay:${MCHID}:*`, COUNT: 500 })) {
    const batch = ([] as string[]).concat(keys as string | string[]);
    if (batch.length) await redis.client.del(batch);
  }
  await redis.close();
});

interface Workdir {
  dir: string;
  db(): Db;
  events(prefix: string): string[];
  setTotal(id: string, total: number): void;
}

/** A program's working directory: certs/ (the guide's openssl line), db.ts and a seeded orders.json. */
function workdir(name: string, ids: string[]): Workdir {
  const dir = path.join(CACHE, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', certCommand()], { cwd: dir, stdio: 'pipe' });
  writeFileSync(path.join(dir, 'db.ts'), DB);
  const file = path.join(dir, 'orders.json');
  const data: Db = { orders: Object.fromEntries(ids.map((id) => [id, { id, title: `Tea ${id}`, total: 100, state: 'NOTPAY' }])), events: [] };
  writeFileSync(file, JSON.stringify(data));
  const db = () => JSON.parse(readFileSync(file, 'utf8')) as Db;
  return {
    dir,
    db,
    events: (prefix) => db().events.filter((e) => e.startsWith(prefix)),
    setTotal(id, total) {
      const d = db();
      d.orders[id]!.total = total;
      writeFileSync(file, JSON.stringify(d));
    },
  };
}

/** Bundle the named snippets as one program and start it in `dir` with the guide's environment. */
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
      WX_PAY_KEY: KEY,
      PORT: String(port),
    },
  });
}

describe('docs/pay-v2.md: the quick start and its recipes, against the simulator', () => {
  let shop: RunningProgram;
  let browser: Browser;
  let work: Workdir;
  const db = () => work.db();
  const events = (prefix: string) => work.events(prefix);
  const setTotal = (id: string, total: number) => work.setTotal(id, total);

  beforeAll(async () => {
    work = workdir('shop', ['V2T1', 'V2T2', 'V2T3', 'V2N1', 'V2R1']);
    shop = await run('shop', ['quickstart', ...RECIPES], work.dir);
    browser = new Browser(shop.url, simUrl, WECHAT_UA);
    // The mp login inside WeChat (snsapi_base, silent), which gives the openid JSAPI needs.
    await browser.visit('/oauth/wechat/login?action=mp&next=/');
  }, 60_000);
  afterAll(async () => {
    await sim.pay.settled();
    await shop?.stop();
  });

  /** JSAPI through the quick start's route: the signed bridge parameters. */
  const checkout = async (id: string) => {
    const res = await browser.post(`/orders/${id}/pay`, {}, 'json');
    expect(res.status).toBe(200);
    return res.body as Record<string, string>;
  };
  const prepayIdOf = (params: Record<string, string>) => params.package!.slice('prepay_id='.length);

  test('quick start: the JSAPI route answers MD5-signed parameters for the logged-in payer; the notify, delivered three times, marks the order paid once', async () => {
    const params = await checkout('V2T1');
    expect(params).toMatchObject({ appId: APPID, signType: 'MD5', package: expect.stringMatching(/^prepay_id=wx/) });
    const { paySign, ...signed } = params;
    expect(paySign).toBe(signPay(signed, KEY));
    const prepayId = prepayIdOf(params);
    expect(sim.pay.order(prepayId)).toMatchObject({ outTradeNo: 'V2T1', totalFee: 100, tradeType: 'JSAPI', openid: sim.openidOf(APPID, 'alice') });

    const { order, deliveries } = await sim.pay.payOrder(prepayId);
    expect(deliveries.length).toBe(3);
    expect(deliveries.every((d) => d.ok)).toBe(true);
    expect(db().orders.V2T1).toMatchObject({ state: 'PAID', transactionId: order.transactionId });
    expect(events('paid V2T1')).toEqual([`paid V2T1 ${order.transactionId}`]);
  });

  test('quick start: without a login the JSAPI route starts one instead of placing an order', async () => {
    const res = await request(shop.url).post('/orders/V2T2/pay').set('User-Agent', WECHAT_UA);
    expect(res.status).toBe(302);
    expect(sim.pay.orderByTradeNo('V2T2', MCHID)).toBeUndefined();
  });

  test("quick start: amountOf refuses a notify whose amount is not the order's, on every delivery", async () => {
    const prepayId = prepayIdOf(await checkout('V2T3'));
    setTotal('V2T3', 90); // the order changed after the payer was asked for 100
    const { deliveries } = await sim.pay.payOrder(prepayId);
    expect(deliveries.length).toBeGreaterThan(1);
    expect(deliveries.some((d) => d.ok)).toBe(false);
    expect(db().orders.V2T3!.state).toBe('NOTPAY');
    expect(events('paid V2T3')).toEqual([]);
  });

  test('quick start: a notify signed with another key is refused with FAIL and not processed', async () => {
    const fields: Record<string, string> = {
      appid: APPID, mch_id: MCHID, nonce_str: 'n0nce', result_code: 'SUCCESS', return_code: 'SUCCESS', openid: sim.openidOf(APPID, 'alice'),
      trade_type: 'JSAPI', bank_type: 'OTHERS', total_fee: '100', cash_fee: '100', transaction_id: '4200000000000000000000000001', out_trade_no: 'V2T2', time_end: '20250101120000',
    };
    const forged = buildPayXml({ ...fields, sign: signPay(fields, 'another0merchant0key000000000032') });
    const res = await request(shop.url).post('/wxpay/pay/callback').type('text/xml').send(forged);
    expect(res.text).toMatch(/<return_code><!\[CDATA\[FAIL\]\]><\/return_code>/);
    expect(db().orders.V2T2!.state).toBe('NOTPAY');
    expect(events('paid V2T2')).toEqual([]);
  });

  test('Native: a weixin:// code_url; the polled state and the orderQuery check turn to PAID / SUCCESS after the payer scanned and paid', async () => {
    const res = await request(shop.url).post('/orders/V2N1/native');
    expect(res.status).toBe(200);
    expect(res.body.codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    const order = sim.pay.orderByTradeNo('V2N1', MCHID)!;
    expect(order).toMatchObject({ tradeType: 'NATIVE', totalFee: 100 });
    expect((await request(shop.url).get('/orders/V2N1')).body).toEqual({ state: 'NOTPAY' });
    expect((await request(shop.url).post('/orders/V2N1/check')).body).toEqual({ tradeState: 'NOTPAY' });

    const { deliveries } = await sim.pay.payOrder(order.prepayId, { user: 'bob' });
    expect(deliveries.every((d) => d.ok)).toBe(true);
    expect((await request(shop.url).get('/orders/V2N1')).body).toEqual({ state: 'PAID' });
    expect((await request(shop.url).post('/orders/V2N1/check')).body).toEqual({ tradeState: 'SUCCESS' });
    expect(db().orders.V2N1!.transactionId).toBe(sim.pay.order(order.prepayId)!.transactionId);
  });

  test('refund: the route refunds a paid order with the certificate loaded from certs/; the refund notify marks it refunded once', async () => {
    const prepayId = prepayIdOf(await checkout('V2R1'));
    await sim.pay.payOrder(prepayId);
    const res = await browser.post('/orders/V2R1/refund', {}, 'json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ refundId: expect.stringMatching(/\S/) });
    await sim.pay.settled();
    expect(sim.pay.refundsOf(prepayId)).toEqual([expect.objectContaining({ outRefundNo: 'V2R1-R1', refundFee: 100, refundId: res.body.refundId })]);
    expect(sim.pay.order(prepayId)!.state).toBe('REFUND');
    expect(db().orders.V2R1!.state).toBe('REFUNDED');
    expect(events('refunded V2R1')).toEqual(['refunded V2R1 V2R1-R1']);
    expect((await browser.post('/orders/V2R1/refund', {}, 'json')).status).toBe(404);
  });
});

describe('docs/pay-v2.md: handleNotify without Express, against the notifies the simulator sends', () => {
  let server: RunningProgram;
  let work: Workdir;
  /** Place an order at the simulator whose notifies go to the plain-http server. */
  const order = async (id: string) => {
    const pay = createPay({ appid: APPID, mchid: MCHID, key: KEY, clientIp: '203.0.113.7', endpoints: { pay: simUrl }, notifyUrl: `${server.url}/wxpay/:type/callback` });
    const { prepayId } = await pay.prepay({ body: `Tea ${id}`, outTradeNo: id, totalFee: 100, openid: sim.openidOf(APPID, 'alice') });
    return prepayId;
  };

  beforeAll(async () => {
    work = workdir('plain-http', ['V2P1', 'V2P2']);
    server = await run('plain-http', ['without-express'], work.dir);
  }, 60_000);
  afterAll(async () => {
    await sim.pay.settled();
    await server?.stop();
  });

  test('the notify, delivered three times: SUCCESS each time, the order paid, the handler run once', async () => {
    const { order: paid, deliveries } = await sim.pay.payOrder(await order('V2P1'));
    expect(deliveries.map((d) => [d.url, d.ok])).toEqual(Array.from({ length: 3 }, () => [`${server.url}/wxpay/pay/callback`, true]));
    expect(work.db().orders.V2P1).toMatchObject({ state: 'PAID', transactionId: paid.transactionId });
    expect(work.events('paid V2P1')).toHaveLength(1);
  });

  test('another amount, a forged signature and an unknown path are refused, never processed', async () => {
    const prepayId = await order('V2P2');
    work.setTotal('V2P2', 90);
    const { deliveries } = await sim.pay.payOrder(prepayId);
    expect(deliveries.some((d) => d.ok)).toBe(false);

    const fields: Record<string, string> = {
      appid: APPID, mch_id: MCHID, nonce_str: 'n0nce', result_code: 'SUCCESS', return_code: 'SUCCESS', openid: sim.openidOf(APPID, 'alice'),
      trade_type: 'JSAPI', bank_type: 'OTHERS', total_fee: '90', cash_fee: '90', transaction_id: '4200000000000000000000000002', out_trade_no: 'V2P2', time_end: '20250101120000',
    };
    const forged = await request(server.url).post('/wxpay/pay/callback').type('text/xml').send(buildPayXml({ ...fields, sign: signPay(fields, 'another0merchant0key000000000032') }));
    expect(forged.text).toMatch(/<return_code><!\[CDATA\[FAIL\]\]><\/return_code>/);
    expect((await request(server.url).post('/elsewhere').send('<xml></xml>')).status).toBe(404);
    expect(work.db().orders.V2P2!.state).toBe('NOTPAY');
    expect(work.events('paid V2P2')).toEqual([]);
  });
});
