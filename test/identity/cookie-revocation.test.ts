/**
 * storage "cookie" logout over HTTP, end to end: a real (simulated) WeChat login sets the
 * cookie, the router's logout revokes it, and a copy taken before logout no longer logs anyone
 * in — with the in-memory store and with real Redis.
 */
import request from 'supertest';
import { Browser, MP, WECHAT_UA, mpCallbackUrl, startApp, startSimulator, type AppHandle, type SimHandle } from '../oauth/harness';
import { createTestRedis, type TestRedis } from '../helpers/redis';

const COOKIE = { secret: 'a-cookie-secret-of-at-least-32-chars!' };
const THIRTY_DAYS = 30 * 24 * 60 * 60;

let sim: SimHandle;
let redis: TestRedis;
const opened: AppHandle[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  redis = await createTestRedis('cookie-revocation');
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.close()));
  sim.sim.reset();
});
afterAll(async () => {
  await sim.close();
  await redis.close();
});

/** Log a fresh browser in through WeChat; the `name=value` of the login cookie it got. */
async function logIn(a: AppHandle): Promise<{ browser: Browser; cookie: string }> {
  const browser = new Browser(a.url, sim.url, WECHAT_UA);
  const res = await browser.get(await mpCallbackUrl(browser));
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('wxauth='));
  if (!setCookie) throw new Error(`no login cookie: ${JSON.stringify(res.headers)}`);
  return { browser, cookie: setCookie.split(';')[0]! };
}

const me = (a: AppHandle, cookie: string) => request(a.url).get('/me').set('Cookie', cookie);

describe.each([
  ['the memory store', {}],
  ['real Redis', { redis: true }],
])('storage "cookie" with %s', (_name, { redis: useRedis }: { redis?: boolean }) => {
  let prefix = '';
  async function app(): Promise<AppHandle> {
    prefix = `${redis.prefix}${opened.length}-${Date.now()}:`;
    const handle = await startApp(sim, { storage: 'cookie', cookie: COOKIE, ...(useRedis ? { store: redis.client, storePrefix: prefix } : {}) });
    opened.push(handle);
    return handle;
  }

  test('a copy of the cookie taken before logout is not logged in after it; another login is untouched', async () => {
    const a = await app();
    const alice = await logIn(a);
    const other = await logIn(a);
    const openid = sim.sim.openidOf(MP.appid, 'alice');
    expect((await me(a, alice.cookie)).body).toMatchObject({ openid, action: 'mp' });

    const out = await alice.browser.post('/oauth/wechat/logout', {});
    expect(out.status).toBe(303);
    expect((await alice.browser.get('/me')).body).toBeNull(); // the browser dropped it

    const replay = await me(a, alice.cookie);
    expect(replay.body).toBeNull();
    expect((await request(a.url).get('/profile').set('Cookie', alice.cookie)).status).toBe(302); // requireLogin sends it to WeChat again
    expect((await me(a, other.cookie)).body).toMatchObject({ openid, action: 'mp' });
  });

  if (useRedis) {
    test('logout stores one deny-list key until the cookie would have expired', async () => {
      const a = await app();
      const { browser, cookie } = await logIn(a);
      expect(await redis.client.keys(`${prefix}cookie:deny:*`)).toEqual([]);
      await browser.post('/oauth/wechat/logout', {});
      const keys = await redis.client.keys(`${prefix}cookie:deny:*`);
      expect(keys).toEqual([expect.stringMatching(/cookie:deny:[0-9a-f]{32}$/)]);
      expect(await redis.client.get(keys[0]!)).toBe('1');
      const ttl = await redis.client.ttl(keys[0]!);
      expect(ttl).toBeGreaterThan(THIRTY_DAYS - 60);
      expect(ttl).toBeLessThanOrEqual(THIRTY_DAYS + 1);
      expect((await me(a, cookie)).body).toBeNull();
    });
  }
});
