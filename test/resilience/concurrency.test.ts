/**
 * 500 logins in flight at once, each from its own browser (cookie jar) as its own WeChat user:
 * every browser ends logged in as itself (no cross-talk between states, bindings, sessions), and
 * the login states of abandoned logins expire, so memory stays bounded.
 *
 * "At once" is made exact, not hoped for: a gate in front of the callback holds every request
 * until all 500 have arrived, then lets them all through together.
 */
import type express from 'express';
import request from 'supertest';
import { MemoryStore } from '../../lib/store';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { WECHAT_UA } from '../oauth/harness';
import { buildApp, fullOptions, leaks, MP, startSim, Tally, type AppHandle, type SimHandle } from './harness';

const N = 500;
let sim: SimHandle;
let redis: TestRedis;
const clock = { now: Date.UTC(2025, 0, 1) };
const tally = new Tally('concurrency');
let logins = 0;

beforeAll(async () => {
  sim = await startSim();
  redis = await createTestRedis('resilience-concurrency');
});
afterAll(async () => {
  await sim.close();
  await redis.close();
  tally.flush({ loginsInFlight: N, logins });
});

type Gate = ReturnType<typeof gate>;

/** Hold every request to `path` until `count` of them are waiting, then release them together. */
function gate(path: string, count: number) {
  let waiting = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const middleware: express.RequestHandler = (req, _res, next) => {
    if (req.path !== path) return next();
    if (++waiting >= count) open();
    void opened.then(() => next());
  };
  return { middleware, waiting: () => waiting };
}

/** One browser's whole mp login as `user`; resolves with who `/me` says it is. */
async function login(h: AppHandle, user: string): Promise<string | undefined> {
  const browser = request.agent(h.url);
  const start = await browser.get('/oauth/wechat/login').query({ action: 'mp', next: '/me' });
  expect(start.status).toBe(302);
  // WeChat: snsapi_base redirects straight back with a code for this user.
  const authorize = new URL(start.headers.location!);
  authorize.searchParams.set('sim_user', user);
  const wechat = await request(sim.url).get(authorize.pathname + authorize.search).set('User-Agent', WECHAT_UA); // mp login happens inside WeChat
  expect(wechat.status).toBe(302);
  const back = new URL(wechat.headers.location!);
  const callback = await browser.get(back.pathname + back.search);
  expect([callback.status, callback.headers.location]).toEqual([302, '/me']);
  const me = await browser.get('/me');
  tally.requests += 4;
  for (const res of [start, callback, me]) expect(leaks(`${JSON.stringify(res.headers)}\n${res.text}`)).toEqual([]);
  return (me.body as { openid?: string } | null)?.openid;
}

/** The app with the callback gate in front of everything; 500 browsers log in through it. */
async function loginsAtOnce(h: AppHandle, g: Gate): Promise<void> {
  const users = Array.from({ length: N }, (_, i) => `user${i}`);
  const who = await Promise.all(users.map((u) => login(h, u)));
  tally.cases++;
  logins += N;
  expect(g.waiting()).toBe(N); // all 500 callbacks were held together, then released together
  const wrong = users.filter((u, i) => who[i] !== sim.sim.openidOf(MP.appid, u));
  if (wrong.length) tally.failures += wrong.length;
  expect(wrong).toEqual([]);
  expect(new Set(who).size).toBe(N);
}

/** Start `N` logins nobody finishes (closed tabs). */
async function abandon(h: AppHandle): Promise<void> {
  const started = await Promise.all(Array.from({ length: N }, () => request(h.url).get('/oauth/wechat/login').query({ action: 'qrcode' })));
  tally.requests += N;
  for (const res of started) expect(res.status).toBe(302);
}

// 500 simultaneous browsers take ~15 s on a quiet 2-core machine; leave room for a busy one.
jest.setTimeout(90_000);

test('500 session logins at once with the memory store: each ends as its own user; abandoned logins store nothing', async () => {
  const store = new MemoryStore({ now: () => clock.now });
  const g = gate('/oauth/wechat/callback', N);
  const h = buildApp(fullOptions(sim.url, 'session', { store, now: () => clock.now }), { before: (app) => app.use(g.middleware) });
  await h.listen();
  try {
    await loginsAtOnce(h, g);
    // Every state was consumed by its callback.
    expect(store.size).toBe(0);
    await abandon(h);
    expect(store.size).toBe(0); // abandoned logins leave nothing here: a pending login lives in the browser's sealed cookie
    expect(leaks(h.logger.text())).toEqual([]);
  } finally {
    await h.close();
  }
});

test('500 cookie logins at once on Redis: each ends as its own user; abandoned logins store nothing', async () => {
  const g = gate('/oauth/wechat/callback', N);
  const h = buildApp(fullOptions(sim.url, 'cookie', { store: redis.store }), { before: (app) => app.use(g.middleware) });
  await h.listen();
  const stateKeys = async () => {
    const keys: string[] = [];
    for await (const batch of redis.client.scanIterator({ MATCH: `${redis.prefix}oauth:state:*`, COUNT: 1000 })) keys.push(...([] as string[]).concat(batch as string | string[]));
    return keys;
  };
  try {
    await loginsAtOnce(h, g);
    expect(await stateKeys()).toEqual([]);
    await abandon(h);
    expect(await stateKeys()).toEqual([]); // nothing stored for a login nobody finishes
    expect(leaks(h.logger.text())).toEqual([]);
  } finally {
    await h.close();
  }
});

test('a flood of login starts cannot grow the memory store past its bound', async () => {
  // Each start stores a 10-minute state: a client hammering the login URL must not exhaust memory.
  const store = new MemoryStore({ now: () => clock.now, maxEntries: 1000 });
  const h = buildApp(fullOptions(sim.url, 'cookie', { store, now: () => clock.now }));
  await h.listen();
  try {
    for (let i = 0; i < 3; i++) await abandon(h); // 1500 login starts
    tally.cases++;
    expect(store.size).toBe(0); // pending logins are sealed into the browser's cookie, never stored
    // The newest login still works after the flood (the oldest states went first).
    const browser = request.agent(h.url);
    const start = await browser.get('/oauth/wechat/login').query({ action: 'mp', next: '/me' });
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const done = await browser.get('/oauth/wechat/callback').query({ code: sim.sim.issueCode(MP.appid, { user: 'after-flood', scope: 'snsapi_base' }), state });
    tally.requests += 2;
    expect(done.status).toBe(302);
    expect((await browser.get('/me')).body.openid).toBe(sim.sim.openidOf(MP.appid, 'after-flood'));
  } finally {
    await h.close();
  }
});
