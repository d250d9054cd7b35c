/**
 * Follow-to-login over HTTP: the simulator for WeChat's API, the app's message server receiving
 * the signed scan event, browsers as cookie jars. Each case runs with the memory store and with
 * real Redis.
 */
import { MemoryStore, type Store } from '../../lib';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { browser, clock, parked, pollJson, pushScan, sceneOf, startFollow, startFollowApp, startSim, type Clock, type FollowApp } from './harness';
import type { Simulator } from '../../lib/simulator';

let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('follow-login');
});
afterAll(() => redis?.close());

describe.each([
  ['memory store', () => new MemoryStore() as Store],
  ['Redis store', () => redis.store as Store],
])('%s', (_name, makeStore) => {
  let c: Clock;
  let sim: Simulator;
  let simUrl: string;
  let closeSim: () => Promise<void>;
  let app: FollowApp;

  beforeEach(async () => {
    c = clock();
    ({ sim, url: simUrl, close: closeSim } = await startSim(c));
    app = await startFollowApp(simUrl, c, {}, makeStore());
  });
  afterEach(async () => {
    await app.close();
    await closeSim();
  });

  const openid = (user: string) => sim.openidOf('wxmp000000000001', user);

  test('a first follow (subscribe, qrscene_) completes the waiting poll: done, next, openid, unionid, and the session', async () => {
    const a = browser(app.url);
    const started = await startFollow(a);
    expect(started.expiresIn).toBeGreaterThan(295);
    expect(new URL(started.qrcodeUrl).origin).toBe(simUrl);
    const polled = pollJson(a, started.poll);
    await parked();
    sim.qrcodes.setFollowing('wxmp000000000001', 'alice', true); // WeChat: the user now follows
    const reply = await pushScan(app.url, c, { openid: openid('alice'), event: 'subscribe', eventKey: `qrscene_${sceneOf(sim, started.qrcodeUrl)}` });
    expect(reply).toContain('<Content><![CDATA[登录成功]]></Content>');
    const { status, body } = await polled;
    expect([status, body]).toEqual([200, { status: 'done', next: '/welcome', openid: openid('alice'), unionid: sim.unionidOf('alice') }]);
    expect((await a.get('/me')).body).toEqual({ openid: openid('alice'), unionid: sim.unionidOf('alice'), action: 'follow', appid: 'wxmp000000000001' });
    // Our scene never reached the app's own handlers.
    expect(app.appEvents).toEqual([]);
  });

  test('a follower scanning (SCAN, the bare scene) logs in too; the scan landing before the poll is found at once', async () => {
    const a = browser(app.url);
    const started = await startFollow(a);
    sim.qrcodes.setFollowing('wxmp000000000001', 'bob', true);
    await pushScan(app.url, c, { openid: openid('bob'), event: 'SCAN', eventKey: sceneOf(sim, started.qrcodeUrl) });
    expect((await pollJson(a, started.poll)).body).toMatchObject({ status: 'done', openid: openid('bob') });
  });

  test('single use: after done the browser has no pending login, and a second scan logs nobody in', async () => {
    const a = browser(app.url);
    const started = await startFollow(a);
    const scene = sceneOf(sim, started.qrcodeUrl);
    await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: scene });
    expect((await pollJson(a, started.poll)).body.status).toBe('done');
    expect((await pollJson(a, started.poll)).body).toEqual({ status: 'expired', next: '/oauth/wechat/follow?next=%2F' });
    await pushScan(app.url, c, { openid: openid('mallory'), event: 'SCAN', eventKey: scene });
    expect((await pollJson(a, started.poll)).body.status).toBe('expired');
    expect((await a.get('/me')).body).toMatchObject({ openid: openid('alice') });
  });

  test('another browser cannot complete the scene: without the cookie its poll is expired, with its own it stays pending', async () => {
    const a = browser(app.url);
    const b = browser(app.url);
    const mine = await startFollow(a);
    const theirs = await startFollow(b);
    const bPoll = pollJson(b, theirs.poll);
    await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, mine.qrcodeUrl) });
    // A cookie-less replay of A's poll URL (all it could copy) finds no pending login.
    expect((await pollJson(browser(app.url), mine.poll)).body.status).toBe('expired');
    expect((await bPoll).body).toEqual({ status: 'pending' });
    expect((await b.get('/me')).body).toBeNull();
    expect((await pollJson(a, mine.poll)).body).toMatchObject({ status: 'done', openid: openid('alice') });
  }, 15_000);

  test('a second person scanning an already scanned code is told so and does not take over the login', async () => {
    const a = browser(app.url);
    const started = await startFollow(a);
    const scene = sceneOf(sim, started.qrcodeUrl);
    await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: scene });
    expect(await pushScan(app.url, c, { openid: openid('mallory'), event: 'SCAN', eventKey: scene })).toContain('该二维码已被使用');
    expect((await pollJson(a, started.poll)).body).toMatchObject({ status: 'done', openid: openid('alice') });
  });

  test('a used code stays used: a kept copy of the cookie cannot complete a second scan of it, and that scanner is told the code was used', async () => {
    const a = browser(app.url);
    const start = await a.get('/oauth/wechat/follow').query({ next: '/welcome' }).set('Accept', 'application/json');
    const kept = (start.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';', 1)[0]).join('; ');
    const scene = sceneOf(sim, start.body.qrcodeUrl);
    await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: scene });
    expect((await pollJson(a, start.body.poll)).body).toMatchObject({ status: 'done', openid: openid('alice') });
    // Someone else scans the same, still valid code; the copy of the cookie polls.
    expect(await pushScan(app.url, c, { openid: openid('mallory'), event: 'SCAN', eventKey: scene })).toContain('该二维码已被使用');
    const copy = browser(app.url);
    const replayed = await copy.get(new URL(start.body.poll, 'http://x').pathname).set('Accept', 'application/json').set('Cookie', kept);
    expect(replayed.body).toMatchObject({ status: 'expired' });
    expect((await copy.get('/me').set('Cookie', kept)).body).toBeNull();
  }, 15_000);

  test('expired: the poll says so (with a link to a new code), and a late scan is answered that the code expired', async () => {
    const a = browser(app.url);
    const started = await startFollow(a, '/cart');
    const scene = sceneOf(sim, started.qrcodeUrl);
    c.ms += 301_000;
    expect(await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: scene })).toContain('二维码已过期');
    expect((await pollJson(a, started.poll)).body).toEqual({ status: 'expired', next: '/oauth/wechat/follow?next=%2Fcart' });
    expect((await a.get('/me')).body).toBeNull();
  });

  test("the app's handlers still see every other subscribe / SCAN (their own QR codes, a plain follow)", async () => {
    expect(await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: 'promo_2026' })).toContain('the app saw it');
    await pushScan(app.url, c, { openid: openid('bob'), event: 'subscribe', eventKey: '' });
    // Shaped like ours but not one (no expiry part): not ours either.
    await pushScan(app.url, c, { openid: openid('carol'), event: 'subscribe', eventKey: 'qrscene_wxlogin_nothex' });
    expect(app.appEvents).toEqual([
      { event: 'SCAN', eventKey: 'promo_2026' },
      { event: 'subscribe', eventKey: '' },
      { event: 'subscribe', eventKey: 'qrscene_wxlogin_nothex' },
    ]);
  });
});
