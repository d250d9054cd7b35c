/**
 * The Redis-outage tests' shared setup: the simulator, a redis-server of the file's own
 * (`RedisProcess`: start, kill, freeze), node-redis clients with their default offline queue —
 * the configuration most apps run — and the requests replayed while Redis is away and once it
 * is back. Call `redisOutageSuite(name)` at the top of a test file: it registers the hooks.
 */
import request from 'supertest';
import { createClient, type RedisClientType } from 'redis';
import { buildApp, fullOptions, leaks, MINI, MOBILE, responseText, startSim, Tally, type AppHandle, type SimHandle, type Storage } from './harness';
import { RedisProcess } from './redis-process';

export const DEADLINE_MS = 5000;
export const PREFIX = 'wxauth-resilience:';

/** The same request while Redis is away and once it is back. */
export interface Probe {
  name: string;
  send(h: AppHandle): Promise<request.Response>;
  /** What the user gets while the store is unavailable. */
  down(res: request.Response): void;
  up(res: request.Response): void;
}

export const storeError503 = (res: request.Response): void => {
  expect(res.status).toBe(503);
  expect(res.text).toContain('store_error');
};

export interface OutageSuite {
  readonly sim: SimHandle;
  readonly redis: RedisProcess;
  readonly tally: Tally;
  /** A node-redis client with its defaults (offline queue on), reconnecting quickly for the test. */
  newClient(): RedisClientType;
  /** Wait until the client has reconnected. */
  ready(client: RedisClientType): Promise<void>;
  /** The fully configured app on this client (its log is checked for leaks after each test). */
  appOn(client: RedisClientType, storage?: Storage): AppHandle;
  /** Send with a deadline (a hung request fails) and check the answer leaks nothing. */
  send(t: request.Test): Promise<request.Response>;
  /** Login starts, the QR script, native / mini / mobile logins, `/weixin-config.js`. */
  readonly probes: Probe[];
}

export function redisOutageSuite(name: string): OutageSuite {
  let sim: SimHandle;
  let redis: RedisProcess;
  const clients: RedisClientType[] = [];
  const apps: AppHandle[] = [];
  const tally = new Tally(name);

  beforeAll(async () => {
    sim = await startSim();
    redis = await RedisProcess.create();
  });
  afterEach(async () => {
    for (const h of apps) {
      const found = leaks(h.logger.text());
      if (found.length) tally.failures++;
      expect(found).toEqual([]);
    }
    apps.length = 0;
    for (const c of clients.splice(0)) c.destroy();
    await redis.stop();
  });
  afterAll(async () => {
    await sim.close();
    tally.flush();
  });

  const send = async (t: request.Test): Promise<request.Response> => {
    tally.requests++;
    const res = await t.timeout({ deadline: DEADLINE_MS });
    const found = leaks(responseText(res));
    if (found.length) tally.failures++;
    expect(found).toEqual([]);
    return res;
  };

  const probes: Probe[] = [
    {
      name: 'browser login start',
      send: (h) => send(request(h.app).get('/oauth/wechat/login').query({ action: 'mp' })),
      // The pending login is sealed into the browser's cookie: starting one needs no store.
      down: (res) => expect([res.status, String(res.headers['set-cookie'])]).toEqual([302, expect.stringMatching(/^wxauth_pending=/)]),
      up: (res) => expect(res.status).toBe(302),
    },
    {
      name: 'login start, JSON client',
      send: (h) => send(request(h.app).get('/oauth/wechat/login').query({ action: 'qrcode' }).set('Accept', 'application/json')),
      down: (res) => expect(res.status).toBe(302),
      up: (res) => expect(res.status).toBe(302),
    },
    {
      name: 'QR widget /weixin-login.js',
      send: (h) => send(request(h.app).get('/weixin-login.js')),
      down: (res) => expect(res.status).toBe(200), // holds no state: nothing to store
      up: (res) => expect(res.status).toBe(200),
    },
    {
      name: 'native POST /wx/oauth/login',
      send: (h) =>
        send(request(h.app).post('/wx/oauth/login').set({ 'X-Client-Type': 'android', 'X-App-Id': MOBILE.appid }).send({ code: sim.sim.issueCode(MOBILE.appid, { user: 'nina' }) })),
      down: (res) => expect([res.status, res.body.error?.code]).toEqual([503, 'store_error']),
      up: (res) => expect(res.body.sessionId).toEqual(expect.any(String)),
    },
    {
      name: 'mini program POST /wx/miniprogram/login',
      send: (h) => send(request(h.app).post('/wx/miniprogram/login').send({ code: sim.sim.issueCode(MINI.appid, { user: 'mia' }) })),
      down: (res) => expect([res.status, res.body.error?.code]).toEqual([503, 'store_error']),
      up: (res) => expect(res.body.sessionId).toEqual(expect.any(String)),
    },
    {
      // Cookie storage: the mobile login needs WeChat, not the store.
      name: 'mobile POST /oauth/wechat/mobile (cookie storage)',
      send: (h) => send(request(h.app).post('/oauth/wechat/mobile').send({ code: sim.sim.issueCode(MOBILE.appid, { user: 'otto' }) })),
      down: (res) => expect(res.body.openid).toBe(sim.sim.openidOf(MOBILE.appid, 'otto')),
      up: (res) => expect(res.body.openid).toBe(sim.sim.openidOf(MOBILE.appid, 'otto')),
    },
    {
      // The ticket cache falls back to a process-local fetch (test/client covers it in depth).
      name: '/weixin-config.js (cold cache)',
      send: (h) => send(request(h.app).get('/weixin-config.js').query({ url: 'http://127.0.0.1/page' })),
      down: (res) => expect([res.status, res.text.includes('wx.config(')]).toEqual([200, true]),
      up: (res) => expect(res.status).toBe(200),
    },
  ];

  return {
    get sim() {
      return sim;
    },
    get redis() {
      return redis;
    },
    tally,
    newClient() {
      const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } }) as RedisClientType;
      client.on('error', () => undefined); // connection errors while Redis is away are the point
      clients.push(client);
      return client;
    },
    async ready(client) {
      for (let i = 0; i < 200 && !client.isReady; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(client.isReady).toBe(true);
    },
    appOn(client, storage = 'cookie') {
      const h = buildApp(fullOptions(sim.url, storage, { store: client, storePrefix: PREFIX }));
      apps.push(h);
      return h;
    },
    send,
    probes,
  };
}
