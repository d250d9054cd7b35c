/**
 * JWT mode over HTTP: a token from a real (simulated) login opens `requireLogin` routes; every
 * kind of bad token gets the 401 JSON API clients get. Deny-list in real Redis.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import request from 'supertest';
import type { Request } from 'express';
import { createJwtIdentity } from '../../lib/identity/jwt';
import type { JwtOptions } from '../../lib';
import type { WxContext } from '../../lib/context';
import { WechatClient } from '../../lib/wechat/client';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { clock, MOBILE, startApp, startSimulator, T0, type AppHandle, type SimHandle } from '../native/harness';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const JWT: JwtOptions = {
  alg: 'RS256',
  privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  issuer: 'https://shop.example.com',
  audience: 'shop-app',
  expiresIn: '1h',
};

let sim: SimHandle;
let redis: TestRedis;
let api: AppHandle;
let token: string;
let openid: string;

beforeAll(async () => {
  sim = await startSimulator();
  redis = await createTestRedis('jwt-http');
});
afterAll(async () => {
  await sim.close();
  await redis.close();
});
beforeEach(async () => {
  clock.now = T0;
  api = startApp(sim, redis, { storage: 'jwt', jwt: JWT });
  const code = sim.sim.issueCode(MOBILE.appid, { user: 'alice' });
  const res = await request(api.app).post('/wx/oauth/login').set({ 'X-Client-Type': 'ios', 'X-App-Id': MOBILE.appid }).send({ code });
  token = res.body.token;
  openid = sim.sim.openidOf(MOBILE.appid, 'alice');
});

const me = (authorization?: string) => {
  const r = request(api.app).get('/api/me').set('Accept', 'application/json');
  return authorization === undefined ? r : r.set('Authorization', authorization);
};

/** A token signed by another wxauth configuration (same claims shape). */
async function tokenFrom(jwt: JwtOptions): Promise<string> {
  const ctx: WxContext = { http: new WechatClient(), store: redis.store, now: () => clock.now, randomHex: () => 'abcdef', logger: captureLogger() };
  const { token: t } = await createJwtIdentity(ctx, { storage: 'jwt', jwt }).login({} as Request, {} as never, { openid, appid: MOBILE.appid, action: 'mobile' });
  return t!;
}

function expect401(res: request.Response): void {
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('WXAUTH_REQUIRED');
}

test('a valid Bearer token passes requireLogin and sets req.wxauth', async () => {
  const res = await me(`Bearer ${token}`);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ openid, appid: MOBILE.appid, action: 'mobile' });
});

test('no token → 401 JSON', async () => {
  expect401(await me());
});

test('a tampered token (payload edited, signature kept) → 401', async () => {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, openid: 'o-mallory', sub: 'o-mallory' })).toString('base64url')}.${s}`;
  expect401(await me(`Bearer ${forged}`));
  const flipped = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  expect401(await me(`Bearer ${flipped}`));
});

test('an expired token → 401', async () => {
  clock.now = T0 + 60 * 60 * 1000 + 1000;
  expect401(await me(`Bearer ${token}`));
});

test('a token for another audience → 401', async () => {
  expect401(await me(`Bearer ${await tokenFrom({ ...JWT, audience: 'admin-app' })}`));
});

test('a token from another issuer → 401', async () => {
  expect401(await me(`Bearer ${await tokenFrom({ ...JWT, issuer: 'https://evil.example' })}`));
});

test('a token signed with another key pair → 401', async () => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  expect401(
    await me(
      `Bearer ${await tokenFrom({
        ...JWT,
        privateKey: other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKey: other.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      })}`,
    ),
  );
});

test('an alg "none" token → 401', async () => {
  const now = Math.floor(clock.now / 1000);
  const none = new UnsecuredJWT({ openid, appid: MOBILE.appid, action: 'mobile' })
    .setSubject(openid)
    .setIssuer(JWT.issuer!)
    .setAudience(JWT.audience!)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti('n')
    .encode();
  expect401(await me(`Bearer ${none}`));
});

test('an HS256 token against the RS256 configuration (public key used as HMAC secret) → 401', async () => {
  const now = Math.floor(clock.now / 1000);
  const swapped = await new SignJWT({ openid, appid: MOBILE.appid, action: 'mobile' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(openid)
    .setIssuer(JWT.issuer!)
    .setAudience(JWT.audience!)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti('s')
    .sign(new TextEncoder().encode(JWT.publicKey));
  expect401(await me(`Bearer ${swapped}`));
});

test('after logout the token is refused (deny-list in Redis) until it would have expired', async () => {
  expect((await request(api.app).post('/api/logout').set('Authorization', `Bearer ${token}`)).status).toBe(204);
  expect401(await me(`Bearer ${token}`));
  const keys: string[] = [];
  for await (const batch of redis.client.scanIterator({ MATCH: `${redis.prefix}jwt:deny:*` })) keys.push(...([] as string[]).concat(batch));
  expect(keys).toHaveLength(1);
  const ttl = await redis.client.ttl(keys[0]!);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(3601);
});
