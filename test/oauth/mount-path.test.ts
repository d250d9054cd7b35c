import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { wxauth, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import { RedisStore } from '../../lib/store';
import { captureLogger, type CapturedLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { Browser, MP, startSimulator, WECHAT_UA, type SimHandle } from './harness';

/**
 * A router mounted under a path (`app.use('/auth', router)`) with `requireLogin()` guarding a
 * route outside it: the very first request of the process may be to that route, before the
 * router has seen any request to learn its mount path from.
 */

let sim: SimHandle;
let redis: TestRedis;
beforeAll(async () => {
  sim = await startSimulator();
  redis = await createTestRedis('mount-path');
});
afterAll(async () => {
  await sim.close();
  await redis.close();
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
      server.close();
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

describe('storeTimeoutMs', () => {
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
