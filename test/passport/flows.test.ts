/**
 * The Passport strategy end to end: an Express app with express-session and passport, the WeChat
 * simulator on a real port, a cookie jar per origin. mp (snsapi_base, snsapi_userinfo with the
 * consent page, the base → userinfo upgrade) and QR login; what verify receives; what Passport
 * stores.
 */
import axios from 'axios';
import type { Request } from 'express';
import { DESKTOP_UA, MP, QR, WECHAT_UA, loginSuite } from '../oauth/harness';
import { startPassportApp } from './harness';

const suite = loginSuite(startPassportApp);
const { app, browser } = suite;

describe('mp login through passport.authenticate("wechat")', () => {
  test('snsapi_base: the same route redirects to WeChat, takes the callback, verify gets the typed profile, Passport logs in, then next', async () => {
    const a = await app();
    const b = browser(a);
    const start = await b.get('/auth/wechat?next=/account');
    expect(start.status).toBe(302);
    expect(start.headers['cache-control']).toBe('no-store');
    const authorize = new URL(start.headers.location!);
    expect(authorize.origin + authorize.pathname).toBe(`${suite.sim.url}/connect/oauth2/authorize`);
    expect(authorize.searchParams.get('appid')).toBe(MP.appid);
    expect(authorize.searchParams.get('scope')).toBe('snsapi_base');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${a.url}/auth/wechat`);
    expect(authorize.searchParams.get('state')).toMatch(/^[a-f0-9]{32}$/);
    expect(authorize.hash).toBe('#wechat_redirect');
    // The pending login rides in a sealed httpOnly Lax cookie; the state is not readable in it.
    const pending = (start.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('wxauth_pending='))!;
    expect(pending).toMatch(/HttpOnly/i);
    expect(pending).toMatch(/SameSite=Lax/i);
    expect(pending).not.toContain(authorize.searchParams.get('state'));

    const { res, url } = await b.follow(start, `${a.url}/auth/wechat?next=/account`);
    expect(url).toBe(`${a.url}/account`);
    expect(res.status).toBe(404); // the app has no /account page: we only check where the login went
    const openid = suite.sim.sim.openidOf(MP.appid, 'alice');
    expect(a.profiles).toEqual([{ provider: 'wechat', id: openid, openid, unionid: suite.sim.sim.unionidOf('alice'), appid: MP.appid, action: 'mp', scope: 'snsapi_base' }]);
    expect((await b.get('/me')).body).toEqual({ openid, unionid: suite.sim.sim.unionidOf('alice'), action: 'mp', scope: 'snsapi_base' });
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
    expect(suite.sim.sim.calls('/sns/userinfo')).toBe(0);
  });

  test('snsapi_userinfo through the consent page (Approve): displayName, photos and _json from the profile', async () => {
    const a = await app();
    const b = browser(a);
    const consent = await b.visit('/auth/wechat?scope=snsapi_userinfo&next=/welcome');
    expect(consent.url).toContain('/connect/oauth2/authorize');
    expect(consent.res.text).toContain('id="approve"');
    const done = await b.submitSimForm(consent.res, consent.url, { decision: 'approve', user: 'bob' });
    expect(done.url).toBe(`${a.url}/welcome`);
    const openid = suite.sim.sim.openidOf(MP.appid, 'bob');
    expect(a.profiles).toHaveLength(1);
    expect(a.profiles[0]).toMatchObject({ provider: 'wechat', id: openid, openid, unionid: suite.sim.sim.unionidOf('bob'), action: 'mp', scope: 'snsapi_userinfo', displayName: 'Bob' });
    expect(a.profiles[0]!.photos).toEqual([{ value: expect.stringMatching(/^http.*bob/) }]);
    expect(a.profiles[0]!._json).toMatchObject({ openid, nickname: 'Bob' });
    expect(JSON.stringify(a.profiles[0])).not.toMatch(/access_token|refresh_token/);
    expect((await b.get('/me')).body).toMatchObject({ openid, scope: 'snsapi_userinfo', name: 'Bob' });
  });

  test('authenticate options choose action and scope (and win over the query)', async () => {
    const a = await app({}, { authenticate: { action: 'mp', scope: 'snsapi_userinfo' } });
    const start = await browser(a, DESKTOP_UA).get('/auth/wechat?action=qrcode&scope=snsapi_base');
    const authorize = new URL(start.headers.location!);
    expect(authorize.pathname).toBe('/connect/oauth2/authorize');
    expect(authorize.searchParams.get('scope')).toBe('snsapi_userinfo');
  });

  test('base → userinfo upgrade: upgrade(profile) sends unknown users round again with the consent page; verify runs once, with the profile; next kept', async () => {
    const known = new Set<string>();
    const upgrades: string[] = [];
    const a = await app({
      upgrade: (profile) => {
        upgrades.push(profile.scope);
        return !known.has(profile.openid);
      },
    });
    const b = browser(a);
    const consent = await b.visit('/auth/wechat?next=/cart');
    expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
    expect(a.profiles).toHaveLength(0); // the base round never reached verify
    const done = await b.submitSimForm(consent.res, consent.url, { decision: 'approve', user: 'carol' });
    expect(done.url).toBe(`${a.url}/cart`);
    expect(upgrades).toEqual(['snsapi_base']); // asked only after the silent round
    expect(a.profiles).toHaveLength(1);
    expect(a.profiles[0]).toMatchObject({ scope: 'snsapi_userinfo', displayName: 'Carol' });
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(2);

    // A known user stays silent: no consent page, verify with the base profile.
    known.add(suite.sim.sim.openidOf(MP.appid, 'alice'));
    const again = await browser(a).visit('/auth/wechat?next=/cart');
    expect(again.url).toBe(`${a.url}/cart`);
    expect(a.profiles[1]).toMatchObject({ scope: 'snsapi_base', openid: suite.sim.sim.openidOf(MP.appid, 'alice') });
  });

  test('passReqToCallback: verify(req, profile, done) gets the callback request', async () => {
    const seen: Request[] = [];
    const a = await app({}, { passReqToCallback: true, seenRequests: seen });
    const b = browser(a);
    const done = await b.visit('/auth/wechat?next=/ok');
    expect(done.url).toBe(`${a.url}/ok`);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/auth/wechat');
    expect(seen[0]!.query.state).toMatch(/^[a-f0-9]{32}$/);
    expect(a.profiles[0]).toMatchObject({ action: 'mp', openid: suite.sim.sim.openidOf(MP.appid, 'alice') });
  });

  test('callbackURL: WeChat comes back to its own route; the login started on another', async () => {
    const a = await app({ callbackURL: '/auth/wechat/callback' });
    const b = browser(a);
    const start = await b.get('/auth/wechat?next=/there');
    expect(new URL(start.headers.location!).searchParams.get('redirect_uri')).toBe(`${a.url}/auth/wechat/callback`);
    const done = await b.follow(start, `${a.url}/auth/wechat`);
    expect(done.url).toBe(`${a.url}/there`);
    expect(b.hops.map((h) => new URL(h.url).pathname)).toContain('/auth/wechat/callback');
  });

  test('over HTTPS (cookie.secure) the pending login is a __Host- cookie: Secure, Path=/, no Domain', async () => {
    const a = await app({ cookie: { secure: true } });
    const start = await browser(a).get('/auth/wechat');
    const [cookie] = start.headers['set-cookie'] as unknown as string[];
    expect(cookie).toMatch(/^__Host-wxauth_pending=/);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; Path=\//i);
    expect(cookie).not.toMatch(/Domain=/i);
  });

  test('baseUrl builds redirect_uri whatever the Host header says', async () => {
    const a = await app({ baseUrl: 'https://shop.example.com/' });
    const start = await browser(a).get('/auth/wechat', { Host: 'evil.example' });
    expect(new URL(start.headers.location!).searchParams.get('redirect_uri')).toBe('https://shop.example.com/auth/wechat');
  });
});

describe('QR login through passport.authenticate("wechat")', () => {
  test('a desktop browser gets the qrconnect page (action from the User-Agent); Scan and confirm logs in with snsapi_login and the profile', async () => {
    const a = await app();
    const b = browser(a, DESKTOP_UA);
    const page = await b.visit('/auth/wechat?next=/account');
    const qr = new URL(page.url);
    expect(qr.pathname).toBe('/connect/qrconnect');
    expect(qr.searchParams.get('appid')).toBe(QR.appid);
    expect(qr.searchParams.get('scope')).toBe('snsapi_login');
    const done = await b.submitSimForm(page.res, page.url, {});
    expect(done.url).toBe(`${a.url}/account`);
    const openid = suite.sim.sim.openidOf(QR.appid, 'alice');
    expect(a.profiles[0]).toMatchObject({ provider: 'wechat', id: openid, openid, appid: QR.appid, action: 'qrcode', scope: 'snsapi_login', displayName: 'Alice' });
    expect((await b.get('/me')).body).toMatchObject({ openid, action: 'qrcode', scope: 'snsapi_login' });
  });

  test('unionid joins one person across mp and QR logins', async () => {
    const a = await app();
    await browser(a, WECHAT_UA).visit('/auth/wechat');
    const desktop = browser(a, DESKTOP_UA);
    const page = await desktop.visit('/auth/wechat?action=qrcode');
    await desktop.submitSimForm(page.res, page.url, {});
    const [mp, qr] = a.profiles;
    expect(mp!.openid).not.toBe(qr!.openid);
    expect(mp!.unionid).toBe(suite.sim.sim.unionidOf('alice'));
    expect(qr!.unionid).toBe(mp!.unionid);
  });

  test('a code exchange without unionid takes it from the profile', async () => {
    // An axios instance whose interceptor drops unionid from the code exchange's answer only.
    const client = axios.create();
    client.interceptors.response.use((res) => {
      if (String(res.config.url).endsWith('/sns/oauth2/access_token')) {
        const body = (typeof res.data === 'string' ? JSON.parse(res.data) : res.data) as Record<string, unknown>;
        delete body.unionid;
        res.data = typeof res.data === 'string' ? JSON.stringify(body) : body;
      }
      return res;
    });
    const a = await app({ axios: client });
    const b = browser(a, DESKTOP_UA);
    const page = await b.visit('/auth/wechat?action=qrcode');
    await b.submitSimForm(page.res, page.url, {});
    expect(a.profiles[0]!.unionid).toBe(suite.sim.sim.unionidOf('alice'));
    expect(a.profiles[0]!._json!.unionid).toBe(suite.sim.sim.unionidOf('alice'));

    // The base scope reads no profile: without unionid in the exchange there is none.
    await browser(a, WECHAT_UA).visit('/auth/wechat?action=mp');
    expect(a.profiles[1]).not.toHaveProperty('unionid');
  });
});
