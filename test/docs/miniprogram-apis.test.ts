import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createPay } from '../../lib';
import { createSimMerchantV3, createSimulator, type Simulator } from '../../lib/simulator';
import { decodeQr } from '../client/qr-image';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { brokenLinks, bundleProgram, freePort, linksOf, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';
import { LIB, loadGuide, ROOT } from './fixtures/guide-programs';

// docs/miniprogram-apis.md: every ts snippet type-checks under strict, and the programs run as
// written against the simulator over real HTTP: the quick start with its link and shipping
// recipes as one program, and the autoShipVirtualGoods shop (pay → notify → shipped). What they
// read from outside is named in the guide: environment variables, `./orders` (here a JSON file
// in the working directory) and certs/.
const GUIDE = 'docs/miniprogram-apis.md';
/** The guide's `./orders`: orders in orders.json of the working directory. */
const ORDERS = `import { readFileSync } from 'node:fs';
export interface Order { id: string; title: string; transactionId: string; openid: string }
export const orders = {
  async find(id: string): Promise<Order | undefined> {
    return (JSON.parse(readFileSync('orders.json', 'utf8')) as Record<string, Order>)[id];
  },
};
`;
const { markdown, snippets, cache: CACHE } = loadGuide(GUIDE);
const SHOP = ['quickstart', 'links', 'shipping'];
const RUN = [...SHOP, 'autoship'];

const MINI = { appid: 'wxmini0000000guide', secret: 'mini-secret-for-the-mp-apis-guide' };
const MCHID = '1230000119';
const merchant = createSimMerchantV3();

describe('docs/miniprogram-apis.md: the snippets', () => {
  test('every ts/js block is marked; the client-side one is skipped with its reason', () => {
    const skipped = snippets.filter((s) => s.mode === 'skip');
    expect(skipped.map((s) => s.reason)).toEqual(['client-side: runs in the mini program']);
    expect(skipped[0]!.code).toMatch(/decodeURIComponent\(query\.scene/);
  });

  test('the run snippets are exactly the ones this test runs', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name).sort()).toEqual([...RUN].sort());
  });

  test('every link lands', () => {
    const { broken } = brokenLinks(markdown, GUIDE, ROOT);
    expect(linksOf(markdown).length).toBeGreaterThanOrEqual(4);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB, files: { 'orders.ts': ORDERS } })).toEqual([]);
  }, 180_000);
});

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: TestRedis;

beforeAll(async () => {
  redis = await createTestRedis('docs-miniprogram-apis');
  sim = createSimulator({
    apps: [{ ...MINI, type: 'miniprogram' }],
    merchants: [{ mchid: MCHID, appid: MINI.appid, name: 'Tea Shop', v3: merchant.v3 }],
  });
  ({ url: simUrl, close: closeSim } = await sim.listen());
});
afterAll(async () => {
  await sim.payV3.settled();
  await closeSim();
  // What the programs stored under the default prefix: the mini program's token, the once-marks.
  for (const match of [`wxauth:*${MINI.appid}*`, `wxauth:wxpay:${MCHID}:*`]) {
    for await (const keys of redis.client.scanIterator({ MATCH: match, COUNT: 500 })) {
      const batch = ([] as string[]).concat(keys as string | string[]);
      if (batch.length) await redis.client.del(batch);
    }
  }
  await redis.close();
});

function workdir(name: string): string {
  const dir = path.join(CACHE, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'certs'), { recursive: true });
  writeFileSync(path.join(dir, 'orders.ts'), ORDERS);
  writeFileSync(path.join(dir, 'certs/apiclient_key.pem'), merchant.privateKey);
  writeFileSync(path.join(dir, 'certs/pub_key.pem'), sim.payV3.publicKey);
  return dir;
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
      WX_MINI_APPID: MINI.appid,
      WX_MINI_SECRET: MINI.secret,
      WX_PAY_MCHID: MCHID,
      WX_PAY_API_V3_KEY: merchant.apiV3Key,
      WX_PAY_SERIAL_NO: merchant.serialNo,
      WX_PAY_PUBLIC_KEY_ID: sim.payV3.publicKeyId,
      BASE_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
    },
  });
}

const openid = () => sim.openidOf(MINI.appid, 'alice');

describe('docs/miniprogram-apis.md: the quick start with its link and shipping recipes, against the simulator', () => {
  let shop: RunningProgram;
  let dir: string;
  /** A payment of the mini program made on the simulator by another server of the shop (its notify goes nowhere). */
  const paidOrder = async (id: string) => {
    const pay = createPay({ appid: MINI.appid, mchid: MCHID, endpoints: { pay: simUrl }, v3: { apiV3Key: merchant.apiV3Key, serialNo: merchant.serialNo, privateKey: merchant.privateKey, publicKeyId: sim.payV3.publicKeyId, publicKey: sim.payV3.publicKey, notifyUrl: 'http://127.0.0.1:9/notify' } });
    await pay.v3.prepay({ tradeType: 'JSAPI', description: 'Longjing tea', outTradeNo: `G${id}${Date.now()}`, total: 12800, openid: openid() });
    const outTradeNo = sim.payV3.orders[sim.payV3.orders.length - 1]!.outTradeNo;
    const { order } = await sim.payV3.pay(outTradeNo);
    return order.transactionId!;
  };

  beforeAll(async () => {
    sim.payV3.policy.retryDelaysMs = [];
    dir = workdir('shop');
    const transactionId = await paidOrder('A42');
    writeFileSync(path.join(dir, 'orders.json'), JSON.stringify({ A42: { id: 'A42', title: '西湖龙井 Longjing green tea', transactionId, openid: openid() } }));
    shop = await run('shop', SHOP, dir);
  }, 60_000);
  afterAll(async () => {
    await shop?.stop();
  });

  test('GET /orders/A42/code.png: a PNG that decodes to the order page with the scene', async () => {
    const res = await request(shop.url).get('/orders/A42/code.png').buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(decodeQr(res.body as Buffer)).toBe(`wxacode:${MINI.appid}:pages/order/detail?scene=${encodeURIComponent('o=A42')}`);
  });

  test('an id that makes no valid scene answers 400 naming the field, with no call to WeChat', async () => {
    const before = sim.calls('/wxa/getwxacodeunlimit');
    const res = await request(shop.url).get(`/orders/${'X'.repeat(40)}/code.png`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'args_error', field: 'scene' });
    expect(sim.calls('/wxa/getwxacodeunlimit')).toBe(before);
  });

  test('POST /orders/A42/link: a week-long URL Link and a Short Link to the order page', async () => {
    const res = await request(shop.url).post('/orders/A42/link');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ urlLink: expect.stringMatching(/^https:\/\/wxaurl\.cn\//), shortLink: expect.stringMatching(/^#小程序:\/\//) });
    const made = sim.wxacodes.links.find((l) => l.link === res.body.urlLink)!;
    expect(made).toMatchObject({ path: 'pages/order/detail', query: 'id=A42' });
    expect(Math.round((made.expiresAt! - sim.now()) / 86_400_000)).toBe(7);
  });

  test('POST /orders/A42/shipped: the parcel is recorded and WeChat shows the order shipped', async () => {
    const res = await request(shop.url).post('/orders/A42/shipped').send({ trackingNo: 'ZT0001', expressCompany: 'ZTO' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orderState: 2 });
    const [shipment] = sim.shipping.all(MINI.appid);
    expect(shipment).toMatchObject({ orderState: 2, logisticsType: 1, parcels: [expect.objectContaining({ trackingNo: 'ZT0001', expressCompany: 'ZTO', itemDesc: '西湖龙井 Longjing green tea' })] });
  });
});

describe('docs/miniprogram-apis.md: virtual goods shipped for you, against the simulator', () => {
  let shop: RunningProgram;
  beforeAll(async () => {
    sim.payV3.policy.retryDelaysMs = [10, 20];
    shop = await run('autoship', ['autoship'], workdir('autoship'));
  }, 60_000);
  afterAll(async () => {
    await shop?.stop();
  });

  test('checkout → the payer pays → the notify is handled (204) → the payment shows shipped as virtual goods', async () => {
    const res = await request(shop.url).post('/checkout').send({ openid: openid() });
    expect(res.status).toBe(200);
    expect(res.body.params).toMatchObject({ appId: MINI.appid, signType: 'RSA' });
    const { order, deliveries } = await sim.payV3.pay(res.body.outTradeNo);
    expect(deliveries.map((d) => d.status)).toEqual([204]);
    const deadline = Date.now() + 10_000;
    while (sim.shipping.byTransactionId(order.transactionId!)?.orderState !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sim.shipping.byTransactionId(order.transactionId!)).toMatchObject({ orderState: 2, logisticsType: 3, parcels: [expect.objectContaining({ itemDesc: `Membership, order ${res.body.outTradeNo}` })] });
    expect(shop.output()).toContain(`paid: ${res.body.outTradeNo}`);
  });
});
