/**
 * Everything that must NOT log anyone in: bad state in all its forms, refused consent, each
 * class of WeChat errcode, snapshot users, unsafe `next` — and no secret in any answer or log.
 * Also runs on Express 4 (jest project "express4").
 */
import { Browser, DESKTOP_UA, MOBILE, MP, QR, WECHAT_UA, mpCallbackUrl, startApp, type AppHandle, loginSuite } from './harness';
import request from 'supertest';
import type { ErrorContext } from '../../lib';
import { LOGIN_FAILURE_TEXT } from '../../lib/oauth/error-page';

/** The default page's sentence for a state_error (the code itself is not on the page). */
const EXPIRED = LOGIN_FAILURE_TEXT.expired.zh;

const suite = loginSuite(startApp);
const { app, browser } = suite;

/** Why each state_error of `a` was raised (the cause the error hook sees; the answer is the same for all). */
function reasons(a: AppHandle): string[] {
  const seen: string[] = [];
  a.router.errorHandler((_req, _res, ctx) => void seen.push(ctx.error.code === 'state_error' ? String((ctx.cause as Error | undefined)?.message) : ctx.error.code));
  return seen;
}

async function me(b: Browser) {
  return (await b.get('/me')).body;
}

describe('state', () => {
  test('a replayed callback is refused with state_error and the code is not exchanged again', async () => {
    const a = await app();
    const why = reasons(a);
    const b = browser(a);
    const callback = await mpCallbackUrl(b);
    await mpCallbackUrl(b); // a second tab's login stays pending
    expect((await b.get(callback)).status).toBe(302);
    await b.post('/oauth/wechat/logout', {});
    const replay = await b.get(callback);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain(EXPIRED);
    expect(why).toEqual(['state not started in this browser, or already used']);
    expect(await me(b)).toBeNull();
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
  });

  test('a forged state is refused', async () => {
    const a = await app();
    const why = reasons(a);
    const b = browser(a);
    await mpCallbackUrl(b); // the browser has a real pending login in its sealed cookie
    const res = await b.get(`/oauth/wechat/callback?code=${suite.sim.sim.issueCode(MP.appid)}&state=${'0'.repeat(32)}`);
    expect(res.status).toBe(400);
    expect(res.text).toContain(EXPIRED);
    expect(why).toEqual(['state not started in this browser, or already used']);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('a callback without state is refused', async () => {
    const a = await app();
    const why = reasons(a);
    const b = browser(a);
    await mpCallbackUrl(b);
    const res = await b.get(`/oauth/wechat/callback?code=${suite.sim.sim.issueCode(MP.appid)}`);
    expect(res.status).toBe(400);
    expect(res.text).toContain(EXPIRED);
    expect(why).toEqual(['state missing or malformed']);
  });

  test('a state started in another browser is refused (login CSRF)', async () => {
    const a = await app();
    const why = reasons(a);
    const attacker = browser(a);
    const victim = browser(a);
    await victim.get('/oauth/wechat/login?action=mp'); // the victim has a pending login of their own
    const callback = await mpCallbackUrl(attacker); // attacker's own code and state
    const res = await victim.get(callback);
    expect(res.status).toBe(400);
    expect(res.text).toContain(EXPIRED);
    expect(why).toEqual(['state not started in this browser, or already used']);
    expect(await me(victim)).toBeNull();
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('a state older than 10 minutes is refused (injected clock), before the code is exchanged', async () => {
    let now = Date.now();
    const a = await app({ now: () => now });
    const b = browser(a);
    const callback = await mpCallbackUrl(b);
    now += 10 * 60 * 1000 - 1000;
    const fresh = await mpCallbackUrl(b); // started 9:59 later: its own entry is still valid below
    now += 2000;
    const res = await b.get(callback);
    expect(res.status).toBe(400);
    expect(res.text).toContain(EXPIRED);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
    expect((await b.get(fresh)).status).toBe(302); // the same browser, a login under 10 minutes old: fine
  });

  test('a callback from a browser that sent no pending-login cookie is refused', async () => {
    const a = await app();
    const callback = await mpCallbackUrl(browser(a));
    const res = await request(a.url).get(new URL(callback).pathname + new URL(callback).search);
    expect([res.status, res.text]).toEqual([400, expect.stringContaining(EXPIRED)]);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('a pending-login cookie planted next to the browser\'s own (more specific Path, listed first) is not read: no login CSRF', async () => {
    const a = await app();
    const why = reasons(a);
    // The attacker starts a login of their own: a validly sealed cookie and a callback with their code.
    const attackerStart = await request(a.url).get('/oauth/wechat/login?action=mp').set('User-Agent', WECHAT_UA);
    const planted = String(attackerStart.headers['set-cookie']).split(';')[0]!; // wxauth_pending=<sealed>
    const authorize = new URL(attackerStart.headers.location!);
    const attackerCallback = new URL((await request(suite.sim.url).get(authorize.pathname + authorize.search).set('User-Agent', WECHAT_UA)).headers.location!);
    // The victim has a pending login too; the planted copy (Path=/oauth/wechat) comes first in the header.
    const victimStart = await request(a.url).get('/oauth/wechat/login?action=mp').set('User-Agent', WECHAT_UA);
    const own = String(victimStart.headers['set-cookie']).split(';')[0]!;
    const res = await request(a.url).get(attackerCallback.pathname + attackerCallback.search).set('Cookie', `${planted}; ${own}`);
    expect([res.status, res.text]).toEqual([400, expect.stringContaining(EXPIRED)]);
    expect(res.headers['set-cookie'] ?? []).not.toContainEqual(expect.stringMatching(/^(wxauth|connect\.sid)=/));
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
    expect(why).toEqual(['state no pending login in this browser']); // the duplicated name reads as absent
    expect(a.logger.lines.filter((l) => l.includes('sent twice'))).toHaveLength(1);
    // The planted cookie alone is the attacker's own login in the attacker's own browser: it works.
    expect((await request(a.url).get(attackerCallback.pathname + attackerCallback.search).set('Cookie', planted)).status).toBe(302);
  });

  test('a pending-login cookie sealed by another deployment (another secret) is refused', async () => {
    const other = await app({ secret: 'another-deployment-secret-0123456789abc' });
    const a = await app({ secret: 'this-deployment-secret-0123456789abcdef' });
    const start = await request(other.url).get('/oauth/wechat/login?action=mp').set('User-Agent', WECHAT_UA);
    const cookie = String(start.headers['set-cookie']).split(';')[0]!;
    const authorize = new URL(start.headers.location!);
    const callback = new URL((await request(suite.sim.url).get(authorize.pathname + authorize.search).set('User-Agent', WECHAT_UA)).headers.location!);
    const res = await request(a.url).get(callback.pathname + callback.search).set('Cookie', cookie);
    expect([res.status, res.text]).toEqual([400, expect.stringContaining(EXPIRED)]);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('a login started for one app is refused by a router configured with another (same secret): appid checked', async () => {
    const secret = 'a-secret-shared-by-both-routers-0123456789';
    const first = await app({ secret });
    const second = await app({ secret, mp: { appid: 'wxmp000000000009', secret: MP.secret } });
    const why = reasons(second);
    const start = await request(first.url).get('/oauth/wechat/login?action=mp').set('User-Agent', WECHAT_UA);
    const cookie = String(start.headers['set-cookie']).split(';')[0]!;
    const authorize = new URL(start.headers.location!);
    const callback = new URL((await request(suite.sim.url).get(authorize.pathname + authorize.search).set('User-Agent', WECHAT_UA)).headers.location!);
    const res = await request(second.url).get(callback.pathname + callback.search).set('Cookie', cookie);
    expect([res.status, res.text]).toEqual([400, expect.stringContaining(EXPIRED)]);
    expect(why).toEqual(['state of a login started for an app that is not configured here']);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });
});

describe('refused consent and WeChat errors', () => {
  test('Deny on the consent page → args_error to the error hook with action and next; not logged in', async () => {
    const a = await app();
    const seen: ErrorContext[] = [];
    a.router.errorHandler((_req, _res, ctx) => void seen.push(ctx));
    const b = browser(a);
    const consent = await b.visit('/oauth/wechat/login?scope=snsapi_userinfo&next=/cart');
    const denied = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect(denied.res.status).toBe(400);
    expect(denied.res.headers['content-type']).toMatch(/html/);
    expect(denied.res.text).toContain(LOGIN_FAILURE_TEXT.cancelled.zh);
    expect(denied.res.text).not.toContain('args_error'); // the code is for logs and the hook, not the person
    expect(denied.res.text).toContain('href="/oauth/wechat/login?action=mp&amp;scope=snsapi_userinfo&amp;next=%2Fcart"');
    expect(denied.res.text).not.toMatch(/at .+\.(ts|js):\d+/); // no stack trace
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ action: 'mp', next: '/cart' });
    expect(seen[0]!.error.code).toBe('args_error');
    expect(await me(b)).toBeNull();
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test.each([
    ['/sns/oauth2/access_token', 40029, 'auth_error', 400],
    ['/sns/oauth2/access_token', 40163, 'auth_error', 400],
    ['/sns/oauth2/access_token', -1, 'auth_error', 503],
    ['/sns/oauth2/access_token', 45011, 'auth_error', 503],
    ['/sns/oauth2/access_token', 40125, 'config_error', 500],
    ['/sns/oauth2/access_token', 40013, 'config_error', 500],
    ['/sns/userinfo', 42003, 'access_error', 400],
    ['/sns/userinfo', 40001, 'access_error', 400],
    ['/sns/userinfo', 40003, 'userinfo_error', 400],
    ['/sns/userinfo', 45009, 'userinfo_error', 503],
  ])('%s answering errcode %i → %s (%i), JSON {error, message, errcode}', async (path, errcode, code, status) => {
    const a = await app();
    const b = browser(a);
    const consent = await b.visit('/oauth/wechat/login?scope=snsapi_userinfo');
    suite.sim.sim.faults.inject(path, { errcode, times: 3 });
    const form = consent.res.text;
    const state = form.match(/name="state" value="([^"]+)"/)![1]!;
    // The app asked for JSON on its callback (an SPA), so the default error answer is JSON.
    const approved = await b.post(`${suite.sim.url}/connect/oauth2/authorize/confirm`, {
      appid: MP.appid,
      redirect_uri: `${a.url}/oauth/wechat/callback?format=json`,
      scope: 'snsapi_userinfo',
      state,
      decision: 'approve',
    });
    const res = await b.get(approved.headers.location!);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: code, message: expect.any(String), errcode });
    expect(await me(b)).toBeNull();
    // A code is single use: the exchange is never retried, not even on -1 (system busy).
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
    expect(a.logger.text()).toContain(`"code":"${code}"`);
  });

  test('WeChat unreachable (HTTP 502 page) → network_error, no stack, no URL', async () => {
    const a = await app();
    const b = browser(a);
    const callback = await mpCallbackUrl(b);
    suite.sim.sim.faults.inject('/sns/oauth2/access_token', { status: 502 });
    const res = await b.get(callback, { Accept: 'application/json' });
    expect(res.status).toBe(502);
    expect(res.body.error).toBe('network_error');
    expect(res.text).not.toContain(suite.sim.url);
  });

  test('a snapshot-page user is refused with snapshot_user and never reaches resolveUser', async () => {
    const resolveUser = jest.fn(() => ({ id: 1 }));
    const a = await app({ resolveUser });
    const b = browser(a);
    const start = await b.get('/oauth/wechat/login?action=mp');
    // The simulator picks its user from `sim_user` on its own URL; `ghost` is a snapshot-page user.
    const authorize = start.headers.location!.replace('#wechat_redirect', '&sim_user=ghost#wechat_redirect');
    const wechat = await b.get(authorize);
    const cb = await b.get(wechat.headers.location!);
    expect(cb.status).toBe(403);
    expect(cb.text).toContain(LOGIN_FAILURE_TEXT.snapshot.zh);
    expect(resolveUser).not.toHaveBeenCalled();
    expect(await me(b)).toBeNull();
    expect(suite.sim.sim.calls('/sns/userinfo')).toBe(0);
  });

  test('the error hook may answer itself', async () => {
    const a = await app();
    a.router.errorHandler((_req, res, { error }) => void res.status(409).send(`custom ${error.code}`));
    const res = await browser(a).get(`/oauth/wechat/callback?code=x&state=${'1'.repeat(32)}`);
    expect(res.status).toBe(409);
    expect(res.text).toBe('custom state_error');
  });

  test('mobile: a used code → auth_error JSON; the hook sees action "mobile"', async () => {
    const a = await app();
    const seen: ErrorContext[] = [];
    a.router.errorHandler((_req, _res, ctx) => void seen.push(ctx));
    const b = browser(a, DESKTOP_UA);
    const code = suite.sim.sim.issueCode(MOBILE.appid);
    expect((await b.post('/oauth/wechat/mobile', { code, appid: MOBILE.appid }, 'json')).status).toBe(200);
    const again = await b.post('/oauth/wechat/mobile', { code, appid: MOBILE.appid }, 'json');
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'auth_error', errcode: expect.any(Number) });
    expect(seen[0]).toMatchObject({ action: 'mobile' });
  });

  test('mobile: a snapshot user → 403 snapshot_user, not logged in', async () => {
    const a = await app();
    const b = browser(a, DESKTOP_UA);
    const res = await b.post('/oauth/wechat/mobile', { code: suite.sim.sim.issueCode(MOBILE.appid, { snapshotUser: true }), appid: MOBILE.appid }, 'json');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('snapshot_user');
    expect(await me(b)).toBeNull();
  });
});

describe('next', () => {
  test.each(['//evil.com', '/\\evil.com', 'https://evil.com', 'javascript:alert(1)', '/%2F%2Fevil.com', 'http:evil.com', '/.//evil.com', '/\t/evil.com'])(
    'next=%j lands on "/" after login',
    async (next) => {
      const a = await app();
      const b = browser(a);
      const callback = await mpCallbackUrl(b, `/oauth/wechat/login?action=mp&next=${encodeURIComponent(next)}`);
      const res = await b.get(callback);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/');
    },
  );

  test('an origin in allowedRedirects is a valid next', async () => {
    const a = await app({ allowedRedirects: ['https://m.example.com'] });
    const b = browser(a);
    const callback = await mpCallbackUrl(b, `/oauth/wechat/login?action=mp&next=${encodeURIComponent('https://m.example.com/home')}`);
    expect((await b.get(callback)).headers.location).toBe('https://m.example.com/home');
  });
});

describe('configuration at request time', () => {
  test('session storage without express-session: a config_error page before going to WeChat', async () => {
    const a = await app({}, { session: false });
    const res = await browser(a).get('/oauth/wechat/login?action=mp');
    expect(res.status).toBe(500);
    expect(res.text).toContain(LOGIN_FAILURE_TEXT.failed.zh);
    expect(res.text).not.toContain('config_error');
    // The developer's hint is in the log, with the code.
    expect(a.logger.text()).toContain('config_error');
    expect(a.logger.text()).toContain('express-session');
  });

  test('an action that is not configured → 400 args_error', async () => {
    const a = await app({ qrcode: undefined });
    const res = await browser(a).get('/oauth/wechat/login?action=qrcode', { Accept: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'args_error', message: 'login with "qrcode" is not configured' });
    const script = await browser(a).get('/weixin-login.js');
    expect(script.status).toBe(404);
    expect(script.headers['content-type']).toMatch(/javascript/);
  });

  test('without action, a WeChat browser falls back to qrcode when mp is not configured (and vice versa)', async () => {
    const qrOnly = await app({ mp: undefined });
    expect(new URL((await browser(qrOnly, WECHAT_UA).get('/oauth/wechat/login')).headers.location!).pathname).toBe('/connect/qrconnect');
    const mpOnly = await app({ qrcode: undefined });
    expect(new URL((await browser(mpOnly, DESKTOP_UA).get('/oauth/wechat/login')).headers.location!).pathname).toBe('/connect/oauth2/authorize');
    expect(QR.appid).toBeDefined();
  });

  test('a bad scope → 400 args_error', async () => {
    const a = await app();
    const res = await browser(a).get('/oauth/wechat/login?action=mp&scope=snsapi_everything', { Accept: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('args_error');
  });
});
