import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { MESSAGE_VALUE_RULES } from '../../lib';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { brokenLinks, bundleProgram, freePort, linksOf, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';
import { LIB, loadGuide, ROOT } from './fixtures/guide-programs';

// docs/messages.md: every ts snippet type-checks under strict, and the quick start with its two
// recipes runs as written, as one program, against the simulator over real HTTP. What it reads
// from outside is named in the guide: environment variables and `./orders` (the reader's own
// data access; here a JSON file in the program's working directory).
const GUIDE = 'docs/messages.md';
/** The guide's `./orders`: orders in orders.json of the working directory. */
const ORDERS = `import { readFileSync } from 'node:fs';
export interface Order { id: string; title: string; total: number; openid: string }
export const orders = {
  async find(id: string): Promise<Order | undefined> {
    return (JSON.parse(readFileSync('orders.json', 'utf8')) as Record<string, Order>)[id];
  },
};
`;
const { markdown, snippets, cache: CACHE } = loadGuide(GUIDE);
const RUN = ['quickstart', 'notice', 'template'];

const MP = { appid: 'wxmp0000000000msg', secret: 'mp-secret-for-the-messages-guide' };
const MINI = { appid: 'wxmini000000000msg', secret: 'mini-secret-for-the-messages-guide' };
const TEMPLATES = { TEMPLATE_SHIPPED: 'tpl-shipped', TEMPLATE_REFUNDED: 'tpl-refunded', TEMPLATE_PAID: 'tpl-paid' };

describe('docs/messages.md: the snippets', () => {
  test('every ts/js block is marked; the client-side one is skipped with its reason', () => {
    const skipped = snippets.filter((s) => s.mode === 'skip');
    expect(skipped.map((s) => s.reason)).toEqual(['client-side: runs in the mini program']);
    expect(skipped[0]!.code).toMatch(/wx\.requestSubscribeMessage/);
  });

  test('the run snippets are exactly the ones this test runs', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name).sort()).toEqual([...RUN].sort());
  });

  test('every link lands', () => {
    const { broken } = brokenLinks(markdown, GUIDE, ROOT);
    expect(linksOf(markdown).length).toBeGreaterThanOrEqual(4);
    expect(broken).toEqual([]);
  });

  test('the value rules table lists every type the package checks, with its limit', () => {
    const rows = new Map([...markdown.matchAll(/^\| `(\w+)` \| (.+) \|$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const [type, rule] of Object.entries(MESSAGE_VALUE_RULES)) {
      expect([type, rows.has(type)]).toEqual([type, true]);
      const limit = /at most (\d+)/.exec(rule.rule)?.[1];
      if (limit) expect([type, rows.get(type)]).toEqual([type, expect.stringContaining(`at most ${limit}`)]);
    }
  });

  test('no first, remark or colour in the guide’s code', () => {
    const code = snippets.filter((s) => s.mode !== 'skip').map((s) => s.code).join('\n');
    expect(code).not.toMatch(/\bfirst:|\bremark:|color/);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB, files: { 'orders.ts': ORDERS } })).toEqual([]);
  }, 180_000);
});

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: TestRedis;
let shop: RunningProgram;

const miniOpenid = () => sim.openidOf(MINI.appid, 'alice');
const mpOpenid = () => sim.openidOf(MP.appid, 'alice');

beforeAll(async () => {
  redis = await createTestRedis('docs-messages');
  sim = createSimulator({ apps: [{ ...MP, type: 'mp' }, { ...MINI, type: 'miniprogram' }] });
  ({ url: simUrl, close: closeSim } = await sim.listen());
  const dir = path.join(CACHE, 'shop');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'orders.ts'), ORDERS);
  writeFileSync(
    path.join(dir, 'orders.json'),
    JSON.stringify({
      A42: { id: 'A42', title: '西湖龙井 Longjing green tea, spring harvest', total: 12800, openid: miniOpenid() },
      B7: { id: 'B7', title: 'Tea cup', total: 2550, openid: mpOpenid() },
    }),
  );
  const bundle = await bundleProgram('shop', programOf(RUN.map((n) => snippetNamed(snippets, n)), snippets), { dir, alias: LIB });
  const port = await freePort();
  shop = await startProgram(bundle, {
    cwd: dir,
    port,
    env: {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      WECHAT_SIMULATOR_URL: simUrl,
      WX_MP_APPID: MP.appid,
      WX_MP_SECRET: MP.secret,
      WX_MINI_APPID: MINI.appid,
      WX_MINI_SECRET: MINI.secret,
      BASE_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
      ...TEMPLATES,
    },
  });
}, 60_000);
afterAll(async () => {
  await shop?.stop();
  await closeSim();
  // What the program stored under the default prefix for these two apps: their tokens.
  for (const appid of [MP.appid, MINI.appid]) {
    for await (const keys of redis.client.scanIterator({ MATCH: `wxauth:*${appid}*`, COUNT: 500 })) {
      const batch = ([] as string[]).concat(keys as string | string[]);
      if (batch.length) await redis.client.del(batch);
    }
  }
  await redis.close();
});
beforeEach(() => {
  sim.sentSubscribes.length = 0;
  sim.sentTemplates.length = 0;
});

describe('docs/messages.md: the quick start and its recipes, against the simulator', () => {
  test('quick start: a subscribed buyer gets the shipping message, the title clipped to 20 characters, the time in a format WeChat takes', async () => {
    sim.subscribe({ appid: MINI.appid, openid: miniOpenid(), templateId: TEMPLATES.TEMPLATE_SHIPPED });
    const res = await request(shop.url).post('/orders/A42/shipped');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sent: true, msgid: expect.stringMatching(/^\d{18,}$/) });
    const [sent] = sim.sentSubscribes;
    expect(sent).toMatchObject({ kind: 'send', appid: MINI.appid, touser: miniOpenid(), template_id: 'tpl-shipped', page: 'pages/order/detail?id=A42', msgid: res.body.msgid });
    expect(Array.from(sent!.data.thing2!.value)).toHaveLength(20);
    expect(sent!.data.thing2!.value).toMatch(/^西湖龙井 Longjing.*…$/);
    expect(sent!.data.time3!.value).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(sent!.data.character_string1).toEqual({ value: 'A42' });
  });

  test('quick start: the one-time subscription is spent; the second shipping message answers sent: false (43101), not an error', async () => {
    sim.subscribe({ appid: MINI.appid, openid: miniOpenid(), templateId: TEMPLATES.TEMPLATE_SHIPPED });
    expect((await request(shop.url).post('/orders/A42/shipped')).body.sent).toBe(true);
    const again = await request(shop.url).post('/orders/A42/shipped');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ sent: false });
    expect(sim.sentSubscribes).toHaveLength(1);
  });

  test('quick start: an unknown order is a 404 and sends nothing', async () => {
    expect((await request(shop.url).post('/orders/NOPE/shipped')).status).toBe(404);
    expect(sim.sentSubscribes).toEqual([]);
  });

  test('notice: the official account’s 订阅通知 opens the mini program page, with the amount in yuan', async () => {
    sim.subscribe({ appid: MP.appid, openid: mpOpenid(), templateId: TEMPLATES.TEMPLATE_REFUNDED });
    const res = await request(shop.url).post('/orders/B7/refunded');
    expect(res.body).toEqual({ sent: true, msgid: expect.any(String) });
    expect(sim.sentSubscribes).toEqual([
      expect.objectContaining({
        kind: 'bizsend',
        appid: MP.appid,
        touser: mpOpenid(),
        miniprogram: { appid: MINI.appid, pagepath: 'pages/order/detail?id=B7' },
        data: { character_string1: { value: 'B7' }, amount2: { value: '¥25.50' }, phrase3: { value: '已退款' } },
      }),
    ]);
  });

  test('notice: without a subscription the error reaches the app’s error handler, with its status (403 not_subscribed)', async () => {
    const res = await request(shop.url).post('/orders/B7/refunded');
    expect(res.status).toBe(403);
    expect(sim.sentSubscribes).toEqual([]);
  });

  test('template: a category template message with only typed keys, and a link back to the order', async () => {
    const res = await request(shop.url).post('/orders/B7/paid');
    expect(res.body).toEqual({ sent: true, msgid: expect.stringMatching(/^\d{18,}$/) });
    expect(sim.sentTemplates).toEqual([
      expect.objectContaining({
        appid: MP.appid,
        touser: mpOpenid(),
        template_id: 'tpl-paid',
        url: `${shop.url}/orders/B7`,
        data: { character_string1: { value: 'B7' }, thing2: { value: 'Tea cup' }, amount3: { value: '¥25.50' } },
      }),
    ]);
  });

  test('nothing the program logged carries a token, a secret or a message value', () => {
    const output = shop.output();
    expect(output).not.toContain(MP.secret);
    expect(output).not.toContain(MINI.secret);
    expect(output).not.toContain('Longjing');
  });
});
