/**
 * What the person sees when a browser login does not simply succeed: the default error page
 * (Chinese unless the browser prefers English, one sentence, "try again" and "home", no code),
 * a refused snsapi_userinfo upgrade that keeps the base login, and the landing page that leaves
 * the callback without WeChat's `#wechat_redirect`. The simulator over HTTP, as in flows.test.ts.
 */
import { createHash } from 'node:crypto';
import { DESKTOP_UA, MP, QR, WECHAT_UA, loginSuite, mpCallbackUrl, startApp } from './harness';
import type { ErrorContext, SuccessContext } from '../../lib';
import { LOGIN_FAILURE_TEXT, pageLanguage, renderErrorPage, renderLandingPage } from '../../lib/oauth/error-page';
import { createSealer } from '../../lib/oauth/sealed-cookie';
import { openPending, PENDING_PURPOSE, sealPending, type StateRecord } from '../../lib/oauth/state';

const suite = loginSuite(startApp);
const { app, browser } = suite;
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('the page language', () => {
  test.each([
    [undefined, 'zh'],
    ['', 'zh'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh'],
    ['en-US,en;q=0.9', 'en'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['zh-TW;q=0.5, en-GB;q=0.7', 'en'],
    ['en;q=0.5, zh;q=0.5', 'en'], // same weight: the one listed first
    ['zh, en', 'zh'],
    ['fr-FR,fr;q=0.9', 'zh'], // neither: our users are Chinese
    ['*', 'zh'],
    ['en;q=0', 'zh'], // "not English"
    ['en;q=abc', 'zh'],
  ])('Accept-Language %p → %s', (header, lang) => {
    expect(pageLanguage(header)).toBe(lang);
  });
});

describe('the default error page', () => {
  test('Deny: "你取消了登录" in Chinese, try-again back to the same login, home, no code, no-store, lang and its own CSP', async () => {
    const a = await app();
    const seen: ErrorContext[] = [];
    a.router.errorHandler((_req, _res, ctx) => void seen.push(ctx));
    const b = browser(a);
    const consent = await b.visit('/oauth/wechat/login?scope=snsapi_userinfo&next=%2Fcart%3Fx%3D1');
    const { res } = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain(`<h1>${LOGIN_FAILURE_TEXT.cancelled.zh}</h1>`);
    expect(res.text).toContain('href="/oauth/wechat/login?action=mp&amp;scope=snsapi_userinfo&amp;next=%2Fcart%3Fx%3D1">重新登录</a>');
    expect(res.text).toContain('href="/">返回首页</a>');
    expect(res.text).not.toMatch(/args_error|Error code|cancelled \(no code\)/);
    // The code stays where the developer looks: the hook and the log.
    expect(seen[0]!.error.code).toBe('args_error');
    expect(a.logger.text()).toContain('"code":"args_error"');
    // The style the CSP allows is the one on the page.
    const style = /<style>([^<]*)<\/style>/.exec(res.text)![1]!;
    expect(res.headers['content-security-policy']).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  test('English when the browser prefers it', async () => {
    const a = await app();
    const res = await browser(a).get(`/oauth/wechat/callback?code=x&state=${'1'.repeat(32)}`, { 'Accept-Language': 'en-US,en;q=0.9,zh;q=0.5' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).toContain(LOGIN_FAILURE_TEXT.expired.en);
    expect(res.text).toContain('>Try again</a>');
    expect(res.text).toContain('>Home</a>');
    expect(res.text).not.toContain('state_error');
  });

  test('each case has its sentence: expired state, used code, WeChat unreachable, snapshot user', async () => {
    const a = await app();
    const b = browser(a);
    // An unknown state: the login link is out of date; try again starts a fresh login.
    const stale = await b.get(`/oauth/wechat/callback?code=x&state=${'2'.repeat(32)}`);
    expect(stale.text).toContain(LOGIN_FAILURE_TEXT.expired.zh);
    expect(stale.text).toContain('href="/oauth/wechat/login">');
    // A code WeChat refuses (40163, already used).
    let callback = await mpCallbackUrl(b);
    suite.sim.sim.faults.inject('/sns/oauth2/access_token', { errcode: 40163 });
    const used = await b.get(callback);
    expect([used.status, used.text]).toEqual([400, expect.stringContaining(LOGIN_FAILURE_TEXT.invalid.zh)]);
    expect(used.text).toContain('href="/oauth/wechat/login?action=mp&amp;next=%2Fprofile"');
    // WeChat down.
    callback = await mpCallbackUrl(b);
    suite.sim.sim.faults.inject('/sns/oauth2/access_token', { status: 502 });
    const down = await b.get(callback);
    expect([down.status, down.text]).toEqual([502, expect.stringContaining(LOGIN_FAILURE_TEXT.unreachable.zh)]);
    // A snapshot-page user.
    const start = await b.get('/oauth/wechat/login?action=mp');
    const wechat = await b.get(start.headers.location!.replace('#wechat_redirect', '&sim_user=ghost#wechat_redirect'));
    const ghost = await b.get(wechat.headers.location!);
    expect([ghost.status, ghost.text]).toEqual([403, expect.stringContaining(LOGIN_FAILURE_TEXT.snapshot.zh)]);
    for (const text of [stale.text, used.text, down.text, ghost.text]) expect(text).not.toMatch(/_error|snapshot_user|errcode|4016/);
  });

  test('JSON answers are unchanged', async () => {
    const a = await app();
    const res = await browser(a).get(`/oauth/wechat/callback?code=x&state=${'1'.repeat(32)}`, { Accept: 'application/json' });
    expect(res.body).toEqual({ error: 'state_error', message: expect.any(String) });
  });

  test('the error hook still overrides the page', async () => {
    const a = await app();
    a.router.errorHandler((_req, res, { error }) => void res.status(418).send(`mine ${error.code}`));
    const res = await browser(a).get(`/oauth/wechat/callback?state=${'1'.repeat(32)}`);
    expect([res.status, res.text]).toEqual([418, 'mine state_error']);
  });

  test('links are escaped', () => {
    const html = renderErrorPage({ failure: 'failed', lang: 'zh', retry: '/login?next="><script>alert(1)</script>' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="/login?next=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});

describe('a refused snsapi_userinfo upgrade', () => {
  test('Deny on the upgrade round keeps the base login: on to next, the hook hears upgradeRefused: true', async () => {
    const a = await app();
    const seen: SuccessContext[] = [];
    const errors: ErrorContext[] = [];
    a.router.errorHandler((_req, _res, ctx) => void errors.push(ctx));
    a.router.successHandler((_req, _res, ctx) => {
      seen.push(ctx);
      return ctx.scope === 'snsapi_base' && !ctx.upgradeRefused ? { upgrade: 'snsapi_userinfo' } : undefined;
    });
    const b = browser(a);
    const consent = await b.visit('/oauth/wechat/login?next=%2Forders%3Fid%3D7');
    expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
    const done = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect(done.url).toBe(`${a.url}/orders?id=7`);
    expect(errors).toEqual([]);
    const openid = suite.sim.sim.openidOf(MP.appid, 'alice');
    expect(seen.map((c) => [c.scope, c.upgradeRefused])).toEqual([['snsapi_base', undefined], ['snsapi_base', true]]);
    expect(seen[1]).toMatchObject({ action: 'mp', next: '/orders?id=7', identity: { openid, appid: MP.appid }, access: { openid, scope: 'snsapi_base' } });
    expect(seen[1]!.userinfo).toBeUndefined();
    expect((await b.get('/me')).body).toMatchObject({ openid, action: 'mp' });
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(1); // no code, no second exchange
  });

  test('Deny on a first snsapi_userinfo login (no upgrade) is still a cancelled login', async () => {
    const a = await app();
    const seen: SuccessContext[] = [];
    a.router.successHandler((_req, _res, ctx) => void seen.push(ctx));
    const b = browser(a);
    const consent = await b.visit('/oauth/wechat/login?scope=snsapi_userinfo&next=/cart');
    const { res } = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect(res.text).toContain(LOGIN_FAILURE_TEXT.cancelled.zh);
    expect(seen).toEqual([]);
    expect((await b.get('/me')).body).toBeNull();
  });

  test('an upgrade round whose base login is gone (logged out in between) is a cancelled login, not a login', async () => {
    const a = await app();
    a.router.successHandler((_req, _res, ctx) => (ctx.scope === 'snsapi_base' && !ctx.upgradeRefused ? { upgrade: 'snsapi_userinfo' } : undefined));
    const b = browser(a);
    const consent = await b.visit('/oauth/wechat/login?next=/cart');
    expect((await b.post('/oauth/wechat/logout', {})).status).toBe(303);
    const { res } = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect([res.status, res.text]).toEqual([400, expect.stringContaining(LOGIN_FAILURE_TEXT.cancelled.zh)]);
    expect((await b.get('/me')).body).toBeNull();
  });

  test('the upgrade mark is sealed with the entry; entries sealed without it still open', () => {
    const sealer = createSealer(['a-sealing-secret-of-at-least-32-characters']);
    const now = 1_700_000_000_000;
    const base: StateRecord = { state: 'a'.repeat(32), action: 'mp', scope: 'snsapi_userinfo', appid: MP.appid, next: '/x', iat: now, exp: now + 600_000 };
    expect(openPending(sealer, sealPending(sealer, [{ ...base, upgrade: true }]), now)).toEqual([{ ...base, upgrade: true }]);
    expect(openPending(sealer, sealPending(sealer, [base]), now)).toEqual([base]);
    // The format as sealed before the mark existed: seven fields.
    const old = sealer.seal(PENDING_PURPOSE, [[base.state, 'mp', 'snsapi_userinfo', MP.appid, '/x', now, now + 600_000]], now + 600_000);
    expect(openPending(sealer, old, now)).toEqual([base]);
    // Anything else in the eighth place is not an entry of ours.
    const odd = sealer.seal(PENDING_PURPOSE, [[base.state, 'mp', 'snsapi_userinfo', MP.appid, '/x', now, now + 600_000, 'yes']], now + 600_000);
    expect(openPending(sealer, odd, now)).toEqual([]);
  });
});

describe('landing on next', () => {
  test('an mp browser navigation lands through a page that replaces the location: no #wechat_redirect carried over', async () => {
    const a = await app();
    const b = browser(a, WECHAT_UA);
    const callback = await mpCallbackUrl(b, '/oauth/wechat/login?action=mp&next=%2Forders%3Fid%3D7%26a%3D%3C%2Fscript%3E');
    const res = await b.get(callback, { Accept: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer'); // the callback URL carries the code
    const next = '/orders?id=7&a=%3C/script%3E';
    const script = /<script>([^<]*)<\/script>/.exec(res.text)![1]!;
    expect(script).toBe(`location.replace(${JSON.stringify(next)})`);
    expect(res.headers['content-security-policy']).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(res.text).toContain(`<meta http-equiv="refresh" content="0;url=${next.replace(/&/g, '&amp;')}">`);
    expect((await b.get('/me')).body).toMatchObject({ openid: suite.sim.sim.openidOf(MP.appid, 'alice') });
  });

  test('a next with markup in it cannot close the script or the attribute', () => {
    const { html } = renderLandingPage('/a?q=</script><script>alert(1)</script>"\u2028', 'zh');
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('location.replace("/a?q=\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\\"\\u2028")');
    expect(html).toContain('content="0;url=/a?q=&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
  });

  test('API clients and requests that do not ask for HTML keep the 302; QR logins too (no fragment there)', async () => {
    const a = await app();
    const b = browser(a, WECHAT_UA);
    expect((await b.get(await mpCallbackUrl(b))).headers.location).toBe('/profile');
    expect((await b.get(await mpCallbackUrl(b), { Accept: 'application/json' })).body).toMatchObject({ next: '/profile' });
    const qr = browser(a, DESKTOP_UA);
    const start = await qr.get('/oauth/wechat/login?action=qrcode&next=/desk');
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const code = suite.sim.sim.issueCode(QR.appid, { user: 'dave', scope: 'snsapi_login' });
    const res = await qr.get(`/oauth/wechat/callback?code=${code}&state=${state}`, { Accept: HTML });
    expect([res.status, res.headers.location]).toEqual([302, '/desk']);
  });
});
