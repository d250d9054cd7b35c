import express from 'express';
import session from 'express-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import request from 'supertest';
import { createIdentityStorage, identityMiddleware } from '../../lib/identity';
import type { WxIdentity } from '../../lib/identity/types';
import { MemoryStore } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';
import type { WxContext } from '../../lib/context';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';

const alice: WxIdentity = { openid: 'o-alice', action: 'qrcode', appid: 'wxqr000000000001', user: { id: 7 } };
let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('identity-session');
});
afterAll(() => redis.close());

function ctx(): WxContext {
  return { http: new WechatClient(), store: new MemoryStore(), now: Date.now, randomHex: () => 'ab', logger: captureLogger() };
}

function app(store?: session.Store, mountSession = true) {
  const storage = createIdentityStorage(ctx(), {});
  const a = express();
  if (mountSession) a.use(session({ secret: 'session-secret', resave: false, saveUninitialized: false, ...(store ? { store } : {}) }));
  a.use(identityMiddleware(storage));
  a.get('/visit', (req, res) => {
    (req.session as unknown as { visited: boolean }).visited = true; // an anonymous session exists before login
    res.end();
  });
  a.post('/login', async (req, res, next) => {
    try {
      await storage.login(req, res, alice);
      res.json({ ok: true });
    } catch (error) {
      next(error);
    }
  });
  a.post('/logout', async (req, res) => {
    await storage.logout(req, res);
    res.end();
  });
  a.get('/me', (req, res) => res.json(req.wxauth ?? null));
  a.use((error: { code?: string; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: error.code, message: error.message });
  });
  return a;
}

const sid = (res: request.Response) => String(res.headers['set-cookie'] ?? '').match(/connect\.sid=([^;]+)/)?.[1];

describe.each([
  ['express-session memory store', () => undefined],
  ['connect-redis on real Redis', () => new ConnectRedisStore({ client: redis.client, prefix: `${redis.prefix}sess:` })],
])('storage "session" with %s', (_name, makeStore) => {
  test('login regenerates the session id (no fixation) and stores the identity', async () => {
    const agent = request.agent(app(makeStore()));
    const before = sid(await agent.get('/visit'));
    expect(before).toBeDefined();
    const after = sid(await agent.post('/login').expect(200));
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await agent.get('/me')).body).toEqual(alice);
  });

  test('the old (pre-login) session id does not carry the login', async () => {
    const a = app(makeStore());
    const agent = request.agent(a);
    const before = sid(await agent.get('/visit'));
    await agent.post('/login').expect(200);
    const res = await request(a).get('/me').set('Cookie', `connect.sid=${before}`);
    expect(res.body).toBeNull();
  });

  test('logout destroys the session', async () => {
    const a = app(makeStore());
    const agent = request.agent(a);
    const loginSid = sid(await agent.post('/login').expect(200));
    await agent.post('/logout').expect(200);
    expect((await agent.get('/me')).body).toBeNull();
    expect((await request(a).get('/me').set('Cookie', `connect.sid=${loginSid}`)).body).toBeNull();
  });
});

test('connect-redis keeps the identity in Redis under the session prefix', async () => {
  const agent = request.agent(app(new ConnectRedisStore({ client: redis.client, prefix: `${redis.prefix}sess2:` })));
  await agent.post('/login').expect(200);
  const keys = await redis.client.keys(`${redis.prefix}sess2:*`);
  expect(keys).toHaveLength(1);
  expect(JSON.parse((await redis.client.get(keys[0]!))!).wxauth).toEqual(alice);
});

test('without express-session, login fails with a config_error that says to mount it', async () => {
  const res = await request(app(undefined, false)).post('/login').expect(500);
  expect(res.body.error).toBe('config_error');
  expect(res.body.message).toMatch(/express-session/);
  expect((await request(app(undefined, false)).get('/me')).body).toBeNull();
});
