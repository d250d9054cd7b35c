/**
 * Follow-to-login's transports and bounds over HTTP: server-sent events, the page, reload reuse and
 * the per-process QR budget, JWT storage, two app processes sharing real Redis (the event lands on
 * one, the poll waits on the other), and MONITOR proof that anonymous traffic writes nothing.
 */
import type { RedisClientType } from 'redis';
import { wxauth, MemoryStore, WxAuthError } from '../../lib';
import type { Simulator } from '../../lib/simulator';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { captureLogger } from '../helpers/logs';
import { browser, clock, MESSAGES, MP, parked, pollJson, pushScan, sceneOf, startFollow, startFollowApp, startSim, type Clock, type FollowApp } from './harness';

let redis: TestRedis;
let c: Clock;
let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
const apps: FollowApp[] = [];
const track = (a: FollowApp) => (apps.push(a), a);

beforeAll(async () => {
  redis = await createTestRedis('follow-transport');
});
afterAll(() => redis?.close());
beforeEach(async () => {
  c = clock();
  ({ sim, url: simUrl, close: closeSim } = await startSim(c));
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await closeSim();
});

const openid = (user: string) => sim.openidOf(MP.appid, user);
/** An event-stream request, its raw text kept (supertest parses no text/event-stream by itself). */
const eventStream = (agent: ReturnType<typeof browser>) =>
  agent
    .get('/oauth/wechat/follow/poll')
    .set('Accept', 'text/event-stream')
    .buffer(true)
    .parse((res, cb) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => cb(null, text));
    });

test('server-sent events: one event per stream, the login (session cookie) set with the done event', async () => {
  const app = track(await startFollowApp(simUrl, c, {}, new MemoryStore()));
  const a = browser(app.url);
  const started = await startFollow(a);
  const streamed = eventStream(a);
  await parked();
  sim.qrcodes.setFollowing(MP.appid, 'alice', true);
  await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, started.qrcodeUrl) });
  const res = await streamed;
  expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).some((cookie) => cookie.startsWith('connect.sid='))).toBe(true);
  expect(res.body).toBe(`retry: 1000\ndata: ${JSON.stringify({ status: 'done', next: '/welcome', openid: openid('alice'), unionid: sim.unionidOf('alice') })}\n\n`);
  expect((await a.get('/me')).body).toMatchObject({ action: 'follow', openid: openid('alice') });
});

test('server-sent events: nothing scanned within pollSeconds → a pending event and the stream ends (EventSource reconnects)', async () => {
  const app = track(await startFollowApp(simUrl, c, {}, new MemoryStore()));
  const a = browser(app.url);
  await startFollow(a);
  const res = await eventStream(a);
  expect(res.body).toBe('retry: 1000\ndata: {"status":"pending"}\n\n');
}, 15_000);

test('the page: the QR image from the mp host under a CSP that allows only it, Chinese by default, English when preferred', async () => {
  const app = track(await startFollowApp(simUrl, c, {}, new MemoryStore()));
  const a = browser(app.url);
  const page = await a.get('/oauth/wechat/follow?next=/cart').set('Accept', 'text/html');
  expect(page.status).toBe(200);
  expect(page.text).toContain('<html lang="zh-CN">');
  expect(page.text).toContain('请用微信扫描二维码，关注公众号后即可登录');
  const img = /<img id="qrcode" src="([^"]+)"/.exec(page.text)![1]!.replace(/&amp;/g, '&');
  expect(new URL(img).origin).toBe(simUrl);
  expect(page.headers['content-security-policy']).toContain(`img-src ${simUrl};`);
  expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
  expect(page.text).toContain('data-poll="/oauth/wechat/follow/poll"');
  const english = await browser(app.url).get('/start').set('Accept', 'text/html').set('Accept-Language', 'en-US,en;q=0.9');
  expect(english.text).toContain('Scan the QR code with WeChat');
});

test('a reload shows the same code without asking WeChat again; a code with under a minute left is replaced', async () => {
  const app = track(await startFollowApp(simUrl, c, {}, new MemoryStore()));
  const a = browser(app.url);
  const first = await startFollow(a, '/a');
  const calls = sim.calls('/cgi-bin/qrcode/create');
  const again = await startFollow(a, '/b');
  expect(again.qrcodeUrl).toBe(first.qrcodeUrl);
  expect(sim.calls('/cgi-bin/qrcode/create')).toBe(calls);
  // The reload's next is the one that counts.
  await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, first.qrcodeUrl) });
  expect((await pollJson(a, first.poll)).body).toMatchObject({ status: 'done', next: '/b' });
  const b = browser(app.url);
  const old = await startFollow(b);
  c.ms += 250_000;
  const fresh = await startFollow(b);
  expect(fresh.qrcodeUrl).not.toBe(old.qrcodeUrl);
  expect(sim.calls('/cgi-bin/qrcode/create')).toBe(calls + 2);
});

test('past maxQrcodesPerMinute, cookie-less starts get 429 without a call to WeChat; a browser with a code still sees it', async () => {
  const app = track(await startFollowApp(simUrl, c, { follow: { pollSeconds: 5, maxQrcodesPerMinute: 2 } }, new MemoryStore()));
  const kept = browser(app.url);
  await startFollow(kept);
  await startFollow(browser(app.url));
  const calls = sim.calls('/cgi-bin/qrcode/create');
  const refused = await browser(app.url).get('/oauth/wechat/follow').set('Accept', 'application/json');
  expect([refused.status, refused.body.error]).toEqual([429, 'wechat_error']);
  expect(sim.calls('/cgi-bin/qrcode/create')).toBe(calls);
  expect((await kept.get('/oauth/wechat/follow').set('Accept', 'application/json')).status).toBe(200);
});

test('storage jwt: the done answer carries the token, which then identifies the user', async () => {
  const app = track(await startFollowApp(simUrl, c, { storage: 'jwt', jwt: { secret: 'jwt-secret-0123456789abcdef0123456789' } }, new MemoryStore()));
  const a = browser(app.url);
  const started = await startFollow(a);
  await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, started.qrcodeUrl) });
  const { body } = await pollJson(a, started.poll);
  expect(body).toMatchObject({ status: 'done', openid: openid('alice') });
  const me = await browser(app.url).get('/me').set('Authorization', `Bearer ${body.token}`);
  expect(me.body).toMatchObject({ openid: openid('alice'), action: 'follow' });
});

test('two app processes sharing Redis: the scan lands on one, the poll waiting on the other completes', async () => {
  const one = track(await startFollowApp(simUrl, c, {}, redis.store));
  const two = track(await startFollowApp(simUrl, c, {}, redis.store));
  const a = browser(one.url);
  const started = await startFollow(a);
  const polled = pollJson(a, started.poll);
  await parked();
  await pushScan(two.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, started.qrcodeUrl) });
  expect((await polled).body).toMatchObject({ status: 'done', openid: openid('alice') });
  expect((await a.get('/me')).body).toMatchObject({ openid: openid('alice'), action: 'follow' });
});

test('resolveUser and the success hook hear action follow: openid and unionid, no OAuth tokens, no profile', async () => {
  const resolved: unknown[] = [];
  const app = track(await startFollowApp(simUrl, c, { resolveUser: (input) => (resolved.push(input), { id: 7 }) }, new MemoryStore()));
  const heard: unknown[] = [];
  app.router.successHandler((_req, _res, context) => void heard.push(context));
  const a = browser(app.url);
  const started = await startFollow(a, '/cart');
  sim.qrcodes.setFollowing(MP.appid, 'alice', true);
  await pushScan(app.url, c, { openid: openid('alice'), event: 'subscribe', eventKey: `qrscene_${sceneOf(sim, started.qrcodeUrl)}` });
  expect((await pollJson(a, started.poll)).body.status).toBe('done');
  const who = { openid: openid('alice'), unionid: sim.unionidOf('alice') };
  expect(resolved).toEqual([{ ...who, appid: MP.appid, action: 'follow' }]);
  expect(heard).toEqual([
    { action: 'follow', scope: '', access: { ...who, scope: '', access_token: '', refresh_token: '', expires_in: 0 }, next: '/cart', identity: { ...who, action: 'follow', appid: MP.appid, user: { id: 7 } } },
  ]);
});

test('a store failing while the poll waits is a 503 store_error answer, and the scene stays for the next poll', async () => {
  const store = new MemoryStore();
  let failing = false;
  const flaky: typeof store = Object.assign(Object.create(store) as typeof store, {
    get: (key: string) => (failing ? Promise.reject(new WxAuthError('store_error', 'the store failed')) : store.get(key)),
  });
  const app = track(await startFollowApp(simUrl, c, {}, flaky));
  const a = browser(app.url);
  const started = await startFollow(a);
  failing = true;
  const res = await a.get('/oauth/wechat/follow/poll').set('Accept', 'application/json');
  expect([res.status, res.body.error]).toEqual([503, 'store_error']);
  failing = false;
  await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, started.qrcodeUrl) });
  expect((await pollJson(a, started.poll)).body.status).toBe('done');
  expect(app.logger.text()).toContain('"code":"store_error","action":"follow"');
});

test('unionid: false completes without /cgi-bin/user/info; replies.success is what the scanner reads', async () => {
  const app = track(await startFollowApp(simUrl, c, { follow: { pollSeconds: 5, unionid: false, replies: { success: '已登录 Follow Shop 网页版' } } }, new MemoryStore()));
  const a = browser(app.url);
  const started = await startFollow(a);
  sim.qrcodes.setFollowing(MP.appid, 'alice', true);
  const calls = sim.calls('/cgi-bin/user/info');
  expect(await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, started.qrcodeUrl) })).toContain('<Content><![CDATA[已登录 Follow Shop 网页版]]></Content>');
  expect((await pollJson(a, started.poll)).body).toEqual({ status: 'done', next: '/welcome', openid: openid('alice') });
  expect(sim.calls('/cgi-bin/user/info')).toBe(calls);
});

test('follow needs mp with its message server, and bad follow options name the field', () => {
  const logger = captureLogger();
  expect(() => wxauth({ mp: MP, follow: {}, logger })).toThrow(expect.objectContaining({ code: 'config_error', field: 'mp.messages' }));
  expect(() => wxauth({ qrcode: MP, follow: {}, logger })).toThrow(expect.objectContaining({ code: 'config_error', field: 'follow' }));
  // A plain (or compat) message's body is unsigned: only safe mode may log a browser in.
  for (const mode of ['plain', 'compat'] as const) {
    expect(() => wxauth({ mp: { ...MP, messages: { token: 't0ken', mode, encodingAESKey: MESSAGES.encodingAESKey } }, follow: {}, logger })).toThrow(
      expect.objectContaining({ code: 'config_error', field: 'mp.messages.mode' }),
    );
  }
  expect(() => wxauth({ mp: { ...MP, messages: MESSAGES }, follow: { expireSeconds: 10 }, logger })).toThrow('"follow.expireSeconds" must be at least 60');
});

describe('anonymous traffic writes nothing (MONITOR)', () => {
  let monitor: RedisClientType;
  let writes: string[];
  let fence: { marker: string; seen: () => void } | undefined;
  beforeEach(async () => {
    writes = [];
    monitor = redis.client.duplicate();
    await monitor.connect();
    await monitor.monitor((line) => {
      const text = String(line);
      if (fence && text.includes(fence.marker)) return fence.seen();
      const command = /"([A-Za-z]+)"/.exec(text)?.[1]?.toUpperCase() ?? '';
      if (text.includes(redis.prefix) && !['GET', 'EXISTS', 'PTTL', 'TTL'].includes(command)) writes.push(command);
    });
  });
  afterEach(() => monitor.destroy());

  /** MONITOR lines arrive in Redis's order: once this marker is seen, every earlier write has been recorded. */
  const settle = async () => {
    const marker = `${redis.prefix}fence:${Math.random()}`;
    const seen = new Promise<void>((resolve) => (fence = { marker, seen: resolve }));
    await redis.client.exists(marker);
    await seen;
  };

  test('starts, reloads, the page and polls of browsers that never scan: no write under the store prefix', async () => {
    const app = track(await startFollowApp(simUrl, c, {}, redis.store));
    // The basic access token is the app's, shared by every visitor and cached for 2 hours: warm it
    // first (dropping one an earlier test's simulator issued, which this simulator would refuse).
    await app.router.client.invalidate();
    await app.router.client.getAccessToken();
    await settle();
    writes.length = 0;
    const a = browser(app.url);
    const started = await startFollow(a);
    await startFollow(a);
    await browser(app.url).get('/oauth/wechat/follow').set('Accept', 'text/html');
    await pollJson(browser(app.url), started.poll);
    c.ms += 301_000;
    await pollJson(a, started.poll);
    await settle();
    expect(writes).toEqual([]);
  });

  test('the same MONITOR sees the one write of a scan (so an empty list above means none, not deafness)', async () => {
    const app = track(await startFollowApp(simUrl, c, {}, redis.store));
    await app.router.client.invalidate();
    await app.router.client.getAccessToken();
    const a = browser(app.url);
    const started = await startFollow(a);
    await settle();
    writes.length = 0;
    await pushScan(app.url, c, { openid: openid('alice'), event: 'SCAN', eventKey: sceneOf(sim, started.qrcodeUrl) });
    await settle();
    // The message server's nonce and once-only marks, and ours: SET … NX with the code's remaining life.
    expect(writes.filter((w) => w === 'SET').length).toBeGreaterThanOrEqual(2);
  });
});
