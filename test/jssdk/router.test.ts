import vm from 'node:vm';
import express from 'express';
import request from 'supertest';
import { wxauth, type WxAuthOptions } from '../../lib';
import { signJssdk } from '../../lib/jssdk/sign';
import { RedisStore } from '../../lib/store/redis';
import type { Store } from '../../lib/store/types';
import { captureLogger, type CapturedLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { MP, startSimulator, type SimHarness } from '../client/harness';

let redis: TestRedis;
let h: SimHarness;
let n = 0;
let logger: CapturedLogger;

beforeAll(async () => {
  redis = await createTestRedis('jssdk-router');
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
  await redis.close();
});
beforeEach(() => {
  h.sim.reset();
  logger = captureLogger();
});

const HOST = 'shop.example.com';
const PAGE = `https://${HOST}/product/42?from=share&x=%E4%B8%AD`;

function build(extra: Partial<WxAuthOptions> = {}) {
  const router = wxauth({
    mp: MP,
    jssdk: { jsApiList: ['chooseImage', 'updateAppMessageShareData'], openTagList: ['wx-open-launch-app'] },
    endpoints: { open: h.server.url, api: h.server.url },
    store: redis.client,
    storePrefix: `${redis.prefix}${++n}:`,
    logger,
    ...extra,
  });
  return { router, app: express().use(router) };
}

/** Run the script the browser would get, with a jweixin stand-in that records wx.config. */
function runScript(script: string) {
  const configs: Array<Record<string, unknown>> = [];
  const errors: unknown[] = [];
  vm.runInNewContext(script, { wx: { config: (c: Record<string, unknown>) => configs.push(c) }, console: { error: (m: unknown) => errors.push(m) } });
  return { configs, errors };
}

/** What the real jweixin contract amounts to: WeChat recomputes the signature with the ticket it issued. */
function verifies(config: Record<string, unknown>, url: string): boolean {
  const ticket = h.sim.ticketsOf(MP.appid).at(-1)!;
  return signJssdk({ ticket, nonceStr: String(config.nonceStr), timestamp: Number(config.timestamp), url }) === config.signature;
}

describe('GET /weixin-config.js', () => {
  test('answers a script that calls wx.config with a signature WeChat accepts for the page', async () => {
    const { app } = build();
    const res = await request(app).get('/weixin-config.js').query({ url: `${PAGE}#/tab` }).set('Host', HOST);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const { configs, errors } = runScript(res.text);
    expect(errors).toEqual([]);
    expect(configs).toHaveLength(1);
    const config = configs[0]!;
    expect(config).toMatchObject({
      debug: false,
      appId: MP.appid,
      timestamp: expect.any(Number),
      nonceStr: expect.stringMatching(/^[0-9a-f]{16}$/),
      jsApiList: ['chooseImage', 'updateAppMessageShareData'],
      openTagList: ['wx-open-launch-app'],
    });
    expect(verifies(config, PAGE)).toBe(true); // fragment not signed
  });

  test('uses the Referer when there is no url parameter', async () => {
    const { app } = build();
    const res = await request(app).get('/weixin-config.js').set('Host', HOST).set('Referer', PAGE);
    expect(res.status).toBe(200);
    expect(verifies(runScript(res.text).configs[0]!, PAGE)).toBe(true);
  });

  test('?debug=true turns debug on for that page; jssdk.debug sets the default', async () => {
    const { app } = build();
    const on = await request(app).get('/weixin-config.js').query({ url: PAGE, debug: 'true' }).set('Host', HOST);
    expect(runScript(on.text).configs[0]!.debug).toBe(true);
    const { app: debugApp } = build({ jssdk: { jsApiList: [], debug: true } });
    const def = await request(debugApp).get('/weixin-config.js').query({ url: PAGE }).set('Host', HOST);
    expect(runScript(def.text).configs[0]!.debug).toBe(true);
    const off = await request(debugApp).get('/weixin-config.js').query({ url: PAGE, debug: 'false' }).set('Host', HOST);
    expect(runScript(off.text).configs[0]!.debug).toBe(false);
  });

  test('signs pages on an allowedRedirects origin', async () => {
    const { app } = build({ allowedRedirects: ['https://m.example.com'] });
    const url = 'https://m.example.com/a?b=c';
    const res = await request(app).get('/weixin-config.js').query({ url }).set('Host', HOST);
    expect(res.status).toBe(200);
    expect(verifies(runScript(res.text).configs[0]!, url)).toBe(true);
  });

  test.each([
    ['another host', { url: 'https://evil.test/page' }],
    ['a userinfo trick', { url: `https://${HOST}@evil.test/` }],
    ['a non-http URL', { url: 'javascript:alert(1)' }],
    ['no url and no Referer', {}],
  ])('refuses %s: 400, a script that logs the reason, nothing signed, WeChat never called', async (_name, query) => {
    const { app } = build();
    const res = await request(app).get('/weixin-config.js').query(query).set('Host', HOST);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const { configs, errors } = runScript(res.text);
    expect(configs).toEqual([]);
    expect(String(errors[0])).toMatch(/^express-wxauth: \/weixin-config\.js: /);
    expect(res.text).not.toMatch(/signature/);
    expect(h.sim.log).toHaveLength(0);
  });

  test('a hostile URL is never echoed into the script', async () => {
    const { app } = build();
    const res = await request(app).get('/weixin-config.js').query({ url: 'https://evil.test/</script><script>alert(1)</script>\u2028' }).set('Host', HOST);
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/<\/script|alert|\u2028/);
  });

  test('WeChat failing: the script logs an error code, the status says so, no secret or token leaks', async () => {
    const { app } = build();
    h.sim.faults.inject('/cgi-bin/stable_token', { status: 502, times: 5 });
    const res = await request(app).get('/weixin-config.js').query({ url: PAGE }).set('Host', HOST);
    expect(res.status).toBe(502);
    const { configs, errors } = runScript(res.text);
    expect(configs).toEqual([]);
    expect(String(errors[0])).toContain('could not sign this page (network_error)');
    expect(res.text + logger.text()).not.toContain(MP.secret);
    expect(logger.text()).toContain('jssdk: could not sign a page');
  });

  test('is not mounted when neither jssdk nor mp is configured; router.jssdk then says why', async () => {
    const router = wxauth({ qrcode: { appid: 'wxqr000000000001', secret: 's' }, endpoints: { open: h.server.url, api: h.server.url }, logger });
    const res = await request(express().use(router)).get('/weixin-config.js').query({ url: PAGE }).set('Host', HOST);
    expect(res.status).toBe(404);
    expect(() => router.jssdk).toThrow(expect.objectContaining({ code: 'config_error', field: 'jssdk' }));
  });

  test('jssdk.appid without a secret (and no getAccessToken) fails at start-up', () => {
    expect(() => build({ jssdk: { appid: 'wxother000000001', jsApiList: [] } })).toThrow(expect.objectContaining({ code: 'config_error', field: 'jssdk.appid' }));
  });
});

test('warm cache: requests make no store call and no WeChat call', async () => {
  const store = new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` });
  const calls: string[] = [];
  const counted = Object.fromEntries(
    (['get', 'set', 'del', 'setIfAbsent', 'take', 'delIfEquals'] as const).map((m) => [m, (...args: never[]) => (calls.push(m), (store[m] as (...a: never[]) => Promise<unknown>).apply(store, args))]),
  ) as unknown as Store;
  const { app } = build({ store: counted });
  expect((await request(app).get('/weixin-config.js').query({ url: PAGE }).set('Host', HOST)).status).toBe(200);
  calls.length = 0;
  const upstream = h.sim.log.length;
  for (let i = 0; i < 20; i++) expect((await request(app).get('/weixin-config.js').query({ url: PAGE }).set('Host', HOST)).status).toBe(200);
  expect(calls).toEqual([]);
  expect(h.sim.log.length).toBe(upstream);
});

describe('GET /weixin-config.json (SPAs)', () => {
  test('answers the wx.config object as JSON, no-store', async () => {
    const { app } = build();
    const res = await request(app).get('/weixin-config.json').query({ url: PAGE }).set('Host', HOST);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ debug: false, appId: MP.appid, jsApiList: ['chooseImage', 'updateAppMessageShareData'], openTagList: ['wx-open-launch-app'] });
    expect(verifies(res.body, PAGE)).toBe(true);
  });

  test('refuses an untrusted URL with a JSON error', async () => {
    const { app } = build();
    const res = await request(app).get('/weixin-config.json').query({ url: 'https://evil.test/' }).set('Host', HOST);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'url_not_allowed', message: expect.stringContaining('not on this site') });
  });
});

describe('router.jssdk', () => {
  test('sign(url) → { appId, timestamp, nonceStr, signature } for the URL without its fragment', async () => {
    const { router } = build();
    const signed = await router.jssdk.sign(`${PAGE}#x`);
    expect(Object.keys(signed).sort()).toEqual(['appId', 'nonceStr', 'signature', 'timestamp']);
    expect(verifies(signed as unknown as Record<string, unknown>, PAGE)).toBe(true);
  });

  test('config(url) → the whole wx.config argument', async () => {
    const { router } = build();
    const config = await router.jssdk.config(PAGE, { debug: true });
    expect(config).toMatchObject({ debug: true, appId: MP.appid, jsApiList: ['chooseImage', 'updateAppMessageShareData'] });
    expect(verifies(config as unknown as Record<string, unknown>, PAGE)).toBe(true);
  });

  test('sign() refuses something that is not an absolute http(s) URL', async () => {
    const { router } = build();
    await expect(router.jssdk.sign('/relative')).rejects.toMatchObject({ code: 'args_error' });
  });

  test('with only mp configured, the JSSDK is there with an empty jsApiList', async () => {
    const { app } = build({ jssdk: undefined });
    const res = await request(app).get('/weixin-config.json').query({ url: PAGE }).set('Host', HOST);
    expect(res.body).toMatchObject({ appId: MP.appid, jsApiList: [] });
  });
});

describe('without baseUrl the Host header does not decide what is signed in production', () => {
  /** Build (and run `fn`) with NODE_ENV=production, as a deployed app has it. */
  async function inProduction<T>(fn: () => T | Promise<T>): Promise<T> {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      return await fn();
    } finally {
      process.env.NODE_ENV = before;
    }
  }
  const EVIL = 'https://evil.test/their-page?x=1';

  test('a spoofed Host gets no signature for its own page (url_not_allowed); an allowedRedirects origin is signed', async () => {
    const { app } = await inProduction(() => build({ allowedRedirects: ['https://m.example.com'] }));
    for (const host of ['evil.test', HOST]) {
      const page = host === HOST ? PAGE : EVIL;
      const json = await request(app).get('/weixin-config.json').query({ url: page }).set('Host', host);
      expect(json.status).toBe(400);
      expect(json.body).toEqual({ error: 'url_not_allowed', message: expect.stringContaining('baseUrl') });
      const script = await request(app).get('/weixin-config.js').set('Host', host).set('Referer', page);
      expect(script.status).toBe(400);
      expect(runScript(script.text).configs).toEqual([]);
    }
    expect(h.sim.log).toHaveLength(0); // no ticket fetched for any of them
    const url = 'https://m.example.com/a?b=c';
    const ok = await request(app).get('/weixin-config.json').query({ url }).set('Host', 'evil.test');
    expect(ok.status).toBe(200);
    expect(verifies(ok.body, url)).toBe(true);
  });

  test('wxauth() refuses to start without baseUrl or allowedRedirects: a config_error naming baseUrl; with baseUrl only its host is signed', async () => {
    let error: unknown;
    await inProduction(() => {
      try {
        build();
      } catch (e) {
        error = e;
      }
    });
    expect(error).toMatchObject({ code: 'config_error', field: 'baseUrl', message: expect.stringContaining('"baseUrl"') });
    expect((error as Error).message).toContain('allowedRedirects');

    const { app } = await inProduction(() => build({ baseUrl: `https://${HOST}` }));
    const spoofed = await request(app).get('/weixin-config.json').query({ url: EVIL }).set('Host', 'evil.test');
    expect(spoofed.body).toMatchObject({ error: 'url_not_allowed' });
    const ours = await request(app).get('/weixin-config.json').query({ url: PAGE }).set('Host', 'evil.test');
    expect(verifies(ours.body, PAGE)).toBe(true);
  });
});
