/**
 * Everything that must NOT log anyone in through the Passport strategy — the router's own attack
 * list: forged, replayed, cross-browser, cookie-less and expired state (refused before the code is
 * exchanged), hostile `next`, snapshot users, refused consent; and where failures go: a failed
 * login to Passport's failureRedirect, WeChat / network / verify errors to Express's error handler.
 */
import request from 'supertest';
import { Browser, MP, mpCallbackUrl, loginSuite } from '../oauth/harness';
import { startPassportApp } from './harness';

const suite = loginSuite(startPassportApp);
const { app, browser } = suite;
const LOGIN = '/auth/wechat?action=mp&next=/profile';
const STATE_MESSAGE = 'the login link is invalid or has expired; please log in again';

/** A failed login as Passport answers it: failureRedirect, then the message it kept. */
async function expectFailed(b: Browser, res: request.Response, message: string | RegExp): Promise<void> {
  expect(res.status).toBe(302);
  expect(res.headers.location).toBe('/login-failed');
  const page = await b.get('/login-failed');
  expect(page.body.messages).toEqual([expect.stringMatching(message)]);
}

async function me(b: Browser) {
  return (await b.get('/me')).body;
}

describe('state', () => {
  test('a replayed callback fails (single use) and the code is not exchanged again', async () => {
    const a = await app();
    const b = browser(a);
    const callback = await mpCallbackUrl(b, LOGIN);
    await mpCallbackUrl(b, LOGIN); // a second tab's login stays pending
    expect((await b.get(callback)).headers.location).toBe('/profile');
    await b.get('/me');
    const replay = await browser(a).get(callback); // replayed elsewhere…
    expect(replay.headers.location).toBe('/login-failed');
    const again = await b.get(callback); // …and in the same browser
    await expectFailed(b, again, STATE_MESSAGE);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
    expect(a.profiles).toHaveLength(1);
  });

  test('a forged state fails before the code is exchanged', async () => {
    const a = await app();
    const b = browser(a);
    await mpCallbackUrl(b, LOGIN); // the browser has a real pending login
    const res = await b.get(`/auth/wechat?code=${suite.sim.sim.issueCode(MP.appid)}&state=${'0'.repeat(32)}`);
    await expectFailed(b, res, STATE_MESSAGE);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
    expect(await me(b)).toBeNull();
    expect(a.logger.text()).toContain('"code":"state_error"');
  });

  test('a callback with a code and no state fails', async () => {
    const a = await app();
    const b = browser(a);
    await mpCallbackUrl(b, LOGIN);
    await expectFailed(b, await b.get(`/auth/wechat?code=${suite.sim.sim.issueCode(MP.appid)}`), STATE_MESSAGE);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('a state started in another browser fails (login CSRF): the victim is not logged in as the attacker', async () => {
    const a = await app();
    const attacker = browser(a);
    const victim = browser(a);
    await victim.get(LOGIN); // the victim has a pending login of their own
    const callback = await mpCallbackUrl(attacker, LOGIN); // the attacker's own code and state
    await expectFailed(victim, await victim.get(callback), STATE_MESSAGE);
    expect(await me(victim)).toBeNull();
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
    expect(a.profiles).toHaveLength(0);
  });

  test('a callback from a browser that sent no pending-login cookie fails', async () => {
    const a = await app();
    const callback = new URL(await mpCallbackUrl(browser(a), LOGIN));
    const res = await request(a.url).get(callback.pathname + callback.search);
    expect([res.status, res.headers.location]).toEqual([302, '/login-failed']);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('a state older than 10 minutes fails (injected clock), before the code is exchanged', async () => {
    let now = Date.now();
    const a = await app({ now: () => now });
    const b = browser(a);
    const callback = await mpCallbackUrl(b, LOGIN);
    now += 10 * 60 * 1000 + 1000;
    await expectFailed(b, await b.get(callback), STATE_MESSAGE);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('a pending login sealed by another deployment (another secret) fails', async () => {
    const other = await app({ secret: 'another-deployment-secret-0123456789' });
    const a = await app({ secret: 'this-deployment-secret-0123456789abc' });
    const b = browser(other);
    const callback = new URL(await mpCallbackUrl(b, LOGIN));
    const cookie = (await b.get(LOGIN)).headers['set-cookie'] as unknown as string[];
    const res = await request(a.url).get(callback.pathname + callback.search).set('Cookie', cookie.map((c) => c.split(';')[0]).join('; '));
    expect(res.headers.location).toBe('/login-failed');
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
  });

  test('without failureRedirect a failed login answers its status (400) and no one is logged in', async () => {
    const a = await app({}, { authenticate: { failureRedirect: undefined, failureMessage: false } });
    const b = browser(a);
    await mpCallbackUrl(b, LOGIN);
    const res = await b.get(`/auth/wechat?code=${suite.sim.sim.issueCode(MP.appid)}&state=${'1'.repeat(32)}`);
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(await me(b)).toBeNull();
  });
});

describe('next', () => {
  test.each(['//evil.com', '/\\evil.com', 'https://evil.com', 'javascript:alert(1)', '/%2F%2Fevil.com', 'http:evil.com', '/.//evil.com', '/\t/evil.com'])(
    'next=%j lands on "/" after login',
    async (next) => {
      const a = await app();
      const b = browser(a);
      const callback = await mpCallbackUrl(b, `/auth/wechat?action=mp&next=${encodeURIComponent(next)}`);
      const res = await b.get(callback);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/');
      expect(a.profiles).toHaveLength(1); // logged in all the same
    },
  );

  test('a hostile next given in authenticate options is guarded too', async () => {
    const a = await app({}, { authenticate: { next: 'https://evil.com/phish' } });
    const b = browser(a);
    const callback = await mpCallbackUrl(b, '/auth/wechat?action=mp');
    expect((await b.get(callback)).headers.location).toBe('/');
  });

  test('an origin in allowedRedirects is a valid next', async () => {
    const a = await app({ allowedRedirects: ['https://m.example.com'] });
    const b = browser(a);
    const callback = await mpCallbackUrl(b, `/auth/wechat?action=mp&next=${encodeURIComponent('https://m.example.com/cart')}`);
    expect((await b.get(callback)).headers.location).toBe('https://m.example.com/cart');
  });

  test("verify's info cannot change next", async () => {
    const a = await app({}, { verify: (profile, done) => done(null, { openid: profile.openid }, { next: 'https://evil.com', role: 'user' }) });
    const b = browser(a);
    const callback = await mpCallbackUrl(b, '/auth/wechat?action=mp&next=/mine');
    expect((await b.get(callback)).headers.location).toBe('/mine');
  });
});

describe('refused users, refused consent, and errors', () => {
  test('a snapshot-page user fails with snapshot_user (403 without failureRedirect) and never reaches verify', async () => {
    const a = await app();
    const b = browser(a);
    const start = await b.get(LOGIN);
    // The simulator picks its user from `sim_user`; `ghost` is a snapshot-page virtual user.
    const wechat = await b.get(start.headers.location!.replace('#wechat_redirect', '&sim_user=ghost#wechat_redirect'));
    await expectFailed(b, await b.get(wechat.headers.location!), /snapshot-page virtual user/);
    expect(a.profiles).toHaveLength(0);
    expect(await me(b)).toBeNull();
    expect(suite.sim.sim.calls('/sns/userinfo')).toBe(0);

    const bare = await app({}, { authenticate: { failureRedirect: undefined, failureMessage: false } });
    const b2 = browser(bare);
    const s2 = await b2.get(LOGIN);
    const w2 = await b2.get(s2.headers.location!.replace('#wechat_redirect', '&sim_user=ghost#wechat_redirect'));
    expect((await b2.get(w2.headers.location!)).status).toBe(403);
  });

  test('Deny on the consent page fails the login (no code); nothing is exchanged', async () => {
    const a = await app();
    const b = browser(a);
    const consent = await b.visit('/auth/wechat?scope=snsapi_userinfo&next=/cart');
    const denied = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect(denied.url).toBe(`${a.url}/login-failed`);
    expect(denied.res.body.messages).toEqual([expect.stringContaining('cancelled')]);
    expect(suite.sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
    expect(await me(b)).toBeNull();
  });

  test('WeChat refusing the code (40029) is an error: WxAuthError auth_error reaches the error handler, nobody is logged in', async () => {
    const a = await app();
    const b = browser(a);
    const callback = await mpCallbackUrl(b, LOGIN);
    suite.sim.sim.faults.inject('/sns/oauth2/access_token', { errcode: 40029 });
    const res = await b.get(callback);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'auth_error', message: expect.any(String) });
    expect(a.errors).toHaveLength(1);
    expect(a.errors[0]).toMatchObject({ name: 'WxAuthError', code: 'auth_error', errcode: 40029 });
    expect(await me(b)).toBeNull();
  });

  test('WeChat unreachable (HTTP 502) is network_error through the error handler', async () => {
    const a = await app();
    const b = browser(a);
    const callback = await mpCallbackUrl(b, LOGIN);
    suite.sim.sim.faults.inject('/sns/oauth2/access_token', { status: 502 });
    const res = await b.get(callback);
    expect(res.status).toBe(502);
    expect(res.body.error).toBe('network_error');
    expect(res.text).not.toContain(suite.sim.url);
  });

  test('verify calling done(err) goes down Passport’s error path; nobody is logged in', async () => {
    const a = await app({}, { verify: (_profile, done) => done(new Error('users table is down')) });
    const b = browser(a);
    const res = await b.get(await mpCallbackUrl(b, LOGIN));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'error', message: 'users table is down' });
    expect(await me(b)).toBeNull();
  });

  test('an async verify that rejects, or a verify that throws, goes down the error path too (no hanging request)', async () => {
    for (const verify of [
      async () => {
        throw new Error('rejected');
      },
      () => {
        throw new Error('thrown');
      },
    ]) {
      const a = await app({}, { verify });
      const b = browser(a);
      const res = await b.get(await mpCallbackUrl(b, LOGIN));
      expect(res.status).toBe(500);
      expect(res.body.message).toMatch(/^(rejected|thrown)$/);
    }
  });

  test('verify calling done(null, false, { message }) fails the login with that message', async () => {
    const a = await app({}, { verify: (_profile, done) => done(null, false, { message: 'this account is suspended' }) });
    const b = browser(a);
    await expectFailed(b, await b.get(await mpCallbackUrl(b, LOGIN)), 'this account is suspended');
    expect(await me(b)).toBeNull();
  });

  test('an upgrade callback that throws is an error, not a login', async () => {
    const a = await app({
      upgrade: () => {
        throw new Error('lookup failed');
      },
    });
    const b = browser(a);
    const res = await b.get(await mpCallbackUrl(b, LOGIN));
    expect([res.status, res.body.message]).toEqual([500, 'lookup failed']);
    expect(a.profiles).toHaveLength(0);
  });

  test('an action that is not configured fails with args_error (no redirect to WeChat)', async () => {
    const a = await app({ qrcode: undefined });
    const b = browser(a);
    await expectFailed(b, await b.get('/auth/wechat?action=qrcode'), /not configured/);
    expect(suite.sim.sim.calls('/connect/qrconnect')).toBe(0);
  });
});
