import express from 'express';
import request from 'supertest';
import type { Request } from 'express';
import { createIdentityStorage, identityMiddleware } from '../../lib/identity';
import { readCookie as readCookieFromCookieTs } from '../../lib/identity/cookie';
import type { WxIdentity } from '../../lib/identity/types';
import { MemoryStore } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';
import { captureLogger } from '../helpers/logs';

const req = (cookie: string | undefined) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as Request;

/** A fresh copy of cookie-jar.ts: its "warn once per process" flag starts unset. */
function freshJar(): typeof import('../../lib/identity/cookie-jar') {
  let jar: typeof import('../../lib/identity/cookie-jar') | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jar = require('../../lib/identity/cookie-jar');
  });
  return jar!;
}

describe('readCookie', () => {
  const { readCookie } = freshJar();
  const logger = captureLogger();

  test('reads one cookie, decodes percent-escapes and quotes as the cookie package does', () => {
    expect(readCookie(req('a=1; wxauth=abc.def; b=2'), 'wxauth', logger)).toBe('abc.def');
    expect(readCookie(req('wxauth=%7Bx%7D'), 'wxauth', logger)).toBe('{x}');
    expect(readCookie(req('wxauth="quoted"'), 'wxauth', logger)).toBe('quoted');
    expect(readCookie(req('wxauth=%E0%A4%A'), 'wxauth', logger)).toBe('%E0%A4%A'); // a bad escape stays as it is
  });

  test('absent, empty header, a name that is only a prefix of another, junk: undefined, never a throw', () => {
    expect(readCookie(req(undefined), 'wxauth', logger)).toBeUndefined();
    expect(readCookie(req(''), 'wxauth', logger)).toBeUndefined();
    expect(readCookie(req('wxauth_pending=x; xwxauth=y'), 'wxauth', logger)).toBeUndefined();
    expect(readCookie(req(';;;=;wxauth'), 'wxauth', logger)).toBeUndefined();
  });

  test('a name sent twice reads as absent (a planted copy never wins, in either order), warned once per process', () => {
    const warnings = () => logger.lines.filter((l) => l.startsWith('warn'));
    expect(readCookie(req('wxauth=VALUE1; wxauth=VALUE2'), 'wxauth', logger)).toBeUndefined();
    expect(readCookie(req('wxauth=VALUE2; other=1; wxauth=VALUE1'), 'wxauth', logger)).toBeUndefined();
    expect(readCookie(req('wxauth_pending=a;wxauth_pending=b'), 'wxauth_pending', logger)).toBeUndefined();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('"cookie":"wxauth"');
    expect(warnings()[0]).not.toMatch(/VALUE/); // never a value
    // Other names in the same header are unaffected.
    expect(readCookie(req('wxauth=VALUE1; wxauth=VALUE2; b=2'), 'b', logger)).toBe('2');
  });

  test('lib/identity/cookie.ts re-exports it (existing imports keep working)', () => {
    expect(readCookieFromCookieTs(req('wxauth=x; wxauth=y'), 'wxauth', logger)).toBeUndefined();
    expect(readCookieFromCookieTs(req('wxauth=x'), 'wxauth', logger)).toBe('x');
  });
});

describe('storage "cookie": a planted duplicate of the login cookie', () => {
  const SECRET = 'cookie-secret-cookie-secret-0123456789';
  const victim: WxIdentity = { openid: 'o-victim', action: 'mp', appid: 'wxmp000000000001' };
  const attacker: WxIdentity = { openid: 'o-attacker', action: 'mp', appid: 'wxmp000000000001' };

  test('listed first with a more specific Path, a validly signed cookie of another user does not log the browser in as them', async () => {
    const logger = captureLogger();
    const ctx = { http: new WechatClient(), store: new MemoryStore(), now: Date.now, randomHex: (n: number) => 'ab'.repeat(n), logger };
    const storage = createIdentityStorage(ctx, { storage: 'cookie', cookie: { secret: SECRET } });
    const app = express();
    app.use(identityMiddleware(storage));
    app.post('/login', async (req, res) => void (await storage.login(req, res, victim), res.end()));
    app.post('/login-attacker', async (req, res) => void (await storage.login(req, res, attacker), res.end()));
    app.get('/account/me', (req, res) => void res.json(req.wxauth ?? null));
    const mine = String((await request(app).post('/login')).headers['set-cookie']).split(';')[0]!;
    // The attacker's own valid login cookie, planted with Path=/account (and Domain=.example.com from a sibling).
    const planted = String((await request(app).post('/login-attacker')).headers['set-cookie']).split(';')[0]!;
    expect((await request(app).get('/account/me').set('Cookie', mine)).body).toMatchObject({ openid: 'o-victim' });
    expect((await request(app).get('/account/me').set('Cookie', planted)).body).toMatchObject({ openid: 'o-attacker' });
    // Both sent (the more specific path first, as browsers order them): neither is trusted.
    expect((await request(app).get('/account/me').set('Cookie', `${planted}; ${mine}`)).body).toBeNull();
    expect(logger.lines.filter((l) => l.includes('sent twice')).length).toBeLessThanOrEqual(1);
  });
});
