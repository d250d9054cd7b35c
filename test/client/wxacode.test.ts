import axios from 'axios';
import { createApiClient } from '../../lib/client';
import { WechatClient } from '../../lib/wechat/client';
import { isCodeImage, wxacodeBody } from '../../lib/client/wxacode-api';
import { RedisStore } from '../../lib/store/redis';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { contextFor, MINI, MP, startSimulator, type SimHarness } from './harness';
import { coloursOf, decodeQr } from './qr-image';

// client.wxacode / wxacodeForPath against the simulator over HTTP: a real PNG that decodes to
// the scene, the checks made before any call, and WeChat's JSON errors (HTTP 200) as errors.
let redis: TestRedis;
let h: SimHarness;
let n = 0;
const UNLIMIT = '/wxa/getwxacodeunlimit';
const PATH = '/wxa/getwxacode';

beforeAll(async () => {
  redis = await createTestRedis('wxacode');
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

const client = () => createApiClient(contextFor(h.server.url, new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` })), { mp: MP, miniprogram: MINI });

describe('client.wxacode (getwxacodeunlimit)', () => {
  test('resolves with a PNG that decodes to the scene on the page, through the mini program’s token', async () => {
    const png = await client().wxacode({ scene: 'order=A42&from=s', page: 'pages/order/order', width: 280 });
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(decodeQr(png)).toBe(`wxacode:${MINI.appid}:pages/order/order?scene=${encodeURIComponent('order=A42&from=s')}`);
    expect(h.sim.tokenFetches(MINI.appid)).toBe(1);
    expect(h.sim.wxacodes.codes).toEqual([expect.objectContaining({ appid: MINI.appid, kind: 'unlimited', scene: 'order=A42&from=s', page: 'pages/order/order' })]);
  });

  test('the home page when no page is given; width, line colour and a transparent background reach WeChat', async () => {
    const png = await client().wxacode({ scene: 'x1', width: 280, lineColor: { r: 255, g: 0, b: 0 }, isHyaline: true });
    expect(decodeQr(png)).toBe(`wxacode:${MINI.appid}:home?scene=x1`);
    expect(coloursOf(png)).toEqual(new Set(['#ff0000ff', '#00000000']));
  });

  test.each([
    ['33 characters', 'a'.repeat(33)],
    ['a character outside WeChat’s set', 'id=中文'],
    ['a percent sign (WeChat takes no URL encoding)', 'a%20b'],
    ['an empty scene', ''],
  ])('a scene of %s is an args_error naming scene, before any call', async (_what, scene) => {
    await expect(client().wxacode({ scene })).rejects.toMatchObject({ code: 'args_error', field: 'scene', status: 400 });
    expect(h.sim.calls(UNLIMIT)).toBe(0);
    expect(h.sim.tokenFetches(MINI.appid)).toBe(0);
  });

  test('exactly 32 visible characters of every allowed kind pass', () => {
    const scene = "aZ09!#$&'()*+,/:;=?@-._~abcdefgh";
    expect([...scene]).toHaveLength(32);
    expect(wxacodeBody({ scene })).toEqual({ scene });
  });

  test('a page with a leading slash or a query, or a width out of range, is refused before the call', async () => {
    await expect(client().wxacode({ scene: 'a', page: '/pages/index/index' })).rejects.toMatchObject({ code: 'args_error', field: 'page' });
    await expect(client().wxacode({ scene: 'a', page: 'pages/index/index?x=1' })).rejects.toMatchObject({ code: 'args_error', field: 'page' });
    await expect(client().wxacode({ scene: 'a', width: 100 })).rejects.toMatchObject({ code: 'args_error', field: 'width' });
    await expect(client().wxacode({ scene: 'a', envVersion: 'beta' as never })).rejects.toMatchObject({ code: 'args_error', field: 'envVersion' });
    expect(h.sim.calls(UNLIMIT)).toBe(0);
  });

  test('a page not in the published version: WeChat’s 41030 as args_error with the errcode; checkPath false lets it through', async () => {
    h.sim.wxacodes.setPages(MINI.appid, ['pages/index/index']);
    const c = client();
    const error = await c.wxacode({ scene: 'a', page: 'pages/new/new' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'args_error', errcode: 41030, status: 400 });
    expect(JSON.stringify(error)).not.toContain('access_token');
    expect(decodeQr(await c.wxacode({ scene: 'a', page: 'pages/new/new', checkPath: false, envVersion: 'develop', width: 280 }))).toBe(`wxacode:${MINI.appid}:pages/new/new?scene=a`);
  });

  test('the quota errcode (45009) is a wechat_error with status 503 and the errcode kept, never image bytes', async () => {
    h.sim.faults.inject(UNLIMIT, { errcode: 45009 });
    await expect(client().wxacode({ scene: 'a' })).rejects.toMatchObject({ code: 'wechat_error', errcode: 45009, status: 503 });
  });

  test('a JSON error labelled as an image is still an error (content type AND body decide)', async () => {
    h.sim.faults.inject(UNLIMIT, { status: 200, body: JSON.stringify({ errcode: 40169, errmsg: 'invalid length for scene' }), contentType: 'image/jpeg' });
    await expect(client().wxacode({ scene: 'a' })).rejects.toMatchObject({ code: 'args_error', errcode: 40169 });
  });

  test('an answer that is neither an image nor a WeChat error is a network_error', async () => {
    h.sim.faults.inject(UNLIMIT, { status: 200, body: '<html>proxy</html>', contentType: 'image/png' });
    await expect(client().wxacode({ scene: 'a' })).rejects.toMatchObject({ code: 'network_error' });
  });

  test('a refused token (40001) is dropped, fetched again and the code retried once', async () => {
    const c = client();
    await c.wxacode({ scene: 'warm', width: 280 });
    h.sim.faults.inject(UNLIMIT, { errcode: 40001 });
    expect(decodeQr(await c.wxacode({ scene: 'again', width: 280 }))).toBe(`wxacode:${MINI.appid}:home?scene=again`);
    expect(h.sim.tokenFetches(MINI.appid)).toBe(2);
  });

  test('busy (-1) is retried: the same code again is harmless', async () => {
    h.sim.faults.inject(UNLIMIT, { errcode: -1 });
    expect(decodeQr(await client().wxacode({ scene: 'b', width: 280 }))).toBe(`wxacode:${MINI.appid}:home?scene=b`);
    expect(h.sim.calls(UNLIMIT)).toBe(2);
  });

  test('with the app’s own axios instance (axios’s defaults, its own adapter) the image and the errors are the same', async () => {
    const ctx = { ...contextFor(h.server.url, new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` })) };
    ctx.http = new WechatClient({ endpoints: { open: h.server.url, api: h.server.url, pay: h.server.url }, axios: axios.create() });
    const c = createApiClient(ctx, { mp: MP, miniprogram: MINI });
    expect(decodeQr(await c.wxacode({ scene: 'own', width: 280 }))).toBe(`wxacode:${MINI.appid}:home?scene=own`);
    h.sim.faults.inject(UNLIMIT, { errcode: 45009 });
    await expect(c.wxacode({ scene: 'own' })).rejects.toMatchObject({ code: 'wechat_error', errcode: 45009 });
  });

  test('an official account’s token is not authorized for codes: WeChat’s 48001 is a config_error', async () => {
    await expect(client().wxacode({ scene: 'a' }, MP.appid)).rejects.toMatchObject({ code: 'config_error', errcode: 48001 });
  });
});

describe('client.wxacodeForPath (getwxacode)', () => {
  test('a PNG for the page with its query', async () => {
    const png = await client().wxacodeForPath({ path: 'pages/item/item?id=42', width: 280 });
    expect(decodeQr(png)).toBe(`wxacode:${MINI.appid}:pages/item/item?id=42`);
  });

  test('a path over 128 bytes is refused before the call; the lifetime cap is WeChat’s 45029', async () => {
    await expect(client().wxacodeForPath({ path: `pages/a/a?x=${'é'.repeat(60)}` })).rejects.toMatchObject({ code: 'args_error', field: 'path' });
    expect(h.sim.calls(PATH)).toBe(0);
    h.sim.wxacodes.pathLimit = 1;
    try {
      const c = client();
      await c.wxacodeForPath({ path: 'pages/a/a?n=1', width: 280 });
      await expect(c.wxacodeForPath({ path: 'pages/a/a?n=2' })).rejects.toMatchObject({ code: 'wechat_error', errcode: 45029 });
    } finally {
      h.sim.wxacodes.pathLimit = 100_000;
    }
  });
});

describe('isCodeImage', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const jpeg = Buffer.from('ffd8ffe000104a464946', 'hex');
  const json = Buffer.from('{"errcode":41030,"errmsg":"invalid page"}');
  test('an image needs an image content type and image bytes', () => {
    expect(isCodeImage(png, 'image/png')).toBe(true);
    expect(isCodeImage(jpeg, 'image/jpeg')).toBe(true);
    expect(isCodeImage(json, 'image/jpeg')).toBe(false);
    expect(isCodeImage(png, 'application/json; encoding=utf-8')).toBe(false);
    expect(isCodeImage(Buffer.alloc(0), 'image/png')).toBe(false);
  });
});
