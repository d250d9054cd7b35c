import express from 'express';
import request from 'supertest';
import fc from 'fast-check';
import { createIdentityStorage, identityMiddleware } from '../../lib/identity';
import { signIdentityCookie, verifyIdentityCookie, DEFAULT_COOKIE_MAX_AGE } from '../../lib/identity/cookie';
import type { WxIdentity } from '../../lib/identity/types';
import { MemoryStore } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';
import type { WxContext } from '../../lib/context';
import { captureLogger } from '../helpers/logs';

const SECRET = 'cookie-secret-cookie-secret-0123456789';
const alice: WxIdentity = { openid: 'o-alice', unionid: 'u-alice', action: 'mp', appid: 'wxmp000000000001' };

function ctxAt(now: () => number): WxContext {
  return { http: new WechatClient(), store: new MemoryStore(), now, randomHex: () => 'ab', logger: captureLogger() };
}

describe('signed identity cookie (pure)', () => {
  const t0 = Date.UTC(2024, 0, 1);

  test('a signed cookie verifies and returns the identity', () => {
    expect(verifyIdentityCookie(signIdentityCookie(alice, SECRET, t0, 1000 * 60), SECRET, t0 + 1000)).toEqual(alice);
  });

  test('the cookie expires after maxAge even if the browser keeps it', () => {
    const value = signIdentityCookie(alice, SECRET, t0, 60_000);
    expect(verifyIdentityCookie(value, SECRET, t0 + 59_000)).toEqual(alice);
    expect(verifyIdentityCookie(value, SECRET, t0 + 61_000)).toBeUndefined();
  });

  test('a cookie signed with another secret is refused', () => {
    const value = signIdentityCookie(alice, 'another-secret-another-secret-0123456', t0, 60_000);
    expect(verifyIdentityCookie(value, SECRET, t0)).toBeUndefined();
  });

  test('a payload edited to another openid is refused', () => {
    const value = signIdentityCookie(alice, SECRET, t0, 60_000);
    const [body, mac] = value.split('.');
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
    payload.id.openid = 'o-mallory';
    const forged = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    expect(verifyIdentityCookie(forged, SECRET, t0)).toBeUndefined();
  });

  test('malformed values are refused without throwing', () => {
    for (const v of ['', '.', 'abc', 'a.b.c', '.abc', 'e30.', `${Buffer.from('{}').toString('base64url')}.AAAA`]) {
      expect(verifyIdentityCookie(v, SECRET, t0)).toBeUndefined();
    }
  });

  test('property: sign then verify round-trips; any single-character change is refused', () => {
    const identity = fc.record({
      openid: fc.string({ minLength: 1, maxLength: 40 }),
      appid: fc.string({ minLength: 1, maxLength: 20 }),
      action: fc.constantFrom('mp' as const, 'qrcode' as const, 'mobile' as const, 'miniprogram' as const),
    });
    fc.assert(
      fc.property(identity, fc.nat(), fc.constantFrom(...'ABCabc019-_.=/+ '.split('')), (id, pos, ch) => {
        const value = signIdentityCookie(id, SECRET, t0, DEFAULT_COOKIE_MAX_AGE);
        expect(verifyIdentityCookie(value, SECRET, t0)).toEqual(id);
        const i = pos % value.length;
        if (value[i] === ch) return;
        const tampered = value.slice(0, i) + ch + value.slice(i + 1);
        // base64url has a few bit-equivalent spellings only in the padding bits of the last char.
        const result = verifyIdentityCookie(tampered, SECRET, t0);
        if (result !== undefined) expect(Buffer.from(tampered.split('.')[1] ?? '', 'base64url')).toEqual(Buffer.from(value.split('.')[1]!, 'base64url'));
      }),
    );
  });
});

describe('storage "cookie" over HTTP', () => {
  function app(now: () => number, cookie: Record<string, unknown> = {}) {
    const ctx = ctxAt(now);
    const storage = createIdentityStorage(ctx, { storage: 'cookie', cookie: { secret: SECRET, ...cookie } });
    const a = express();
    a.use(identityMiddleware(storage));
    a.post('/login', async (req, res) => {
      await storage.login(req, res, alice);
      res.json({ ok: true });
    });
    a.post('/logout', async (req, res) => {
      await storage.logout(req, res);
      res.end();
    });
    a.get('/me', (req, res) => res.json(req.wxauth ?? null));
    return a;
  }

  test('login sets an httpOnly, SameSite=Lax cookie with a 30-day Max-Age, not Secure over http', async () => {
    const res = await request(app(Date.now)).post('/login').expect(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^wxauth=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Max-Age=2592000/);
    expect(setCookie).not.toMatch(/Secure/);
  });

  test('Secure follows req.secure (trust proxy + X-Forwarded-Proto) unless set', async () => {
    const a = app(Date.now);
    a.set('trust proxy', true);
    const res = await request(a).post('/login').set('X-Forwarded-Proto', 'https').expect(200);
    expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
    const forced = await request(app(Date.now, { secure: true, name: 'sid', sameSite: 'strict' })).post('/login').expect(200);
    expect(String(forced.headers['set-cookie'])).toMatch(/^sid=.*Secure/);
    expect(String(forced.headers['set-cookie'])).toMatch(/SameSite=Strict/);
  });

  test('req.wxauth is set on later requests; logout clears it', async () => {
    const agent = request.agent(app(Date.now));
    expect((await agent.get('/me')).body).toBeNull();
    await agent.post('/login').expect(200);
    expect((await agent.get('/me')).body).toEqual(alice);
    await agent.post('/logout').expect(200);
    expect((await agent.get('/me')).body).toBeNull();
  });

  test('an old cookie dies when its embedded expiry passes (injected clock)', async () => {
    let now = Date.UTC(2024, 0, 1);
    const agent = request.agent(app(() => now, { maxAge: 60_000 }));
    await agent.post('/login').expect(200);
    expect((await agent.get('/me')).body).toEqual(alice);
    now += 61_000;
    expect((await agent.get('/me')).body).toBeNull();
  });

  test('a forged cookie is ignored', async () => {
    const res = await request(app(Date.now)).get('/me').set('Cookie', 'wxauth=eyJ2IjoxfQ.AAAA').expect(200);
    expect(res.body).toBeNull();
  });

  test('storage "cookie" without cookie.secret is a config_error naming the field', () => {
    expect(() => createIdentityStorage(ctxAt(Date.now), { storage: 'cookie' })).toThrow(expect.objectContaining({ code: 'config_error', field: 'cookie.secret' }));
  });
});
