/**
 * Browser and mobile login flows end to end: our app and the WeChat simulator on real ports,
 * a cookie jar per origin, real Redis where a store is used. Also runs on Express 4 (see
 * jest.config.js, project "express4").
 */
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import request from 'supertest';
import { Browser, DESKTOP_UA, MOBILE, MOBILE2, MP, QR, SECRETS, WECHAT_UA, mpCallbackUrl, startApp, startSimulator, type AppHandle, type SimHandle } from './harness';
import type { SuccessContext } from '../../lib';
import { LOGIN_FAILURE_TEXT } from '../../lib/oauth/error-page';
import { createTestRedis, type TestRedis } from '../helpers/redis';

let sim: SimHandle;
let redis: TestRedis;
const opened: AppHandle[] = [];
async function app(...args: Parameters<typeof startApp> extends [unknown, ...infer R] ? R : never): Promise<AppHandle> {
  const handle = await startApp(sim, ...args);
  opened.push(handle);
  return handle;
}

beforeAll(async () => {
  sim = await startSimulator();
  redis = await createTestRedis('oauth-flows');
});
afterEach(async () => {
  for (const a of opened) {
    for (const secret of SECRETS) expect(a.logger.text()).not.toContain(secret);
    expect(a.logger.text()).not.toMatch(/access_token|refresh_token|[?&]code=/);
  }
  await Promise.all(opened.splice(0).map((a) => a.close()));
  sim.sim.reset();
});
afterAll(async () => {
  await sim.close();
  await redis.close();
});

describe('mp login (official account, inside WeChat)', () => {
  test('snsapi_base: requireLogin → WeChat → callback → back to the page, logged in, no profile fetched', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const first = await browser.get('/profile');
    expect(first.status).toBe(302);
    const authorize = new URL(first.headers.location!);
    expect(authorize.origin + authorize.pathname).toBe(`${sim.url}/connect/oauth2/authorize`);
    expect(authorize.searchParams.get('scope')).toBe('snsapi_base');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${a.url}/oauth/wechat/callback`);
    expect(authorize.hash).toBe('#wechat_redirect');

    const { res, url } = await browser.follow(first, `${a.url}/profile`);
    expect(url).toBe(`${a.url}/profile`);
    expect(res.text).toBe(`hello ${sim.sim.openidOf(MP.appid, 'alice')}`);
    expect((await browser.get('/me')).body).toEqual({ openid: sim.sim.openidOf(MP.appid, 'alice'), unionid: sim.sim.unionidOf('alice'), action: 'mp', appid: MP.appid });
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
    expect(sim.sim.calls('/sns/userinfo')).toBe(0);
  });

  test('snsapi_userinfo through the consent page (Approve): the success hook gets the profile', async () => {
    const a = await app();
    const seen: SuccessContext[] = [];
    a.router.successHandler((_req, _res, ctx) => void seen.push(ctx));
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const consent = await browser.visit('/start');
    expect(consent.url).toContain('/connect/oauth2/authorize');
    expect(consent.res.text).toContain('id="approve"');
    const done = await browser.submitSimForm(consent.res, consent.url, { decision: 'approve', user: 'bob' });
    expect(done.url).toBe(`${a.url}/welcome`);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ action: 'mp', scope: 'snsapi_userinfo', next: '/welcome', userinfo: { nickname: 'Bob', openid: sim.sim.openidOf(MP.appid, 'bob') } });
    expect(seen[0]!.access).not.toHaveProperty('secret');
    expect(JSON.stringify(seen[0])).not.toContain(MP.secret);
    expect((await browser.get('/me')).body).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'bob'), action: 'mp' });
  });

  test('base → userinfo upgrade: the hook asks for the profile, the user goes round again with next kept', async () => {
    const a = await app();
    const scopes: string[] = [];
    a.router.successHandler((_req, _res, ctx) => {
      scopes.push(ctx.scope);
      if (ctx.scope === 'snsapi_base') return { upgrade: 'snsapi_userinfo' };
      expect(ctx.userinfo?.nickname).toBe('Alice');
      return undefined;
    });
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const consent = await browser.visit('/oauth/wechat/login?next=%2Forders%3Fid%3D7');
    expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
    const done = await browser.submitSimForm(consent.res, consent.url, { decision: 'approve' });
    expect(done.url).toBe(`${a.url}/orders?id=7`);
    expect(scopes).toEqual(['snsapi_base', 'snsapi_userinfo']);
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(2);
  });

  test('the session id changes at login (no fixation) and the identity is in the session', async () => {
    const a = await app({}, { routes: (x) => x.get('/visit', (req, res) => ((req.session as unknown as { seen: boolean }).seen = true, res.end())) });
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const sid = (r: { headers: Record<string, unknown> }) => String(r.headers['set-cookie'] ?? '').match(/connect\.sid=([^;]+)/)?.[1];
    const before = sid(await browser.get('/visit'));
    const callback = await mpCallbackUrl(browser);
    const after = sid(await browser.get(callback));
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  test('a callback asked for JSON (?format=json) answers the identity instead of redirecting', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const callback = await mpCallbackUrl(browser);
    const res = await browser.get(`${callback}&format=json`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ openid: sim.sim.openidOf(MP.appid, 'alice'), unionid: sim.sim.unionidOf('alice'), action: 'mp', next: '/profile' });
  });
});

describe('qrcode login (website app, desktop)', () => {
  test('requireLogin on a desktop browser → qrconnect page → Scan and confirm → back, logged in with the profile', async () => {
    const a = await app();
    const seen: SuccessContext[] = [];
    a.router.successHandler((_req, _res, ctx) => void seen.push(ctx));
    const browser = new Browser(a.url, sim.url, DESKTOP_UA);
    const page = await browser.visit('/profile');
    const qr = new URL(page.url);
    expect(qr.pathname).toBe('/connect/qrconnect');
    expect(qr.searchParams.get('scope')).toBe('snsapi_login');
    expect(qr.searchParams.get('appid')).toBe(QR.appid);
    const done = await browser.submitSimForm(page.res, page.url, {});
    expect(done.res.text).toBe(`hello ${sim.sim.openidOf(QR.appid, 'alice')}`);
    expect(seen[0]).toMatchObject({ action: 'qrcode', scope: 'snsapi_login', userinfo: { nickname: 'Alice' } });
    expect((await browser.get('/me')).body).toEqual({ openid: sim.sim.openidOf(QR.appid, 'alice'), unionid: sim.sim.unionidOf('alice'), action: 'qrcode', appid: QR.appid });
  });

  test('/weixin-login.js holds no state: it fetches its iframe URL (a fresh state each time) from the same-origin qrconnect endpoint', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, DESKTOP_UA);
    const script = await browser.get('/weixin-login.js?next=/profile&id=qr_box&style=white');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['cache-control']).toBe('no-store');
    expect(script.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(script.headers['set-cookie']).toBeUndefined(); // nothing is started by including the script
    expect(script.text).not.toMatch(/state|[a-f0-9]{32}/);
    expect(script.text).not.toContain(QR.appid);
    expect(script.text).toContain(JSON.stringify(sim.url));
    const endpoint = JSON.parse(script.text.match(/var ENDPOINT = (".*");/)![1]!) as string;
    expect(endpoint).toBe('/oauth/wechat/qrconnect?next=%2Fprofile&style=white');
    expect(script.text).toContain('"X-WxAuth-Widget": "1"');

    // What the widget's fetch gets: the iframe URL, never cached, and the sealed pending-login cookie.
    const first = await browser.get(endpoint, { 'X-WxAuth-Widget': '1', Accept: 'application/json' });
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(String(first.headers['set-cookie'])).toMatch(/^wxauth_pending=[A-Za-z0-9_-]+; Max-Age=600; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const src = new URL(first.body.url);
    expect(src.origin + src.pathname).toBe(`${sim.url}/connect/qrconnect`);
    expect(Object.fromEntries(src.searchParams)).toMatchObject({ appid: QR.appid, scope: 'snsapi_login', redirect_uri: `${a.url}/oauth/wechat/callback`, login_type: 'jssdk', self_redirect: 'default', style: 'white' });
    expect(src.searchParams.get('state')).toMatch(/^[a-f0-9]{32}$/);
    const again = await browser.get(endpoint, { 'X-WxAuth-Widget': '1' });
    expect(new URL(again.body.url).searchParams.get('state')).not.toBe(src.searchParams.get('state'));

    // The iframe loads WeChat's page; the user scans and confirms on the phone. Both fetched logins are pending.
    const frame = await browser.get(first.body.url);
    expect(frame.status).toBe(200);
    const done = await browser.submitSimForm(frame, first.body.url, { user: 'carol' });
    expect(done.url).toBe(`${a.url}/profile`);
    expect((await browser.get('/me')).body.openid).toBe(sim.sim.openidOf(QR.appid, 'carol'));
  });

  test('the qrconnect endpoint answers only our widget: the custom header is required, same-site and cross-site requests are refused', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, DESKTOP_UA);
    const refused = [
      await browser.get('/oauth/wechat/qrconnect?next=/profile'), // a <script>, <img> or form: no custom header
      await browser.get('/oauth/wechat/qrconnect', { 'X-WxAuth-Widget': '1', 'Sec-Fetch-Site': 'same-site' }), // a sibling subdomain
      await browser.get('/oauth/wechat/qrconnect', { 'X-WxAuth-Widget': '1', 'Sec-Fetch-Site': 'cross-site' }),
      await browser.get('/weixin-login.js', { 'Sec-Fetch-Site': 'same-site' }),
      await browser.get('/weixin-login.js', { 'Sec-Fetch-Site': 'cross-site' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    for (const r of refused) {
      expect(r.headers['set-cookie']).toBeUndefined();
      expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(r.text).not.toMatch(/[a-f0-9]{32}/);
    }
    expect(refused[0]!.body).toMatchObject({ error: 'args_error' });
    const ok = await browser.get('/oauth/wechat/qrconnect', { 'X-WxAuth-Widget': '1', 'Sec-Fetch-Site': 'same-origin' });
    expect(ok.status).toBe(200);
    expect(ok.body.url).toContain('/connect/qrconnect?');
  });

  test('logins in parallel tabs each complete, in any order; a fifth drops the oldest', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const tabs: string[] = [];
    for (let i = 0; i < 5; i++) tabs.push(await mpCallbackUrl(browser, `/oauth/wechat/login?action=mp&next=/tab${i}`));
    const oldest = await browser.get(tabs[0]!);
    expect([oldest.status, oldest.text]).toEqual([400, expect.stringContaining(LOGIN_FAILURE_TEXT.expired.zh)]);
    const third = await browser.get(tabs[3]!);
    expect(third.headers.location).toBe('/tab3');
    const second = await browser.get(tabs[1]!);
    expect(second.headers.location).toBe('/tab1');
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(2);
  });

  test('/weixin-login.js refuses an element id that is not one', async () => {
    const a = await app();
    const res = await new Browser(a.url, sim.url).get('/weixin-login.js?id=%22%3E%3Cscript%3E');
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^console\.error/);
  });
});

describe('mobile login (native app code)', () => {
  test('POST {code, appid} → {openid, unionid}, and the session is logged in', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url);
    const code = sim.sim.issueCode(MOBILE2.appid, { user: 'dave' });
    const res = await browser.post('/oauth/wechat/mobile', { code, appid: MOBILE2.appid }, 'json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ openid: sim.sim.openidOf(MOBILE2.appid, 'dave'), unionid: sim.sim.unionidOf('dave') });
    expect((await browser.get('/me')).body).toEqual({ openid: sim.sim.openidOf(MOBILE2.appid, 'dave'), unionid: sim.sim.unionidOf('dave'), action: 'mobile', appid: MOBILE2.appid });
  });

  test('the same person has the same unionid across mp and mobile', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    await browser.visit('/profile');
    const mp = (await browser.get('/me')).body;
    const res = await new Browser(a.url, sim.url).post('/oauth/wechat/mobile', { code: sim.sim.issueCode(MOBILE.appid), appid: MOBILE.appid }, 'json');
    expect(res.body.unionid).toBe(mp.unionid);
    expect(res.body.openid).not.toBe(mp.openid);
  });

  test('appid may be left out when only one mobile app is configured', async () => {
    const a = await app({ mobile: MOBILE });
    const res = await new Browser(a.url, sim.url).post('/oauth/wechat/mobile', { code: sim.sim.issueCode(MOBILE.appid) }, 'json');
    expect(res.status).toBe(200);
    expect(res.body.openid).toBe(sim.sim.openidOf(MOBILE.appid, 'alice'));
  });

  test.each([
    ['no appid with two apps', (code: string) => ({ code }), /appid/],
    ['an unknown appid', (code: string) => ({ code, appid: 'wxunknown0000001' }), /appid/],
    ['no code', () => ({ appid: MOBILE.appid }), /code/],
    ['a code that is not a string', () => ({ code: { $gt: '' }, appid: MOBILE.appid }), /code/],
  ])('%s → 400 args_error JSON', async (_name, body, message) => {
    const a = await app();
    const res = await new Browser(a.url, sim.url).post('/oauth/wechat/mobile', body(sim.sim.issueCode(MOBILE.appid)), 'json');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'args_error', message: expect.stringMatching(message) });
  });

  test('a body that is not JSON → 400 args_error', async () => {
    const a = await app();
    const res = await new Browser(a.url, sim.url).post('/oauth/wechat/mobile', '{"code":', 'json');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('args_error');
  });

  test('a cross-site form post is refused (login CSRF)', async () => {
    const a = await app();
    const res = await new Browser(a.url, sim.url).post('/oauth/wechat/mobile', { code: sim.sim.issueCode(MOBILE.appid), appid: MOBILE.appid }, 'json', { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });
});

test('no answer of any flow carries an app secret or an OAuth token', async () => {
  const a = await app();
  const mpBrowser = new Browser(a.url, sim.url, WECHAT_UA);
  const consent = await mpBrowser.visit('/start');
  await mpBrowser.submitSimForm(consent.res, consent.url, { decision: 'approve' });
  const qrBrowser = new Browser(a.url, sim.url, DESKTOP_UA);
  const qr = await qrBrowser.visit('/profile');
  await qrBrowser.submitSimForm(qr.res, qr.url, {});
  await qrBrowser.post('/oauth/wechat/mobile', { code: sim.sim.issueCode(MOBILE.appid), appid: MOBILE.appid }, 'json');
  await qrBrowser.post('/oauth/wechat/logout', {});
  const bodies = [...mpBrowser.bodies, ...qrBrowser.bodies];
  expect(bodies.length).toBeGreaterThan(10);
  for (const body of bodies) {
    for (const secret of SECRETS) expect(body).not.toContain(secret);
    expect(body).not.toMatch(/access_token|refresh_token/);
  }
});

describe('storage', () => {
  test('cookie storage: signed httpOnly cookie, no express-session needed; logout clears it', async () => {
    const a = await app({ storage: 'cookie', cookie: { secret: 'a-cookie-secret-of-at-least-32-chars!' } });
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const callback = await mpCallbackUrl(browser);
    const res = await browser.get(callback);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/wxauth=[^;]+;.*HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect((await browser.get('/me')).body).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'alice'), action: 'mp' });
    const out = await browser.post('/oauth/wechat/logout', {});
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/');
    expect((await browser.get('/me')).body).toBeNull();
  });

  test('over HTTPS the pending-login and login cookies are __Host- cookies (Secure, Path=/, no Domain)', async () => {
    const a = await app({ storage: 'cookie', cookie: { secret: 'a-cookie-secret-of-at-least-32-chars!' } }, { before: (x) => x.set('trust proxy', 'loopback') });
    const https = { 'X-Forwarded-Proto': 'https', 'User-Agent': WECHAT_UA };
    const start = await request(a.url).get('/oauth/wechat/login?action=mp&next=/profile').set(https);
    const pending = String(start.headers['set-cookie']);
    expect(pending).toMatch(/^__Host-wxauth_pending=[A-Za-z0-9_-]+; Max-Age=600; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const wechat = await request(sim.url).get(new URL(start.headers.location!).pathname + new URL(start.headers.location!).search).set('User-Agent', WECHAT_UA);
    const callback = new URL(wechat.headers.location!);
    // The plain-named copy (what a sibling subdomain or an http page could plant) is not read.
    const value = pending.split(';')[0]!.split('=')[1]!;
    const plain = await request(a.url).get(callback.pathname + callback.search).set(https).set('Cookie', `wxauth_pending=${value}`);
    expect([plain.status, plain.text]).toEqual([400, expect.stringContaining(LOGIN_FAILURE_TEXT.expired.zh)]);
    const done = await request(a.url).get(callback.pathname + callback.search).set(https).set('Cookie', `__Host-wxauth_pending=${value}`);
    expect(done.status).toBe(302);
    const cookies = ([] as string[]).concat(done.headers['set-cookie'] ?? []);
    expect(cookies).toEqual(
      expect.arrayContaining([expect.stringMatching(/^__Host-wxauth_pending=; Path=\/; Expires=Thu, 01 Jan 1970 [^;]+; HttpOnly; Secure; SameSite=Lax$/), expect.stringMatching(/^__Host-wxauth=[^;]+;.*Path=\/;.*HttpOnly; Secure; SameSite=Lax$/)]),
    );
    expect(cookies.join('\n')).not.toMatch(/Domain=/i);
    const login = cookies.find((c) => c.startsWith('__Host-wxauth='))!.split(';')[0]!;
    expect((await request(a.url).get('/me').set(https).set('Cookie', login)).body).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'alice') });
    // Over http the plain names: a `__Host-` cookie without Secure would be dropped by browsers.
    expect((await request(a.url).get('/me').set('Cookie', login)).body).toBeNull();
  });

  test('session storage with connect-redis and our store on real Redis: nothing stored before login, the session after', async () => {
    const sessions = new ConnectRedisStore({ client: redis.client, prefix: `${redis.prefix}sess:` });
    const a = await app({ store: redis.client, storePrefix: `${redis.prefix}wx:` }, { session: { store: sessions } });
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const callback = await mpCallbackUrl(browser);
    expect(await redis.client.keys(`${redis.prefix}*`)).toEqual([]); // the pending login is in the browser's cookie
    await browser.get(callback);
    expect(await redis.client.keys(`${redis.prefix}wx:*`)).toEqual([]);
    const sessionKeys = await redis.client.keys(`${redis.prefix}sess:*`);
    expect(sessionKeys).toHaveLength(1);
    expect(JSON.parse((await redis.client.get(sessionKeys[0]!))!).wxauth).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'alice'), action: 'mp' });
    expect((await browser.get('/me')).body.action).toBe('mp');
    await browser.post('/oauth/wechat/logout', {});
    expect(await redis.client.keys(`${redis.prefix}sess:*`)).toHaveLength(0);
  });

  test('resolveUser binds the login to the app user; req.wxauth.user carries it', async () => {
    const a = await app({ resolveUser: ({ unionid, action }) => ({ id: `user-of-${unionid}`, via: action }) });
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    await browser.visit('/profile');
    expect((await browser.get('/me')).body.user).toEqual({ id: `user-of-${sim.sim.unionidOf('alice')}`, via: 'mp' });
  });
});

describe('API clients and logout', () => {
  test('a JSON request without login gets 401 WXAUTH_REQUIRED with a root-relative login URL, never cached', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    const res = await browser.get('/api/me', { Accept: 'application/json' });
    expect(res.status).toBe(401);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'WXAUTH_REQUIRED', login: '/oauth/wechat/login?action=mp&next=%2Fapi%2Fme' });
    expect(res.headers['set-cookie']).toBeUndefined(); // no login started yet
    const start = await browser.get(res.body.login);
    expect(start.status).toBe(302);
    expect(start.headers.location).toContain('/connect/oauth2/authorize');
    expect(sim.sim.calls('/connect/oauth2/authorize')).toBe(0);
  });

  test('the 401 login URL never comes from the Host header: baseUrl when configured', async () => {
    const plain = await app();
    const forged = await new Browser(plain.url, sim.url, WECHAT_UA).get('/api/me', { Accept: 'application/json', Host: 'evil.example' });
    expect(forged.status).toBe(401);
    expect(forged.body.login).toBe('/oauth/wechat/login?action=mp&next=%2Fapi%2Fme');
    const based = await app({ baseUrl: 'https://shop.example.com/app' });
    const res = await new Browser(based.url, sim.url, WECHAT_UA).get('/api/me', { Accept: 'application/json', Host: 'evil.example' });
    expect(res.body.login).toBe('https://shop.example.com/app/oauth/wechat/login?action=mp&next=%2Fapi%2Fme');
  });

  test('logout: JSON clients get 204; a cross-site logout post is refused', async () => {
    const a = await app();
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    await browser.visit('/profile');
    const evil = await browser.post('/oauth/wechat/logout', {}, 'form', { Origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect((await browser.get('/me')).body).not.toBeNull();
    const res = await browser.post('/oauth/wechat/logout', {}, 'json', { Accept: 'application/json', Origin: a.url });
    expect(res.status).toBe(204);
    expect((await browser.get('/me')).body).toBeNull();
  });

  test('router.logout(req, res) from the app’s own route', async () => {
    const a = await app({}, { routes: (x, router) => x.get('/bye', async (req, res) => (await router.logout(req, res), res.send('bye'))) });
    const browser = new Browser(a.url, sim.url, WECHAT_UA);
    await browser.visit('/profile');
    expect((await browser.get('/bye')).text).toBe('bye');
    expect((await browser.get('/me')).body).toBeNull();
  });
});

describe('redirect_uri', () => {
  test('baseUrl wins over the request', async () => {
    const a = await app({ baseUrl: 'https://shop.example.com' });
    const res = await new Browser(a.url, sim.url, WECHAT_UA).get('/oauth/wechat/login');
    expect(new URL(res.headers.location!).searchParams.get('redirect_uri')).toBe('https://shop.example.com/oauth/wechat/callback');
  });

  test('X-Forwarded-Proto/Host are used only behind a trusted proxy', async () => {
    const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example.com' };
    const untrusted = await app();
    const r1 = await new Browser(untrusted.url, sim.url, WECHAT_UA).get('/oauth/wechat/login', headers);
    expect(new URL(r1.headers.location!).searchParams.get('redirect_uri')).toBe(`${untrusted.url}/oauth/wechat/callback`);
    const trusted = await app({}, { before: (x) => x.set('trust proxy', 'loopback') });
    const r2 = await new Browser(trusted.url, sim.url, WECHAT_UA).get('/oauth/wechat/login', headers);
    expect(new URL(r2.headers.location!).searchParams.get('redirect_uri')).toBe('https://shop.example.com/oauth/wechat/callback');
  });

  test('a router mounted under a path builds its callback under that path', async () => {
    const { wxauth } = await import('../../lib');
    const express = (await import('express')).default;
    const nested = wxauth({ mp: MP, endpoints: { open: sim.url, api: sim.url } });
    const x = express();
    x.use((await import('express-session')).default({ secret: 's', resave: false, saveUninitialized: false }));
    x.use('/auth', nested);
    const server = x.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const browser = new Browser(url, sim.url, WECHAT_UA);
      const res = await browser.get('/auth/oauth/wechat/login?next=/done');
      expect(new URL(res.headers.location!).searchParams.get('redirect_uri')).toBe(`${url}/auth/oauth/wechat/callback`);
      const done = await browser.follow(res, `${url}/auth/oauth/wechat/login`);
      expect(done.url).toBe(`${url}/done`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

test('the Express in use is the one of this jest project (4 or 5)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('express/package.json') as { version: string };
  expect(version.split('.')[0]).toBe((globalThis as { EXPRESS_MAJOR?: string }).EXPRESS_MAJOR);
});
