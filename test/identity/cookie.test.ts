import { createHmac } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import fc from 'fast-check';
import { createIdentityStorage, identityMiddleware } from '../../lib/identity';
import { openIdentityCookie, signIdentityCookie, verifyIdentityCookie, DEFAULT_COOKIE_MAX_AGE } from '../../lib/identity/cookie';
import type { WxIdentity } from '../../lib/identity/types';
import { MemoryStore } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';
import { defaultRandomHex, type WxContext } from '../../lib/context';
import type { Store } from '../../lib/store/types';
import { captureLogger } from '../helpers/logs';

const SECRET = 'cookie-secret-cookie-secret-0123456789';
const alice: WxIdentity = { openid: 'o-alice', unionid: 'u-alice', action: 'mp', appid: 'wxmp000000000001' };
const JTI = '0123456789abcdef0123456789abcdef';

function ctxAt(now: () => number, store: Store = new MemoryStore()): WxContext {
  return { http: new WechatClient(), store, now, randomHex: defaultRandomHex, logger: captureLogger() };
}

/** A cookie with any payload and body spelling, MAC'd as ours is: what only the secret's holder can make. */
function macd(body: string): string {
  return `${body}.${createHmac('sha256', SECRET).update('express-wxauth.cookie.v1.' + body).digest('base64url')}`;
}
const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

describe('signed identity cookie (pure)', () => {
  const t0 = Date.UTC(2024, 0, 1);

  test('a signed cookie verifies and returns the identity', () => {
    expect(verifyIdentityCookie(signIdentityCookie(alice, SECRET, t0, 1000 * 60, JTI), SECRET, t0 + 1000)).toEqual(alice);
  });

  test('the cookie expires after maxAge even if the browser keeps it', () => {
    const value = signIdentityCookie(alice, SECRET, t0, 60_000, JTI);
    expect(verifyIdentityCookie(value, SECRET, t0 + 59_000)).toEqual(alice);
    expect(verifyIdentityCookie(value, SECRET, t0 + 61_000)).toBeUndefined();
  });

  test('a cookie signed with another secret is refused', () => {
    const value = signIdentityCookie(alice, 'another-secret-another-secret-0123456', t0, 60_000, JTI);
    expect(verifyIdentityCookie(value, SECRET, t0)).toBeUndefined();
  });

  test('a payload edited to another openid is refused', () => {
    const value = signIdentityCookie(alice, SECRET, t0, 60_000, JTI);
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

  test('the cookie carries its login id and expiry for logout', () => {
    expect(openIdentityCookie(signIdentityCookie(alice, SECRET, t0, 60_000, JTI), SECRET, t0)).toEqual({ identity: alice, jti: JTI, exp: t0 / 1000 + 60 });
  });

  test('a version 1 cookie (no login id, so it could never be revoked) is refused even with a valid MAC', () => {
    const iat = t0 / 1000;
    expect(verifyIdentityCookie(macd(encode({ v: 1, iat, exp: iat + 60, id: alice })), SECRET, t0)).toBeUndefined();
    // The same payload as version 2 without a jti, or with one that is no store key, is refused too.
    expect(verifyIdentityCookie(macd(encode({ v: 2, iat, exp: iat + 60, id: alice })), SECRET, t0)).toBeUndefined();
    expect(verifyIdentityCookie(macd(encode({ v: 2, iat, exp: iat + 60, jti: 'a:b*c d', id: alice })), SECRET, t0)).toBeUndefined();
    expect(verifyIdentityCookie(macd(encode({ v: 2, iat, exp: iat + 60, jti: JTI, id: alice })), SECRET, t0)).toEqual(alice);
  });

  describe('only the canonical base64url spelling of the MAC verifies', () => {
    const value = signIdentityCookie(alice, SECRET, t0, 60_000, JTI);
    const [body, mac] = value.split('.') as [string, string];
    // 43 characters carry 258 bits for a 256-bit MAC: the last one has 2 unused low bits.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = ALPHABET.indexOf(mac.at(-1)!);
    const sameBytes = [1, 2, 3].map((bits) => mac.slice(0, -1) + ALPHABET[last ^ bits]!);

    // Each decodes to the right MAC bytes: a compare of decoded bytes would accept them all.
    const cases: Array<[string, string]> = [
      ...sameBytes.map((m, i): [string, string] => [`altered trailing bits (${i + 1})`, m]),
      ['an appended "="', `${mac}=`],
      ['appended "=="', `${mac}==`],
      ['a stray invalid character', `${mac.slice(0, 20)}!${mac.slice(20)}`],
      ['a stray space', `${mac.slice(0, 20)} ${mac.slice(20)}`],
      ['base64 "+" / "/" for "-" / "_"', Buffer.from(mac, 'base64url').toString('base64').replace(/=+$/, '')],
    ];
    test.each(cases)('refuses %s', (_name, altered) => {
      expect(Buffer.from(altered, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(true);
      expect(verifyIdentityCookie(`${body}.${altered}`, SECRET, t0)).toBeUndefined();
    });

    test('refuses a non-ASCII character whose low byte is the right one', () => {
      const altered = mac.slice(0, -1) + String.fromCharCode(0x100 + mac.charCodeAt(42));
      expect(Buffer.from(altered, 'latin1').toString('latin1')).toBe(mac);
      expect(verifyIdentityCookie(`${body}.${altered}`, SECRET, t0)).toBeUndefined();
    });

    test('a body in a non-canonical spelling is refused even under a valid MAC for that spelling', () => {
      const payload = encode({ v: 2, iat: t0 / 1000, exp: t0 / 1000 + 60, jti: JTI, id: alice });
      expect(verifyIdentityCookie(macd(payload), SECRET, t0)).toEqual(alice);
      const lastChar = ALPHABET.indexOf(payload.at(-1)!);
      const spellings = [`${payload}=`, `${payload.slice(0, 10)}*${payload.slice(10)}`];
      // Unused low bits exist in the last character when the byte length is not a multiple of 3.
      if (payload.length % 4 !== 0) spellings.push(payload.slice(0, -1) + ALPHABET[lastChar ^ 1]!);
      for (const spelling of spellings) {
        expect(Buffer.from(spelling, 'base64url').toString('base64url')).toBe(payload);
        expect(verifyIdentityCookie(macd(spelling), SECRET, t0)).toBeUndefined();
      }
    });
  });

  test('property: sign then verify round-trips; any change to the cookie string is refused', () => {
    const identity = fc.record({
      openid: fc.string({ minLength: 1, maxLength: 40 }),
      appid: fc.string({ minLength: 1, maxLength: 20 }),
      action: fc.constantFrom('mp' as const, 'qrcode' as const, 'mobile' as const, 'miniprogram' as const),
    });
    // Characters biased towards the ones that decode to the same bytes, plus anything at all.
    const ch = fc.oneof(fc.constantFrom(...'ABCDEFGHQRSTabcdghwxyz0123456789-_.=/+ %\u0100\u0141'.split('')), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), pos: fc.nat(), ch }),
      fc.record({ kind: fc.constant('insert' as const), pos: fc.nat(), ch }),
      fc.record({ kind: fc.constant('delete' as const), pos: fc.nat(), ch: fc.constant('') }),
    );
    fc.assert(
      fc.property(identity, mutation, (id, m) => {
        const value = signIdentityCookie(id, SECRET, t0, DEFAULT_COOKIE_MAX_AGE, JTI);
        expect(verifyIdentityCookie(value, SECRET, t0)).toEqual(id);
        const i = m.pos % (value.length + (m.kind === 'insert' ? 1 : 0));
        const tampered = value.slice(0, i) + m.ch + value.slice(m.kind === 'insert' ? i : i + 1);
        if (tampered === value) return;
        expect(verifyIdentityCookie(tampered, SECRET, t0)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('storage "cookie" over HTTP', () => {
  function app(now: () => number, cookie: Record<string, unknown> = {}, store?: Store) {
    const ctx = ctxAt(now, store);
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
    expect(String(forced.headers['set-cookie'])).toMatch(/^__Host-sid=.*Secure/);
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

  test('logout revokes the login: a copy of the cookie taken before logout is refused; other logins stay', async () => {
    const a = app(Date.now);
    const login = async () => String((await request(a).post('/login').expect(200)).headers['set-cookie']).split(';')[0]!;
    const [copy, other] = [await login(), await login()];
    expect((await request(a).get('/me').set('Cookie', copy)).body).toEqual(alice);
    await request(a).post('/logout').set('Cookie', copy).expect(200);
    expect((await request(a).get('/me').set('Cookie', copy)).body).toBeNull();
    expect((await request(a).get('/me').set('Cookie', other)).body).toEqual(alice);
  });

  test('read: one store get for a cookie that verified, none for a forged one', async () => {
    const store = new MemoryStore();
    const gets: string[] = [];
    const counting: Store = Object.assign(Object.create(store) as Store, { get: (key: string) => (gets.push(key), store.get(key)) });
    const a = app(Date.now, {}, counting);
    const cookie = String((await request(a).post('/login').expect(200)).headers['set-cookie']).split(';')[0]!;
    expect((await request(a).get('/me').set('Cookie', cookie)).body).toEqual(alice);
    expect(gets).toEqual([expect.stringMatching(/^cookie:deny:[0-9a-f]{32}$/)]);
    gets.length = 0;
    expect((await request(a).get('/me').set('Cookie', `${cookie.slice(0, -3)}AAA`)).body).toBeNull();
    expect(gets).toEqual([]);
  });

  test('a forged cookie is ignored', async () => {
    const res = await request(app(Date.now)).get('/me').set('Cookie', 'wxauth=eyJ2IjoxfQ.AAAA').expect(200);
    expect(res.body).toBeNull();
  });

  test('storage "cookie" without cookie.secret is a config_error naming the field', () => {
    expect(() => createIdentityStorage(ctxAt(Date.now), { storage: 'cookie' })).toThrow(expect.objectContaining({ code: 'config_error', field: 'cookie.secret' }));
  });
});
