import { createApiClient } from '../../lib/client';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { RedisStore } from '../../lib/store/redis';
import { contextFor, MINI, MP, startSimulator, type SimHarness } from './harness';

let redis: TestRedis;
let h: SimHarness;
let n = 0;
/** A fresh key namespace per test: every test starts with a cold shared cache. */
const freshStore = () => new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` });

beforeAll(async () => {
  redis = await createTestRedis('api-client');
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
  await redis.close();
});
beforeEach(() => {
  h.sim.reset();
  h.clock.offset = 0;
});

const TOKEN = '/cgi-bin/token';
const STABLE = '/cgi-bin/stable_token';
const TICKET = '/cgi-bin/ticket/getticket';
const SEND = '/cgi-bin/message/template/send';

describe('ApiClient: basic access token', () => {
  test('uses /cgi-bin/stable_token by default and caches the token', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    const a = await client.getAccessToken();
    const b = await client.getAccessToken(MP.appid);
    expect(a).toBe(b);
    expect(h.sim.calls(STABLE)).toBe(1);
    expect(h.sim.calls(TOKEN)).toBe(0);
  });

  test('tokenEndpoint "token" uses /cgi-bin/token', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP, tokenEndpoint: 'token' });
    await client.getAccessToken();
    await client.getAccessToken();
    expect(h.sim.calls(TOKEN)).toBe(1);
    expect(h.sim.calls(STABLE)).toBe(0);
  });

  test('looks the appid up among the configured apps, one token per app', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP, miniprogram: MINI });
    const mp = await client.getAccessToken();
    const mini = await client.getAccessToken(MINI.appid);
    expect(mp).not.toBe(mini);
    expect(h.sim.tokenFetches(MP.appid)).toBe(1);
    expect(h.sim.tokenFetches(MINI.appid)).toBe(1);
    await expect(client.getAccessToken('wxunknown0000001')).rejects.toMatchObject({ code: 'config_error', field: 'appid' });
  });

  test('without mp or jssdk.appid the only configured app is the default; with several, an appid is required', async () => {
    const only = createApiClient(contextFor(h.server.url, freshStore()), { miniprogram: MINI });
    expect(only.defaultAppid).toBe(MINI.appid);
    await expect(only.getAccessToken()).resolves.toEqual(expect.any(String));
    const several = createApiClient(contextFor(h.server.url, freshStore()), { miniprogram: MINI, qrcode: { appid: 'wxqr000000000001', secret: 's' } });
    await expect(several.getAccessToken()).rejects.toMatchObject({ code: 'config_error' });
  });

  test('a token refreshed before use: past expiry minus 5 minutes it is fetched again', async () => {
    let now = Date.now();
    const client = createApiClient(contextFor(h.server.url, freshStore(), () => now), { mp: MP });
    const first = await client.getAccessToken();
    now += (7200 - 4 * 60) * 1000;
    h.clock.offset = 7200 * 1000; // and at WeChat the old one has expired by now
    const second = await client.getAccessToken();
    expect(second).not.toBe(first);
    expect(h.sim.calls(STABLE)).toBe(2);
    // The new token works upstream.
    const ticket = await client.getJsapiTicket();
    expect(ticket).toBe(h.sim.ticketsOf(MP.appid).at(-1));
  });

  test('wrong secret: config_error with the errcode, and the secret appears nowhere', async () => {
    const logger = captureLogger();
    const client = createApiClient(contextFor(h.server.url, freshStore(), Date.now, logger), { mp: { appid: MP.appid, secret: 'wrong-secret-xyz' } });
    const error = await client.getAccessToken().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'config_error', errcode: 40125 });
    expect(JSON.stringify(error) + String((error as Error).message) + logger.text()).not.toContain('wrong-secret-xyz');
  });

  test('errcode -1 on the token endpoint is retried with bounded backoff', async () => {
    h.sim.faults.inject(STABLE, { errcode: -1, times: 2 });
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    await expect(client.getAccessToken()).resolves.toEqual(expect.any(String));
    expect(h.sim.calls(STABLE)).toBe(3);
  });

  test('errcode -1 that persists ends in token_error (503), not an endless loop', async () => {
    h.sim.faults.inject(STABLE, { errcode: -1, times: 10 });
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'token_error', errcode: -1, status: 503 });
    expect(h.sim.calls(STABLE)).toBe(3);
  });
});

describe('ApiClient: jsapi_ticket and invalid tokens', () => {
  test('the ticket is fetched once with the shared token and cached', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    const tickets = await Promise.all(Array.from({ length: 50 }, () => client.getJsapiTicket()));
    expect(new Set(tickets)).toEqual(new Set([h.sim.ticketsOf(MP.appid)[0]]));
    expect(client.cachedJsapiTicket()).toBe(tickets[0]);
    expect(h.sim.calls(TICKET)).toBe(1);
    expect(h.sim.calls(STABLE)).toBe(1);
  });

  test('40001 on getticket → one token refresh, one retry, success', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    await client.getAccessToken();
    h.sim.faults.inject(TICKET, { errcode: 40001 });
    const ticket = await client.getJsapiTicket();
    expect(ticket).toBe(h.sim.ticketsOf(MP.appid)[0]);
    expect(h.sim.calls(TICKET)).toBe(2);
    expect(h.sim.calls(STABLE)).toBe(2);
  });

  test('a token WeChat really invalidated (another system called /cgi-bin/token, 5-minute overlap over) is replaced', async () => {
    const logger = captureLogger();
    const client = createApiClient(contextFor(h.server.url, freshStore(), Date.now, logger), { mp: MP, tokenEndpoint: 'token' });
    const old = await client.getAccessToken();
    // Someone else fetches a token: ours stays valid for 5 more minutes, then 40001.
    await fetch(`${h.server.url}/cgi-bin/token?grant_type=client_credential&appid=${MP.appid}&secret=${MP.secret}`);
    h.clock.offset = 6 * 60 * 1000;
    const ticket = await client.getJsapiTicket();
    expect(ticket).toBe(h.sim.ticketsOf(MP.appid)[0]);
    expect(await client.getAccessToken()).not.toBe(old);
    expect(h.sim.calls(TOKEN)).toBe(3); // ours, the other system's, our refresh
    expect(logger.text()).not.toContain(old);
  });

  test('40001 twice in a row: one refresh, one retry, then the error (no loop)', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    h.sim.faults.inject(TICKET, { errcode: 40001, times: 2 });
    await expect(client.getJsapiTicket()).rejects.toMatchObject({ code: 'token_error', errcode: 40001 });
    expect(h.sim.calls(TICKET)).toBe(2);
  });

  test('invalidate() drops token and ticket: the next call fetches both again', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    await client.getJsapiTicket();
    await client.invalidate();
    expect(client.cachedJsapiTicket()).toBeUndefined();
    await client.getJsapiTicket();
    expect(h.sim.calls(TICKET)).toBe(2);
    expect(h.sim.calls(STABLE)).toBe(2);
  });
});

describe('ApiClient: getAccessToken option (token owned elsewhere)', () => {
  test('never calls the token endpoints; the ticket is fetched with the given token', async () => {
    const owner = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    const central = await owner.getAccessToken(); // the "central token service"
    const before = h.sim.calls(STABLE) + h.sim.calls(TOKEN);
    const asked: string[] = [];
    const client = createApiClient(contextFor(h.server.url, freshStore()), {
      mp: MP,
      getAccessToken: async (appid) => (asked.push(appid), central),
    });
    await expect(client.getAccessToken()).resolves.toBe(central);
    const ticket = await client.getJsapiTicket();
    expect(ticket).toBe(h.sim.ticketsOf(MP.appid)[0]);
    expect(asked).toEqual([MP.appid, MP.appid]);
    expect(h.sim.calls(STABLE) + h.sim.calls(TOKEN)).toBe(before);
  });

  test('40001 with the same token handed back: the error surfaces (nothing we can refresh)', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP, getAccessToken: async () => 'not-a-valid-token' });
    await expect(client.getJsapiTicket()).rejects.toMatchObject({ errcode: 40001 });
    expect(h.sim.calls(TICKET)).toBe(1);
    expect(h.sim.calls(STABLE) + h.sim.calls(TOKEN)).toBe(0);
  });

  test('a throwing getAccessToken becomes token_error', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), {
      mp: MP,
      getAccessToken: async () => {
        throw new Error('central service down');
      },
    });
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'token_error', status: 502 });
  });
});

describe('ApiClient: template messages', () => {
  const openid = () => h.sim.openidOf(MP.appid, 'alice');

  test('sendTemplate posts the message with the shared token and returns msgid', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    const { msgid } = await client.sendTemplate({
      touser: openid(),
      templateId: 'order-paid',
      url: 'https://shop.example.com/orders/1',
      data: { first: { value: 'Paid', color: '#173177' }, remark: { value: 'Thanks' } },
    });
    expect(msgid).toMatch(/^\d{18,19}$/); // WeChat's 64-bit id, as its digits
    expect(h.sim.sentTemplates).toEqual([
      expect.objectContaining({ appid: MP.appid, msgid, touser: openid(), template_id: 'order-paid', url: 'https://shop.example.com/orders/1', data: { first: { value: 'Paid', color: '#173177' }, remark: { value: 'Thanks' } } }),
    ]);
  });

  test('40001 on send → one token refresh, one retry, one message delivered', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    h.sim.faults.inject(SEND, { errcode: 40001 });
    await client.sendTemplate({ touser: openid(), templateId: 't', data: { first: { value: 'x' } } });
    expect(h.sim.calls(SEND)).toBe(2);
    expect(h.sim.calls(STABLE)).toBe(2);
    expect(h.sim.sentTemplates).toHaveLength(1);
  });

  test('other errcodes are wechat_error with the errcode, no retry', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    await expect(client.sendTemplate({ touser: 'o-not-a-follower', templateId: 't', data: {} })).rejects.toMatchObject({ code: 'wechat_error', errcode: 40003 });
    expect(h.sim.calls(SEND)).toBe(1);
  });

  test('a malformed message is args_error before any call', async () => {
    const client = createApiClient(contextFor(h.server.url, freshStore()), { mp: MP });
    await expect(client.sendTemplate({ touser: '', templateId: 't', data: {} })).rejects.toMatchObject({ code: 'args_error' });
    expect(h.sim.log).toHaveLength(0);
  });
});
