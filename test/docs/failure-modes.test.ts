import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Pool } from 'pg';
import { createClient, type RedisClientType } from 'redis';
import request from 'supertest';
import { createSimMerchantV3, createSimulator, type Simulator } from '../../lib/simulator';
import { redisUrl } from '../helpers/redis';
import { Browser, WECHAT_UA, mpCallbackUrl } from '../oauth/harness';
import { brokenLinks, freePort, linksOf, typecheckSnippets, type RunningProgram } from './snippets';
import { LIB, loadGuide } from './fixtures/guide-programs';

// docs/failure-modes.md: every ts snippet type-checks under strict and runs as written, against
// the simulator over real HTTP and the real Redis at REDIS_URL, reached through a TCP proxy this
// test can freeze (a frozen Redis: connected, never answering). The JWT program with
// storeTimeoutMs, alone (Express's default handler) and with the error handler added; the notify
// handler whose conditional UPDATE runs in the real PostgreSQL at DATABASE_URL (in a schema of its
// own; skipped, with a warning, when PostgreSQL is unreachable). The programs use the default
// store prefix: their keys are those of this test's own appid and mchid, deleted before and after.
const guide = loadGuide('docs/failure-modes.md');
const { snippets } = guide;
const APPID = 'wxdocsfailure001';
const SECRET = 'failure-guide-secret-0123456789';
const MCHID = '1230000777';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `docs_failure_modes_${process.pid}`;
/** The database, with the schema of this run as the search path: the program's `orders` and `shipments`. */
const IN_SCHEMA = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`;

const probe = "new (require('pg').Pool)({connectionString:process.argv[1],connectionTimeoutMillis:3000}).query('SELECT 1').then(()=>process.exit(0),()=>process.exit(1))";
const PG = spawnSync(process.execPath, ['-e', probe, DATABASE_URL], { timeout: 8000, cwd: __dirname }).status === 0;
if (!PG) console.warn(`[docs/failure-modes.test] PostgreSQL is not reachable at ${DATABASE_URL}: the notify program's suite is skipped`);

describe('docs/failure-modes.md: the snippets', () => {
  test('the three programs are run snippets; nothing is skipped', () => {
    expect(snippets.map((s) => [s.name, s.mode, s.extends])).toEqual([
      ['outage', 'run', undefined],
      ['once', 'run', undefined],
      ['answer-errors', 'run', 'outage'],
    ]);
  });

  test('every link lands', () => {
    const { broken } = brokenLinks(guide.markdown, guide.file, path.resolve(__dirname, '../..'));
    expect(linksOf(guide.markdown).length).toBeGreaterThan(2);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(guide.cache, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

/** A TCP proxy to Redis that can freeze: connections stay open, nothing is passed on until it thaws. */
async function freezableProxy(target: URL) {
  const sockets: net.Socket[] = [];
  let frozen = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.push(s);
      s.on('error', () => client.destroy());
      if (frozen) s.pause();
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => ((frozen = true), sockets.forEach((s) => s.pause())),
    thaw: () => ((frozen = false), sockets.forEach((s) => s.resume())),
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: RedisClientType;
const merchant = createSimMerchantV3();
const programs: RunningProgram[] = [];

async function dropKeys(): Promise<void> {
  for (const pattern of [`wxauth:*${APPID}*`, `wxauth:wxpay:${MCHID}:*`]) {
    for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 500 })) {
      const batch = ([] as string[]).concat(keys as string | string[]);
      if (batch.length) await redis.del(batch);
    }
  }
}

beforeAll(async () => {
  redis = createClient({ url: redisUrl() }) as RedisClientType;
  await redis.connect();
  await dropKeys();
  sim = createSimulator({
    apps: [{ appid: APPID, secret: SECRET, type: 'mp', name: 'Tea Shop' }],
    merchants: [{ mchid: MCHID, appid: APPID, name: 'Tea Shop', v3: merchant.v3 }],
  });
  ({ url: simUrl, close: closeSim } = await sim.listen());
});
afterEach(() => {
  for (const p of programs) {
    expect(p.output()).not.toContain(SECRET);
    expect(p.output()).not.toContain(merchant.apiV3Key);
  }
});
afterAll(async () => {
  await Promise.all(programs.map((p) => p.stop()));
  await sim?.payV3.settled();
  await closeSim?.();
  await dropKeys();
  await redis?.quit();
});

describe('docs/failure-modes.md: Redis frozen under the JWT program with storeTimeoutMs, without and with the error handler', () => {
  let proxy: Awaited<ReturnType<typeof freezableProxy>>;
  let plain: RunningProgram;
  let answering: RunningProgram;
  let token: string;

  beforeAll(async () => {
    proxy = await freezableProxy(new URL(redisUrl()));
    const env = { REDIS_URL: proxy.url, WECHAT_SIMULATOR_URL: simUrl, WX_MP_APPID: APPID, WX_MP_SECRET: SECRET, JWT_SECRET: 'jwt-secret-for-the-guide-0123456789abcdef' };
    [plain, answering] = await Promise.all([guide.start('outage', ['outage'], env), guide.start('answer-errors', ['answer-errors'], env)]);
    programs.push(plain, answering);
    // An mp login whose callback answers JSON: the bearer token. Both programs share the JWT secret.
    const browser = new Browser(answering.url, simUrl, WECHAT_UA);
    const callback = await mpCallbackUrl(browser, '/oauth/wechat/login?action=mp&next=/me');
    const res = await browser.get(callback, { Accept: 'application/json' });
    expect(res.status).toBe(200);
    token = res.body.token;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  }, 60_000);
  afterEach(() => proxy.thaw());
  afterAll(async () => {
    await proxy?.close();
  });

  const me = (p: RunningProgram) => request(p.url).get('/me').set('Authorization', `Bearer ${token}`).set('Accept', 'application/json');

  test('Redis up: the token is a login on both programs', async () => {
    for (const p of [plain, answering]) expect((await me(p)).body).toMatchObject({ openid: sim.openidOf(APPID, 'alice'), action: 'mp', appid: APPID });
  });

  test('Redis frozen: with the error handler, a request carrying the token gets 503 store_error as JSON; without it, Express\'s default page', async () => {
    proxy.freeze();
    const answered = await me(answering);
    expect(answered.status).toBe(503);
    expect(answered.body).toEqual({ error: 'store_error', message: expect.any(String) });
    const fallback = await me(plain);
    expect(fallback.status).toBe(503);
    expect(fallback.headers['content-type']).toMatch(/^text\/html/);
    expect(fallback.text).toContain('WxAuthError'); // the stack, outside production
  });

  test('Redis frozen: /weixin-config.js on a cold process still signs (its own ticket, after the store timeout), and a login still starts', async () => {
    proxy.freeze();
    const page = `${answering.url}/share`;
    const config = await request(answering.url).get('/weixin-config.js').set('Referer', page);
    expect(config.status).toBe(200);
    expect(config.text).toContain(`"appId":"${APPID}"`);
    const start = await request(plain.url).get('/oauth/wechat/login?action=mp&next=/me').set('User-Agent', WECHAT_UA);
    expect(start.status).toBe(302);
    expect(start.headers.location).toMatch(new RegExp(`^${simUrl}/connect/oauth2/authorize\\?appid=${APPID}&`));
  });

  test('Redis thawed: the token is a login again', async () => {
    proxy.freeze();
    expect((await me(answering)).status).toBe(503);
    proxy.thaw();
    let res = await me(answering);
    for (let i = 0; i < 40 && res.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250)); // the client answers late replies first
      res = await me(answering);
    }
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ openid: sim.openidOf(APPID, 'alice') });
  }, 30_000);
});

(PG ? describe : describe.skip)('docs/failure-modes.md: a notify handler whose second run changes nothing, on PostgreSQL', () => {
  let pool: Pool;
  let app: RunningProgram;
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
  const deliver = (notify: { headers: Record<string, string>; body: string }) => request(app.url).post('/wxpay/v3/pay/callback').set(notify.headers).send(notify.body);
  const order = async (id: string) => (await pool.query('SELECT state, transaction_id FROM orders WHERE out_trade_no = $1', [id])).rows[0];
  const shipments = async (id: string) => (await pool.query('SELECT count(*)::int AS n FROM shipments WHERE out_trade_no = $1', [id])).rows[0].n as number;

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL, max: 2 });
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await pool.query(`CREATE SCHEMA ${SCHEMA}`);
    await pool.query(`CREATE TABLE ${SCHEMA}.orders (out_trade_no text PRIMARY KEY, total int NOT NULL, state text NOT NULL DEFAULT 'NOTPAY', transaction_id text)`);
    await pool.query(`CREATE TABLE ${SCHEMA}.shipments (out_trade_no text NOT NULL)`);
    await pool.query(`INSERT INTO ${SCHEMA}.orders (out_trade_no, total) VALUES ('ORDERF1', 100), ('ORDERF2', 100)`);
    await pool.end();
    pool = new Pool({ connectionString: IN_SCHEMA, max: 2 });

    const dir = path.join(guide.cache, 'once');
    mkdirSync(path.join(dir, 'certs'), { recursive: true });
    writeFileSync(path.join(dir, 'certs/apiclient_key.pem'), merchant.privateKey);
    writeFileSync(path.join(dir, 'certs/pub_key.pem'), sim.payV3.publicKey);
    app = await guide.start('once', ['once'], {
      DATABASE_URL: IN_SCHEMA,
      REDIS_URL: redisUrl(),
      WECHAT_SIMULATOR_URL: simUrl,
      WX_APPID: APPID,
      WX_PAY_MCHID: MCHID,
      WX_PAY_API_V3_KEY: merchant.apiV3Key,
      WX_PAY_SERIAL_NO: merchant.serialNo,
      WX_PAY_PUBLIC_KEY_ID: sim.payV3.publicKeyId,
    });
    programs.push(app);
  }, 60_000);
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await pool?.end();
  });

  test('a notify pays the order and ships it once; the same notify again is answered without running the handler', async () => {
    const notify = sim.payV3.buildNotify(MCHID, 'pay', transaction('ORDERF1', 100));
    expect((await deliver(notify)).status).toBe(204);
    const paid = await order('ORDERF1');
    expect(paid).toEqual({ state: 'SUCCESS', transaction_id: expect.stringMatching(/^42000/) });
    expect(await shipments('ORDERF1')).toBe(1);
    expect((await deliver(notify)).status).toBe(204);
    expect(await shipments('ORDERF1')).toBe(1);
  });

  test('the done mark lost (a Redis without persistence restarted): the handler runs again, and its UPDATE changes nothing', async () => {
    const notify = sim.payV3.buildNotify(MCHID, 'pay', transaction('ORDERF2', 100));
    expect((await deliver(notify)).status).toBe(204);
    expect(await shipments('ORDERF2')).toBe(1);
    let dropped = 0;
    for await (const keys of redis.scanIterator({ MATCH: `wxauth:wxpay:${MCHID}:*`, COUNT: 500 })) {
      const batch = ([] as string[]).concat(keys as string | string[]);
      if (batch.length) dropped += await redis.del(batch);
    }
    expect(dropped).toBeGreaterThan(0);
    expect((await deliver(notify)).status).toBe(204);
    expect(await order('ORDERF2')).toMatchObject({ state: 'SUCCESS' });
    expect(await shipments('ORDERF2')).toBe(1);
  });

  test('a notify for another amount than the order\'s is refused before the handler', async () => {
    await pool.query("INSERT INTO orders (out_trade_no, total) VALUES ('ORDERF3', 100)");
    const res = await deliver(sim.payV3.buildNotify(MCHID, 'pay', transaction('ORDERF3', 1)));
    expect(res.status).toBe(400);
    expect(await order('ORDERF3')).toEqual({ state: 'NOTPAY', transaction_id: null });
    expect(await shipments('ORDERF3')).toBe(0);
  });
});
