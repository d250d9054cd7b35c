/**
 * A flood of anonymous login starts writes nothing on the server: the pending login rides in
 * the browser's sealed cookie. 6 000 starts (the login route, the widget's qrconnect endpoint,
 * /weixin-login.js) over keep-alive connections leave the store — the in-memory default and real
 * Redis — exactly as it was; and what was in flight or in the store before the flood still
 * holds after it: a started login completes, a logged-out JWT stays refused, a processed pay
 * notify is not run again.
 */
import http from 'node:http';
import request from 'supertest';
import { MemoryStore, type Store } from '../../lib/store';
import { SUCCESS_REPLY } from '../../lib/pay/notify';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { buildApp, fullOptions, MOBILE, MP, payNotifyXml, startSim, type AppHandle, type SimHandle } from './harness';

const FLOOD = 6000;
const BATCH = 100;
const WECHAT_UA = 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47';

let sim: SimHandle;
let redis: TestRedis;
beforeAll(async () => {
  sim = await startSim();
  redis = await createTestRedis('anonymous-flood');
});
afterAll(async () => {
  await sim.close();
  await redis.close();
});

/** `count` anonymous GETs over keep-alive connections, `BATCH` at a time; resolves to the status tally. */
async function flood(url: string, paths: Array<{ path: string; headers?: Record<string, string> }>, count: number): Promise<Map<number, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: BATCH });
  const statuses = new Map<number, number>();
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = http.get(`${url}${path}`, { agent, headers: { 'User-Agent': 'flood/1', ...headers } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
  try {
    for (let sent = 0; sent < count; sent += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - sent) }, (_, i) => {
        const p = paths[(sent + i) % paths.length]!;
        return get(p.path, p.headers);
      });
      for (const status of await Promise.all(batch)) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  } finally {
    agent.destroy();
  }
  return statuses;
}

const ANONYMOUS_STARTS = [
  { path: '/oauth/wechat/login?action=mp&next=%2Fprofile' },
  { path: '/oauth/wechat/login?action=qrcode' },
  { path: '/oauth/wechat/qrconnect?next=%2Fprofile', headers: { 'X-WxAuth-Widget': '1' } },
  { path: '/weixin-login.js?next=%2Fprofile' },
];

describe.each([
  ['the in-memory store (default)', (): { store: Store; entries: () => Promise<number> } => {
    const store = new MemoryStore();
    return { store, entries: async () => store.size };
  }],
  ['Redis', (): { store: Store; entries: () => Promise<number> } => ({
    store: redis.store,
    entries: async () => {
      let n = 0;
      for await (const keys of redis.client.scanIterator({ MATCH: `${redis.prefix}*`, COUNT: 1000 })) n += ([] as string[]).concat(keys as string | string[]).length;
      return n;
    },
  })],
])('%s: 6 000 anonymous login starts', (_name, makeStore) => {
  let h: AppHandle;
  afterEach(() => h?.close());

  test('add nothing to the store; a login started before completes after; a logged-out JWT stays refused; a processed notify is not re-run', async () => {
    const { store, entries } = makeStore();
    h = buildApp(fullOptions(sim.url, 'jwt', { store }));
    await h.listen();

    // Before the flood: a browser login in flight (stopped at the callback WeChat sends it to) …
    const browser = request.agent(h.url);
    const start = await browser.get('/oauth/wechat/login?action=mp&next=%2Faccount').set('User-Agent', WECHAT_UA);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.location!);
    const callback = new URL((await request(sim.url).get(authorize.pathname + authorize.search).set('User-Agent', WECHAT_UA)).headers.location!);
    // … a JWT that was logged out (its id on the deny-list) …
    const mobile = await request(h.url).post('/oauth/wechat/mobile').send({ code: sim.sim.issueCode(MOBILE.appid, { user: 'jo' }) });
    const token = mobile.body.token as string;
    expect(token).toEqual(expect.any(String));
    expect((await request(h.url).get('/me').set('Authorization', `Bearer ${token}`)).body).toMatchObject({ action: 'mobile' });
    expect((await request(h.url).post('/oauth/wechat/logout').set('Authorization', `Bearer ${token}`).set('Accept', 'application/json')).status).toBe(204);
    // … and a pay notify processed once.
    const notify = payNotifyXml();
    const first = await request(h.url).post('/wxpay/pay/callback').type('text/xml').send(notify.xml);
    expect(first.text).toBe(SUCCESS_REPLY);
    expect(h.notified.get(notify.transactionId)).toBe(1);

    const before = await entries();
    expect(before).toBeGreaterThan(0); // the deny-list entry and the notify mark are there
    const statuses = await flood(h.url, ANONYMOUS_STARTS, FLOOD);
    expect(Object.fromEntries(statuses)).toEqual({ 200: FLOOD / 2, 302: FLOOD / 2 });
    expect((await entries()) - before).toBe(0);

    // After the flood: the login started before it completes …
    const done = await browser.get(`${callback.pathname}${callback.search}&format=json`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'alice'), action: 'mp', next: '/account', token: expect.any(String) });
    // … the logged-out JWT is still refused …
    const refused = await request(h.url).get('/profile').set('Authorization', `Bearer ${token}`);
    expect([refused.status, refused.body.error]).toEqual([401, 'WXAUTH_REQUIRED']);
    // … and WeChat redelivering the notify does not run the handler again.
    const again = await request(h.url).post('/wxpay/pay/callback').type('text/xml').send(notify.xml);
    expect(again.text).toBe(SUCCESS_REPLY);
    expect(h.notified.get(notify.transactionId)).toBe(1);
  }, 120_000);
});
