import { createHmac, generateKeyPairSync } from 'node:crypto';
import type { Request } from 'express';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import type { WxContext } from '../../lib/context';
import { WxAuthError } from '../../lib/errors';
import { bearerToken, createJwtIdentity, parseExpiresIn, userIdOf } from '../../lib/identity/jwt';
import { jwtOptionsSchema } from '../../lib/identity/jwt-options';
import type { WxIdentity } from '../../lib/identity/types';
import type { ResolvedOptions } from '../../lib/options';
import { MemoryStore } from '../../lib/store';
import { validateOptions } from '../../lib/validate';
import { WechatClient } from '../../lib/wechat/client';
import { captureLogger } from '../helpers/logs';

const SECRET = 'jwt-secret-jwt-secret-jwt-secret-0123';
const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);
const alice: WxIdentity = { openid: 'o-alice', unionid: 'u-alice', action: 'mobile', appid: 'wxmobile00000001' };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const RSA = {
  privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};

function setup(jwt: ResolvedOptions['jwt'], start = T0) {
  const clock = { now: start };
  let n = 0;
  const ctx: WxContext = {
    http: new WechatClient(),
    store: new MemoryStore(),
    now: () => clock.now,
    randomHex: (bytes) => (++n).toString(16).padStart(bytes * 2, '0'),
    logger: captureLogger(),
  };
  return { clock, storage: createJwtIdentity(ctx, { storage: 'jwt', jwt }) };
}

const bearer = (token: string): Request => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as Request;
const noRes = {} as never;

function config(fn: () => unknown): WxAuthError {
  try {
    fn();
  } catch (error) {
    return error as WxAuthError;
  }
  throw new Error('expected a config_error');
}

describe('JWT identity storage', () => {
  test('login signs a token whose claims carry openid, unionid, appid, action; sub is the openid without a user', async () => {
    const { storage } = setup({ secret: SECRET, issuer: 'shop', audience: 'shop-app' });
    const { token } = await storage.login({} as Request, noRes, alice);
    expect(decodeProtectedHeader(token!)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token!);
    expect(claims).toMatchObject({ sub: 'o-alice', openid: 'o-alice', unionid: 'u-alice', appid: 'wxmobile00000001', action: 'mobile', iss: 'shop', aud: 'shop-app' });
    expect(claims.exp! - claims.iat!).toBe(2 * 3600);
    expect(claims.iat).toBe(T0 / 1000);
    expect(typeof claims.jti).toBe('string');
  });

  test("sub is the id of resolveUser's user, and read gives that id back as req.wxauth.user", async () => {
    const { storage } = setup({ secret: SECRET });
    const { token } = await storage.login({} as Request, noRes, { ...alice, user: { id: 42, name: 'Alice', email: 'a@example.com' } });
    expect(decodeJwt(token!)).toMatchObject({ sub: '42', uid: 42 });
    expect(decodeJwt(token!)).not.toHaveProperty('email'); // the token carries the id, never the whole record
    expect(await storage.read(bearer(token!))).toEqual({ ...alice, user: { id: 42 } });
  });

  test('read accepts a valid Bearer token and returns the identity', async () => {
    const { storage } = setup({ secret: SECRET, issuer: 'shop', audience: 'shop-app' });
    const { token } = await storage.login({} as Request, noRes, alice);
    expect(await storage.read(bearer(token!))).toEqual(alice);
    expect(await storage.read({ headers: { authorization: `bearer ${token}` } } as unknown as Request)).toEqual(alice);
  });

  test('no Authorization header, another scheme, or a non-JWS string is no identity', async () => {
    const { storage } = setup({ secret: SECRET });
    const { token } = await storage.login({} as Request, noRes, alice);
    expect(await storage.read({ headers: {} } as Request)).toBeUndefined();
    expect(await storage.read({ headers: { authorization: `Basic ${token}` } } as unknown as Request)).toBeUndefined();
    expect(await storage.read(bearer('not-a-token'))).toBeUndefined();
  });

  test('a tampered payload (another openid) is refused', async () => {
    const { storage } = setup({ secret: SECRET });
    const { token } = await storage.login({} as Request, noRes, alice);
    const [h, p, s] = token!.split('.');
    const payload = { ...JSON.parse(Buffer.from(p!, 'base64url').toString()), openid: 'o-mallory', sub: 'o-mallory' };
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await storage.read(bearer(forged))).toBeUndefined();
  });

  test('a token signed with another secret is refused', async () => {
    const { storage } = setup({ secret: SECRET });
    const { storage: other } = setup({ secret: 'another-secret-another-secret-0123456' });
    const { token } = await other.login({} as Request, noRes, alice);
    expect(await storage.read(bearer(token!))).toBeUndefined();
  });

  test('an expired token is refused (expiresIn from the injected clock)', async () => {
    const { storage, clock } = setup({ secret: SECRET, expiresIn: '30m' });
    const { token } = await storage.login({} as Request, noRes, alice);
    clock.now = T0 + 29 * 60_000;
    expect(await storage.read(bearer(token!))).toEqual(alice);
    clock.now = T0 + 30 * 60_000 + 1000;
    expect(await storage.read(bearer(token!))).toBeUndefined();
  });

  test('a token for another audience or from another issuer is refused', async () => {
    const { storage } = setup({ secret: SECRET, issuer: 'shop', audience: 'shop-app' });
    const { storage: otherAudience } = setup({ secret: SECRET, issuer: 'shop', audience: 'admin-app' });
    const { storage: otherIssuer } = setup({ secret: SECRET, issuer: 'evil', audience: 'shop-app' });
    const { storage: noClaims } = setup({ secret: SECRET });
    for (const signer of [otherAudience, otherIssuer, noClaims]) {
      const { token } = await signer.login({} as Request, noRes, alice);
      expect(await storage.read(bearer(token!))).toBeUndefined();
    }
  });

  test('an alg "none" token is refused', async () => {
    const { storage } = setup({ secret: SECRET });
    const unsecured = new UnsecuredJWT({ openid: 'o-alice', appid: alice.appid, action: 'mobile' })
      .setSubject('o-alice')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 3600)
      .setJti('x')
      .encode();
    expect(unsecured.endsWith('.')).toBe(true);
    expect(await storage.read(bearer(unsecured))).toBeUndefined();
  });

  test('an HS256 token "signed" with the RS256 public key (algorithm confusion) is refused', async () => {
    const { storage } = setup({ ...RSA, alg: 'RS256' });
    const claims = { openid: 'o-mallory', appid: alice.appid, action: 'mobile' };
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('o-mallory')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 3600)
      .setJti('x')
      .sign(new TextEncoder().encode(RSA.publicKey));
    expect(await storage.read(bearer(forged))).toBeUndefined();
    // and hand-made, in case a library would refuse to sign with a PEM as HMAC key
    const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ ...claims, sub: 'o-mallory', iat: T0 / 1000, exp: T0 / 1000 + 3600, jti: 'y' })).toString('base64url');
    const mac = createHmac('sha256', RSA.publicKey).update(`${head}.${body}`).digest('base64url');
    expect(await storage.read(bearer(`${head}.${body}.${mac}`))).toBeUndefined();
  });

  test('RS256: tokens signed with the private key verify with the public key', async () => {
    const { storage } = setup({ ...RSA, issuer: 'shop' });
    const { token } = await storage.login({} as Request, noRes, alice);
    expect(decodeProtectedHeader(token!).alg).toBe('RS256');
    expect(await storage.read(bearer(token!))).toEqual(alice);
  });

  test('ES256 and EdDSA key pairs work too', async () => {
    for (const [alg, pair] of [
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
      ['EdDSA', generateKeyPairSync('ed25519')],
    ] as const) {
      const { storage } = setup({
        alg,
        privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      const { token } = await storage.login({} as Request, noRes, alice);
      expect(await storage.read(bearer(token!))).toEqual(alice);
    }
  });

  test('logout puts the token on a deny-list until it expires; other tokens keep working', async () => {
    const { storage } = setup({ secret: SECRET });
    const { token: first } = await storage.login({} as Request, noRes, alice);
    const { token: second } = await storage.login({} as Request, noRes, alice);
    await storage.logout(bearer(first!), noRes);
    expect(await storage.read(bearer(first!))).toBeUndefined();
    expect(await storage.read(bearer(second!))).toEqual(alice);
  });

  test('logout without a (valid) token is a no-op', async () => {
    const { storage } = setup({ secret: SECRET });
    await expect(storage.logout({ headers: {} } as Request, noRes)).resolves.toBeUndefined();
    await expect(storage.logout(bearer('a.b.c'), noRes)).resolves.toBeUndefined();
  });
});

describe('JWT options', () => {
  test('a key pair that does not match is refused at construction, naming jwt.publicKey', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const error = config(() => setup({ privateKey: RSA.privateKey, publicKey: other }));
    expect(error.code).toBe('config_error');
    expect(error.field).toBe('jwt.publicKey');
  });

  test('a malformed PEM is refused without echoing it', () => {
    const error = config(() => setup({ privateKey: '-----BEGIN PRIVATE KEY-----\nsecretstuff\n-----END PRIVATE KEY-----', publicKey: RSA.publicKey }));
    expect(error.field).toBe('jwt.privateKey');
    expect(error.message).not.toContain('secretstuff');
  });

  test('an RSA key under 2048 bits is refused for RS256', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const error = config(() =>
      setup({
        privateKey: weak.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKey: weak.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }),
    );
    expect(error.field).toBe('jwt.privateKey');
  });

  test('an EC key for alg RS256 is refused', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const error = config(() =>
      setup({
        alg: 'RS256',
        privateKey: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKey: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }),
    );
    expect(error.field).toBe('jwt.privateKey');
  });

  test.each([
    ['RS256 with only a secret', { alg: 'RS256', secret: SECRET }, 'jwt.privateKey'],
    ['HS256 with only a key pair', { alg: 'HS256', ...RSA }, 'jwt.secret'],
    ['both a secret and a key pair without alg', { secret: SECRET, ...RSA }, 'jwt.alg'],
    ['half a key pair', { privateKey: RSA.privateKey }, 'jwt.secret'],
    ['a short secret', { secret: 'short' }, 'jwt.secret'],
    ['alg none', { secret: SECRET, alg: 'none' }, 'jwt.alg'],
    ['expiresIn "tomorrow"', { secret: SECRET, expiresIn: 'tomorrow' }, 'jwt.expiresIn'],
  ])('schema refuses %s, naming the field', (_name, jwt, field) => {
    const error = config(() => validateOptions(jwtOptionsSchema, jwt, 'jwt'));
    expect(error.code).toBe('config_error');
    expect(error.field).toBe(field);
    expect(error.message).not.toContain(SECRET);
  });

  test('expiresIn: numbers are seconds, strings take s/m/h/d/w', () => {
    expect(parseExpiresIn(90)).toBe(90);
    expect(parseExpiresIn('90')).toBe(90);
    expect(parseExpiresIn('15m')).toBe(900);
    expect(parseExpiresIn('2h')).toBe(7200);
    expect(parseExpiresIn('7d')).toBe(604800);
    expect(parseExpiresIn('1w')).toBe(604800);
  });

  test("userIdOf: a user's id, or the user itself when it is a string or number", () => {
    expect(userIdOf({ id: 7 })).toBe(7);
    expect(userIdOf({ id: 'u7' })).toBe('u7');
    expect(userIdOf('u7')).toBe('u7');
    expect(userIdOf(7)).toBe(7);
    expect(userIdOf({ name: 'no id' })).toBeUndefined();
    expect(userIdOf(null)).toBeUndefined();
  });

  test('bearerToken only takes a compact JWS from "Authorization: Bearer"', () => {
    expect(bearerToken(bearer('a.b.c'))).toBe('a.b.c');
    expect(bearerToken(bearer('a.b'))).toBeUndefined();
    expect(bearerToken(bearer(`a.b.${'c'.repeat(9000)}`))).toBeUndefined();
    expect(bearerToken({ headers: { authorization: 'Token a.b.c' } } as unknown as Request)).toBeUndefined();
  });
});
