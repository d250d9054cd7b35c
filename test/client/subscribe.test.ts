import { createApiClient } from '../../lib/client';
import type { ApiClient } from '../../lib/client/types';
import { RedisStore } from '../../lib/store/redis';
import { captureLogger, type CapturedLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { contextFor, MINI, MP, startSimulator, type SimHarness } from './harness';

/**
 * router.client.sendSubscribe (mini program, message/subscribe/send) and sendSubscribeNotice
 * (official account, message/subscribe/bizsend) against the simulator over HTTP, the shared
 * token in real Redis: one-shot subscriptions spent per send, WeChat's errcodes mapped to codes
 * an app can act on, values checked before any call.
 */
const SEND = '/cgi-bin/message/subscribe/send';
const BIZSEND = '/cgi-bin/message/subscribe/bizsend';
const TEMPLATE = 'tpl-order-shipped';

let redis: TestRedis;
let h: SimHarness;
let n = 0;
let client: ApiClient;
let logger: CapturedLogger;

beforeAll(async () => {
  redis = await createTestRedis('subscribe');
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
  await redis.close();
});
beforeEach(() => {
  h.sim.reset();
  logger = captureLogger();
  client = createApiClient(contextFor(h.server.url, new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` }), Date.now, logger), { mp: MP, miniprogram: MINI });
});

const miniUser = () => h.sim.openidOf(MINI.appid, 'alice');
const mpUser = () => h.sim.openidOf(MP.appid, 'alice');
const order = { character_string1: 'A-42', thing2: '绿茶 Green tea', amount3: '¥12.50', time4: '2026-12-01 12:30' };

describe('sendSubscribe (mini program)', () => {
  test('sends to the configured mini program with its own token; resolves with the 64-bit msgid as its digits', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE });
    const { msgid } = await client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, page: 'pages/order/detail?id=42', data: order, miniprogramState: 'trial', lang: 'en_US' });
    expect(msgid).toMatch(/^\d{18,}$/);
    expect(BigInt(msgid)).toBeGreaterThan(2n ** 53n);
    expect(h.sim.sentSubscribes).toEqual([
      {
        kind: 'send',
        appid: MINI.appid,
        msgid,
        touser: miniUser(),
        template_id: TEMPLATE,
        page: 'pages/order/detail?id=42',
        miniprogram_state: 'trial',
        lang: 'en_US',
        data: { character_string1: { value: 'A-42' }, thing2: { value: '绿茶 Green tea' }, amount3: { value: '¥12.50' }, time4: { value: '2026-12-01 12:30' } },
        time: expect.any(Number),
      },
    ]);
    expect(h.sim.tokenFetches(MINI.appid)).toBe(1);
    expect(h.sim.tokenFetches(MP.appid)).toBe(0);
  });

  test('a one-time subscription is spent by one send: the second answers not_subscribed, errcode 43101 kept', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE });
    await client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order });
    const error = await client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WxAuthError', code: 'not_subscribed', status: 403, errcode: 43101, message: expect.stringContaining('wx.requestSubscribeMessage') });
    expect(h.sim.sentSubscribes).toHaveLength(1);
  });

  test('times: 3 allows three sends, then 43101', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE, times: 3 });
    for (let i = 0; i < 3; i++) await client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order })).rejects.toMatchObject({ code: 'not_subscribed', errcode: 43101 });
    expect(new Set(h.sim.sentSubscribes.map((s) => s.msgid)).size).toBe(3);
  });

  test('a template the app does not have: args_error on templateId, errcode 40037; an unknown openid: errcode 40003', async () => {
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: 'tpl-nope', data: order })).rejects.toMatchObject({ code: 'args_error', field: 'templateId', errcode: 40037 });
    h.sim.addTemplate(MINI.appid, TEMPLATE);
    await expect(client.sendSubscribe({ touser: 'o-never-seen-by-this-app', templateId: TEMPLATE, data: order })).rejects.toMatchObject({ code: 'wechat_error', errcode: 40003 });
    // Known template, no subscription: 43101, not 40037.
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order })).rejects.toMatchObject({ code: 'not_subscribed', errcode: 43101 });
  });

  test('a page that is not a page path: args_error on page, errcode 41030, and the subscription is not spent', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, page: 'https://shop.example.com/o/42', data: order })).rejects.toMatchObject({ code: 'args_error', field: 'page', errcode: 41030 });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order })).resolves.toEqual({ msgid: expect.any(String) });
  });

  test('WeChat’s 47003 names the refused key: args_error on data.<key>, errcode and errmsg kept', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE });
    h.sim.faults.inject(SEND, { errcode: 47003, errmsg: 'argument invalid! data.thing2.value invalid' });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order })).rejects.toMatchObject({
      code: 'args_error',
      field: 'data.thing2',
      errcode: 47003,
      errmsg: 'argument invalid! data.thing2.value invalid',
    });
  });

  test('a 47003 whose errmsg names the key only after its request hint gives field "data" (the hint and what follows are cut: they echo the request)', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE });
    h.sim.faults.inject(SEND, { errcode: 47003, errmsg: 'argument invalid! hint: [ciPecA05663945] data.thing2.value invalid' });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order })).rejects.toMatchObject({ code: 'args_error', field: 'data', errcode: 47003, errmsg: 'argument invalid!' });
  });

  test('a value that breaks its rule is refused before any token or call', async () => {
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: { ...order, thing2: '一二三四五六七八九十一二三四五六七八九十🍵' } })).rejects.toMatchObject({
      code: 'args_error',
      field: 'data.thing2',
      message: expect.stringContaining('it has 21 characters'),
    });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order, miniprogramState: 'beta' as never })).rejects.toMatchObject({ field: 'miniprogramState' });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order, lang: 'fr' as never })).rejects.toMatchObject({ field: 'lang' });
    await expect(client.sendSubscribe({ touser: '', templateId: TEMPLATE, data: order })).rejects.toMatchObject({ field: 'touser' });
    expect(h.sim.log).toEqual([]);
  });

  test('WeChat’s 64-bit msgid comes back digit for digit', async () => {
    h.sim.faults.inject(SEND, { status: 200, body: '{"errcode":0,"errmsg":"ok","msgid":271781022721654784}', contentType: 'application/json; encoding=utf-8' });
    await expect(client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order })).resolves.toEqual({ msgid: '271781022721654784' });
  });

  test('an invalid token heals once (drop, fetch, retry) without spending the subscription twice', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE });
    await client.getAccessToken(MINI.appid);
    h.sim.faults.inject(SEND, { errcode: 40001 });
    await client.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order });
    expect(h.sim.sentSubscribes).toHaveLength(1);
    expect(h.sim.calls(SEND)).toBe(2);
  });

  test('without a configured mini program an appid is required', async () => {
    const mpOnly = createApiClient(contextFor(h.server.url, new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` })), { mp: MP });
    await expect(mpOnly.sendSubscribe({ touser: miniUser(), templateId: TEMPLATE, data: order })).rejects.toMatchObject({ code: 'config_error', field: 'appid' });
  });
});

describe('sendSubscribeNotice (official account 订阅通知)', () => {
  test('sends from the default app (the official account), with a mini program jump; records kind bizsend', async () => {
    h.sim.subscribe({ appid: MP.appid, openid: mpUser(), templateId: TEMPLATE });
    const { msgid } = await client.sendSubscribeNotice({ touser: mpUser(), templateId: TEMPLATE, data: order, miniprogram: { appid: MINI.appid, pagepath: 'pages/order/detail?id=42' } });
    expect(h.sim.sentSubscribes).toEqual([expect.objectContaining({ kind: 'bizsend', appid: MP.appid, msgid, touser: mpUser(), miniprogram: { appid: MINI.appid, pagepath: 'pages/order/detail?id=42' } })]);
    expect(h.sim.calls(BIZSEND)).toBe(1);
    expect(h.sim.tokenFetches(MINI.appid)).toBe(0);
  });

  test('a web page to open, and the subscription spent: the second is not_subscribed', async () => {
    h.sim.subscribe({ appid: MP.appid, openid: mpUser(), templateId: TEMPLATE });
    await client.sendSubscribeNotice({ touser: mpUser(), templateId: TEMPLATE, page: 'https://shop.example.com/orders/42', data: order });
    expect(h.sim.sentSubscribes[0]).toMatchObject({ page: 'https://shop.example.com/orders/42' });
    await expect(client.sendSubscribeNotice({ touser: mpUser(), templateId: TEMPLATE, data: order })).rejects.toMatchObject({ code: 'not_subscribed', errcode: 43101 });
  });

  test('the notice is the official account’s: sent to the mini program’s token the simulator answers 48001 (config_error)', async () => {
    h.sim.subscribe({ appid: MINI.appid, openid: miniUser(), templateId: TEMPLATE });
    await expect(client.sendSubscribeNotice({ touser: miniUser(), templateId: TEMPLATE, data: order }, MINI.appid)).rejects.toMatchObject({ code: 'config_error', errcode: 48001 });
  });

  test('miniprogram must carry appid and pagepath', async () => {
    await expect(client.sendSubscribeNotice({ touser: mpUser(), templateId: TEMPLATE, data: order, miniprogram: { appid: MINI.appid } as never })).rejects.toMatchObject({ code: 'args_error', field: 'miniprogram.pagepath' });
  });

  test('nothing of the message reaches the log', async () => {
    h.sim.subscribe({ appid: MP.appid, openid: mpUser(), templateId: TEMPLATE });
    await client.sendSubscribeNotice({ touser: mpUser(), templateId: TEMPLATE, data: order });
    await client.sendSubscribeNotice({ touser: mpUser(), templateId: TEMPLATE, data: order }).catch(() => undefined);
    const text = logger.text();
    expect(text).not.toContain('A-42');
    expect(text).not.toContain(mpUser());
  });
});
