import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { wxauth, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import { MemoryStore, RedisStore } from '../../lib/store';
import { captureLogger, type CapturedLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { Browser, MOBILE, MP, startSimulator, WECHAT_UA, type SimHandle } from './harness';

/**
 * A router mounted under a path (`app.use('/auth', router)`) with `requireLogin()` guarding a
 * route outside it: the very first request of the process may be to that route, before the
 * router has seen any request to learn its mount path from.
 */

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

interface Mounted {
  url: string;
  router: WxAuthRouter;
  logger: CapturedLogger;
  close(): Promise<void>;
}

async function mountedAt(path: string, options: Partial<WxAuthOptions> = {}): Promise<Mounted> {
  const logger = captureLogger();
  const router = wxauth({ mp: MP, endpoints: { open: sim.url, api: sim.url }, logger, ...options });
  const app = express();
  app.use(session({ secret: 'session-secret-for-tests', resave: false, saveUninitialized: false }));
  app.get('/account', router.requireLogin({ action: 'mp' }), (req, res) => void res.send(`account of ${req.wxauth!.openid}`));
  app.use(path, router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    router,
    logger,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const redirectUriOf = (location: string) => new URL(location).searchParams.get('redirect_uri');

describe('mountPath', () => {
  test('requireLogin outside the router, as the first request of the process: redirect_uri is under mountPath and the login completes', async () => {
    const m = await mountedAt('/auth', { mountPath: '/auth' });
    try {
      const browser = new Browser(m.url, sim.url, WECHAT_UA);
      const first = await browser.get('/account');
      expect(first.status).toBe(302);
      expect(redirectUriOf(first.headers.location!)).toBe(`${m.url}/auth/oauth/wechat/callback`);
      const done = await browser.follow(first, `${m.url}/account`);
      expect(done.url).toBe(`${m.url}/account`);
      expect(done.res.text).toBe(`account of ${sim.sim.openidOf(MP.appid, 'alice')}`);
      expect(m.logger.lines.filter((l) => /^(warn|error) /.test(l))).toEqual([]);
      // Logged in now: the guarded route answers at once, with no trip to WeChat.
      const again = await browser.get('/account');
      expect([again.status, again.text]).toEqual([200, done.res.text]);
    } finally {
      await m.close();
    }
  });

  test('requireLogin outside the router reads the login itself: a req.wxauth put there by other code is not trusted', async () => {
    const logger = captureLogger();
    const router = wxauth({ mp: MP, endpoints: { open: sim.url, api: sim.url }, logger, mountPath: '/auth' });
    const app = express();
    app.use(session({ secret: 'session-secret-for-tests', resave: false, saveUninitialized: false }));
    app.use((req, _res, next) => {
      req.wxauth = { openid: 'forged', action: 'mp', appid: MP.appid }; // e.g. a header-trusting middleware
      next();
    });
    app.get('/account', router.requireLogin({ action: 'mp' }), (req, res) => void res.send(req.wxauth!.openid));
    app.use('/auth', router);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await new Browser(url, sim.url, WECHAT_UA).get('/account');
      expect(res.status).toBe(302);
      expect(res.headers.location).toContain('/connect/oauth2/authorize');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('without mountPath the router learns the prefix from the first request through it', async () => {
    const m = await mountedAt('/auth');
    try {
      const browser = new Browser(m.url, sim.url, WECHAT_UA);
      const viaRouter = await browser.get('/auth/oauth/wechat/login?action=mp&next=/account');
      expect(redirectUriOf(viaRouter.headers.location!)).toBe(`${m.url}/auth/oauth/wechat/callback`);
      const outside = await new Browser(m.url, sim.url, WECHAT_UA).get('/account');
      expect(redirectUriOf(outside.headers.location!)).toBe(`${m.url}/auth/oauth/wechat/callback`);
    } finally {
      await m.close();
    }
  });

  test('a mountPath that differs from where the router is mounted is logged once, and mountPath wins', async () => {
    const m = await mountedAt('/login', { mountPath: '/auth' });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await new Browser(m.url, sim.url, WECHAT_UA).get('/login/oauth/wechat/login?action=mp');
        expect(redirectUriOf(res.headers.location!)).toBe(`${m.url}/auth/oauth/wechat/callback`);
      }
      const warnings = m.logger.lines.filter((l) => l.includes('"mountPath" differs'));
      expect(warnings).toEqual([expect.stringMatching(/^warn .*\{"mountPath":"\/auth","mountedAt":"\/login"\}$/)]);
    } finally {
      await m.close();
    }
  });

  test('the default pay notify URLs include baseUrl and mountPath', () => {
    const router = wxauth({
      mp: MP,
      baseUrl: 'https://shop.example.com/',
      mountPath: '/auth',
      pay: { appid: MP.appid, mchid: '1900000109', key: 'k'.repeat(32) },
      logger: captureLogger(),
    });
    expect(router.pay.notifyUrlFor('order')).toBe('https://shop.example.com/auth/wxpay/order/callback');
    expect(router.pay.notifyUrlFor()).toBe('https://shop.example.com/auth/wxpay/pay/callback');
  });
});

describe('requireLogin reads the login once per request', () => {
  /** A memory store that counts JWT deny-list lookups: one per read of the login. */
  class CountingStore extends MemoryStore {
    denyLookups = 0;
    override async get(key: string) {
      if (key.includes('deny')) this.denyLookups++;
      return super.get(key);
    }
  }
  const JWT = { secret: 'jwt-secret-for-tests-0123456789abcdef' };

  async function serve(setup: (app: express.Express) => void): Promise<{ url: string; close(): Promise<void> }> {
    const app = express();
    setup(app);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    };
  }

  async function tokenFor(url: string): Promise<string> {
    const res = await fetch(`${url}/oauth/wechat/mobile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: sim.sim.issueCode(MOBILE.appid) }) });
    const body = (await res.json()) as { token?: string };
    if (!body.token) throw new Error(`no token: ${res.status} ${JSON.stringify(body)}`);
    return body.token;
  }

  test.each([
    ['inside the router (it already read the login)', ''],
    ['outside the router (requireLogin reads it)', '/auth'],
  ])('%s', async (_name, mountAt) => {
    const store = new CountingStore();
    const router = wxauth({ mobile: MOBILE, storage: 'jwt', jwt: JWT, store, endpoints: { open: sim.url, api: sim.url }, logger: captureLogger(), ...(mountAt ? { mountPath: mountAt } : {}) });
    const s = await serve((app) => {
      if (mountAt) app.get('/x', router.requireLogin(), (req, res) => void res.send(req.wxauth!.openid));
      app.use(mountAt || '/', router);
      if (!mountAt) app.get('/x', router.requireLogin(), (req, res) => void res.send(req.wxauth!.openid));
    });
    try {
      const token = await tokenFor(s.url + mountAt);
      store.denyLookups = 0;
      const res = await fetch(`${s.url}/x`, { headers: { authorization: `Bearer ${token}` } });
      expect([res.status, await res.text()]).toEqual([200, sim.sim.openidOf(MOBILE.appid, 'alice')]);
      expect(store.denyLookups).toBe(1);
    } finally {
      await s.close();
    }
  });

  test('two routers with their own storage each read it (one lookup each), and neither trusts the other', async () => {
    const stores = [new CountingStore(), new CountingStore()];
    const routers = stores.map((store) => wxauth({ mobile: MOBILE, storage: 'jwt', jwt: JWT, store, endpoints: { open: sim.url, api: sim.url }, logger: captureLogger() }));
    const s = await serve((app) => {
      app.use(routers[0]!);
      app.use('/second', routers[1]!);
      app.get('/x', routers[0]!.requireLogin(), routers[1]!.requireLogin(), (req, res) => void res.send(req.wxauth!.openid));
    });
    try {
      const token = await tokenFor(s.url);
      for (const store of stores) store.denyLookups = 0;
      const res = await fetch(`${s.url}/x`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(stores.map((store) => store.denyLookups)).toEqual([1, 1]);
    } finally {
      await s.close();
    }
  });
});

describe('storeTimeoutMs', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await createTestRedis('mount-path');
  });
  afterAll(async () => {
    await redis.close();
  });

  test('is the command timeout of the RedisStore built around a Redis client', () => {
    const router = wxauth({ mp: MP, store: redis.client, storePrefix: redis.prefix, storeTimeoutMs: 250, logger: captureLogger() });
    expect(router.store).toBeInstanceOf(RedisStore);
    expect((router.store as RedisStore).commandTimeoutMs).toBe(250);
    const defaults = wxauth({ mp: MP, store: redis.client, storePrefix: redis.prefix, logger: captureLogger() });
    expect((defaults.store as RedisStore).commandTimeoutMs).toBe(1000);
  });

  test('the store built with it works against real Redis', async () => {
    const router = wxauth({ mp: MP, store: redis.client, storePrefix: `${redis.prefix}t:`, storeTimeoutMs: 0, logger: captureLogger() });
    await router.store.set('k', 'v', 10_000);
    expect(await router.store.get('k')).toBe('v');
    expect(await redis.client.get(`${redis.prefix}t:k`)).toBe('v');
  });
});
