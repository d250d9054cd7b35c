import { createApiClient } from '../../lib/client';
import { expiryBody } from '../../lib/client/links-api';
import { RedisStore } from '../../lib/store/redis';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { contextFor, MINI, MP, startSimulator, type SimHarness } from './harness';

// client.urlLink / urlScheme / shortLink against the simulator over HTTP.
let redis: TestRedis;
let h: SimHarness;
let n = 0;
const DAY = 86_400_000;

beforeAll(async () => {
  redis = await createTestRedis('links');
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
  await redis.close();
});
beforeEach(() => {
  h.sim.reset();
  h.sim.wxacodes.setPages(MINI.appid, undefined);
  h.sim.wxacodes.setPublished(MINI.appid, true);
});

const client = () => createApiClient(contextFor(h.server.url, new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` }), () => h.sim.now()), { mp: MP, miniprogram: MINI });
const lastLink = () => h.sim.wxacodes.links[h.sim.wxacodes.links.length - 1]!;

describe('client.urlLink (generate_urllink)', () => {
  test('a wxaurl.cn link to the page with its query, valid 30 days by default', async () => {
    const { urlLink } = await client().urlLink({ path: 'pages/item/item', query: 'id=42&from=sms' });
    expect(urlLink).toMatch(/^https:\/\/wxaurl\.cn\/[A-Za-z0-9]+$/);
    expect(lastLink()).toMatchObject({ appid: MINI.appid, kind: 'urllink', link: urlLink, path: 'pages/item/item', query: 'id=42&from=sms', envVersion: 'release' });
    expect(lastLink().expiresAt! - h.sim.now()).toBeGreaterThan(30 * DAY - 60_000);
  });

  test('expireInterval in days, or expireTime as a Date, reach WeChat as expire_type 1 / 0', async () => {
    const c = client();
    await c.urlLink({ expireInterval: 7, envVersion: 'trial' });
    expect(lastLink()).toMatchObject({ envVersion: 'trial' });
    expect(Math.round((lastLink().expiresAt! - h.sim.now()) / DAY)).toBe(7);
    const at = new Date(h.sim.now() + 2 * DAY);
    await c.urlLink({ expireTime: at });
    expect(lastLink().expiresAt).toBe(Math.floor(at.getTime() / 1000) * 1000);
  });

  test('an expiry past 30 days, within a minute, or both kinds at once is an args_error before the call', async () => {
    const c = client();
    const now = h.sim.now();
    await expect(c.urlLink({ expireInterval: 31 })).rejects.toMatchObject({ code: 'args_error', field: 'expireInterval' });
    await expect(c.urlLink({ expireTime: new Date(now + 30_000) })).rejects.toMatchObject({ code: 'args_error', field: 'expireTime' });
    await expect(c.urlLink({ expireTime: new Date(now + 31 * DAY) })).rejects.toMatchObject({ code: 'args_error', field: 'expireTime' });
    await expect(c.urlLink({ expireTime: new Date(now + DAY), expireInterval: 1 })).rejects.toMatchObject({ code: 'args_error', field: 'expireTime' });
    await expect(c.urlLink({ path: '/pages/a/a' })).rejects.toMatchObject({ code: 'args_error', field: 'path' });
    await expect(c.urlLink({ query: 'name=中文' })).rejects.toMatchObject({ code: 'args_error', field: 'query' });
    expect(h.sim.calls('/wxa/generate_urllink')).toBe(0);
  });

  test('a page not in the published version is WeChat’s 40165 as args_error; nothing published is 85079', async () => {
    h.sim.wxacodes.setPages(MINI.appid, ['pages/index/index']);
    await expect(client().urlLink({ path: 'pages/gone/gone' })).rejects.toMatchObject({ code: 'args_error', errcode: 40165 });
    h.sim.wxacodes.setPublished(MINI.appid, false);
    await expect(client().urlLink()).rejects.toMatchObject({ code: 'wechat_error', errcode: 85079 });
  });

  test('WeChat’s own expiry check (85401) is an args_error too, with the errcode kept', async () => {
    h.sim.faults.inject('/wxa/generate_urllink', { errcode: 85401 });
    await expect(client().urlLink({ expireInterval: 1 })).rejects.toMatchObject({ code: 'args_error', errcode: 85401 });
  });

  test('each call makes a new link: busy (-1) is not retried', async () => {
    h.sim.faults.inject('/wxa/generate_urllink', { errcode: -1 });
    await expect(client().urlLink()).rejects.toMatchObject({ code: 'wechat_error', errcode: -1 });
    expect(h.sim.calls('/wxa/generate_urllink')).toBe(1);
  });
});

describe('client.urlScheme (generatescheme)', () => {
  test('a weixin://dl/business link through jump_wxa, with the expiry', async () => {
    const { openlink } = await client().urlScheme({ path: 'pages/item/item', query: 'id=7', expireInterval: 3 });
    expect(openlink).toMatch(/^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]+$/);
    expect(lastLink()).toMatchObject({ kind: 'scheme', path: 'pages/item/item', query: 'id=7' });
    expect(Math.round((lastLink().expiresAt! - h.sim.now()) / DAY)).toBe(3);
  });
});

describe('client.shortLink (genwxashortlink)', () => {
  test('a #小程序:// link for the page and query; permanent on request', async () => {
    const { link } = await client().shortLink({ pageUrl: 'pages/item/item?id=9', pageTitle: 'Green tea', isPermanent: true });
    expect(link.startsWith('#小程序://')).toBe(true);
    expect(lastLink()).toMatchObject({ kind: 'shortlink', path: 'pages/item/item', query: 'id=9' });
    expect(lastLink().expiresAt).toBeUndefined();
  });

  test('pageUrl is required and may not start with a slash', async () => {
    await expect(client().shortLink({} as never)).rejects.toMatchObject({ code: 'args_error', field: 'pageUrl' });
    await expect(client().shortLink({ pageUrl: '/pages/a/a' })).rejects.toMatchObject({ code: 'args_error', field: 'pageUrl' });
  });
});

describe('expiryBody', () => {
  test('neither kind leaves WeChat’s 30-day default; Unix seconds are taken as they are', () => {
    expect(expiryBody({}, 0)).toEqual({});
    expect(expiryBody({ expireTime: 1_000_000 }, 999_000_000)).toEqual({ is_expire: true, expire_type: 0, expire_time: 1_000_000 });
  });
});
