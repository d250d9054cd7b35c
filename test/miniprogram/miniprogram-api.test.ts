/**
 * Mini-program login and decrypt (`/wx/miniprogram/*`) through `wxauth()`, with the simulator's
 * jscode2session over HTTP and sessions in real Redis.
 */
import { createCipheriv, createHash } from 'node:crypto';
import request from 'supertest';
import { MiniSessions } from '../../lib/miniprogram/session';
import type { WxContext } from '../../lib/context';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { captureLogger } from '../helpers/logs';
import { WechatClient } from '../../lib/wechat/client';
import { clock, JWT_SECRET, MINI, MOBILE, SECRETS, startApp, startSimulator, T0, type AppHandle, type SimHandle } from '../native/harness';

let sim: SimHandle;
let redis: TestRedis;
let api: AppHandle;
const validation = (field: string, code = 'missing_field') => ({ message: 'Validation failed', error: { field, code } });

beforeAll(async () => {
  sim = await startSimulator();
  redis = await createTestRedis('miniprogram-api');
});
afterAll(async () => {
  await sim.close();
  await redis.close();
});
beforeEach(() => {
  clock.now = T0;
  sim.sim.reset();
  api = startApp(sim, redis);
});

/** What WeChat does for `wx.getUserInfo` / `getPhoneNumber`: AES-128-CBC with the session_key. */
function encryptFor(sessionKey: string, data: unknown, iv = Buffer.alloc(16, 7)): { encryptedData: string; iv: string } {
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv);
  return { encryptedData: Buffer.concat([cipher.update(JSON.stringify(data)), cipher.final()]).toString('base64'), iv: iv.toString('base64') };
}

async function login(user = 'alice') {
  const code = sim.sim.issueCode(MINI.appid, { user });
  return request(api.app).post('/wx/miniprogram/login').send({ code });
}

const userData = (user = 'alice', appid = MINI.appid) => ({
  openId: sim.sim.openidOf(MINI.appid, user),
  nickName: 'Band',
  unionId: sim.sim.unionidOf(user),
  watermark: { appid, timestamp: 1717234215 },
});

describe('POST /wx/miniprogram/login', () => {
  test('200 {sessionId, unionId, createdAt}; the session_key is nowhere in the answer', async () => {
    const res = await login();
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'sessionId', 'unionId']);
    expect(res.body.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.unionId).toBe(sim.sim.unionidOf('alice'));
    expect(res.body.createdAt).toBe('2024-06-01T09:30:15Z');
    const sessionKey = sim.sim.sessionKeyOf(MINI.appid, 'alice');
    expect(JSON.stringify(res.headers) + res.text).not.toContain(sessionKey);
  });

  test('empty code → 422; body not JSON → 400', async () => {
    const empty = await request(api.app).post('/wx/miniprogram/login').send({ code: '' });
    expect(empty.status).toBe(422);
    expect(empty.body).toEqual(validation('code'));
    const broken = await request(api.app).post('/wx/miniprogram/login').set('Content-Type', 'application/json').send('{');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ message: 'Problems parsing JSON' });
  });

  test('jscode2session is never retried, not even on errcode -1 (the code is single-use)', async () => {
    sim.sim.faults.inject('/sns/jscode2session', { errcode: -1 });
    const res = await login();
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'auth_error', errcode: -1 });
    expect(sim.sim.calls('/sns/jscode2session')).toBe(1);
  });

  test('a replayed code → 400 with a message', async () => {
    const code = sim.sim.issueCode(MINI.appid, { user: 'alice' });
    expect((await request(api.app).post('/wx/miniprogram/login').send({ code })).status).toBe(200);
    const replay = await request(api.app).post('/wx/miniprogram/login').send({ code });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('auth_error');
  });

  test('resolveUser runs with action "miniprogram"', async () => {
    const resolveUser = jest.fn(() => ({ id: 1 }));
    api = startApp(sim, redis, { resolveUser });
    await login();
    expect(resolveUser).toHaveBeenCalledWith({ openid: sim.sim.openidOf(MINI.appid, 'alice'), unionid: sim.sim.unionidOf('alice'), appid: MINI.appid, action: 'miniprogram' });
  });

  test('JWT mode: the answer carries a token; a valid X-Session-Id without a code gets a fresh one', async () => {
    api = startApp(sim, redis, { storage: 'jwt', jwt: { secret: JWT_SECRET } });
    const res = await login();
    expect(res.body.token).toEqual(expect.any(String));
    const again = await request(api.app).post('/wx/miniprogram/login').set('X-Session-Id', res.body.sessionId).send({});
    expect(again.status).toBe(200);
    expect(again.body.sessionId).toBe(res.body.sessionId);
    expect(again.body.token).toEqual(expect.any(String));
    expect(sim.sim.calls('/sns/jscode2session')).toBe(1);
  });
});

describe('POST /wx/miniprogram/decrypt', () => {
  test('decrypts the user data of the X-Session-Id session after checking the watermark', async () => {
    const { body } = await login();
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData());
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send(payload);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(userData());
  });

  test("WeChat's published example decrypts through the route for a session holding the published session_key", async () => {
    const demoAppid = 'wx4f4bc4dec97d474b';
    clock.now = 1477314187_000 + 60_000; // a minute after the example's watermark: fresh
    api = startApp(sim, redis, { miniprogram: { appid: demoAppid, secret: 'demo-secret' } });
    const ctx: WxContext = { http: new WechatClient(), store: redis.store, now: () => clock.now, randomHex: () => '', logger: captureLogger() };
    await new MiniSessions(ctx).start('d'.repeat(32), demoAppid, { openid: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE', sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==' });
    const res = await request(api.app)
      .post('/wx/miniprogram/decrypt')
      .set('X-Session-Id', 'd'.repeat(32))
      .send({
        iv: 'r7BXXKkLb8qrSNn05n0qiA==',
        encryptedData:
          'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==',
      });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ nickName: 'Band', openId: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE', unionId: 'ocMvos6NjeKLIBqg5Mr9QjxrP1FA', watermark: { appid: demoAppid } });
  });

  test('data older than 10 minutes (its watermark.timestamp) → 400 decrypt_error', async () => {
    const { body } = await login();
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData());
    clock.now = T0 + 11 * 60_000;
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send(payload);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('decrypt_error');
  });

  test('miniprogram.maxDataAgeSeconds widens the window; a bad value fails at start-up naming it', async () => {
    api = startApp(sim, redis, { miniprogram: { ...MINI, maxDataAgeSeconds: 3600 } });
    const { body } = await login();
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData());
    clock.now = T0 + 30 * 60_000;
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send(payload);
    expect(res.status).toBe(200);
    expect(() => startApp(sim, redis, { miniprogram: { ...MINI, maxDataAgeSeconds: 0 } })).toThrow(
      expect.objectContaining({ code: 'config_error', field: 'miniprogram.maxDataAgeSeconds' }),
    );
  });

  test('a first block rewritten through the iv to drop the openId → 400 decrypt_error', async () => {
    const { body } = await login();
    const sessionKey = sim.sim.sessionKeyOf(MINI.appid, 'alice');
    const iv = Buffer.alloc(16, 7);
    const payload = encryptFor(sessionKey, userData(), iv);
    // The caller picks the iv, so it picks the first 16 plaintext bytes: `{"openId":"oXXXX` becomes
    // `{"openId":0,"":"`, which still parses — with an openId that is no longer a string.
    const plain = Buffer.from(JSON.stringify(userData()).slice(0, 16), 'utf8');
    const forged = Buffer.from('{"openId":0,"":"', 'utf8');
    const tamperedIv = Buffer.from(iv.map((b, i) => b ^ plain[i]! ^ forged[i]!)).toString('base64');
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send({ ...payload, iv: tamperedIv });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('decrypt_error');
    expect(JSON.stringify(res.body)).not.toContain('Band');
  });

  test('data whose watermark names another mini program → 400 decrypt_error', async () => {
    const { body } = await login();
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData('alice', 'wxother000000001'));
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send(payload);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('decrypt_error');
  });

  test("another user's data (encrypted with their session_key) → 400 decrypt_error", async () => {
    const alice = await login('alice');
    await login('bob');
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'bob'), userData('bob'));
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', alice.body.sessionId).send(payload);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('decrypt_error');
  });

  test('after a new wx.login the latest session_key decrypts (WeChat rotated it)', async () => {
    const first = await login();
    await login(); // rotates alice's session_key in the simulator
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData());
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', first.body.sessionId).send(payload);
    expect(res.status).toBe(200);
  });

  test('rawData + signature: checked against sha1(rawData + session_key)', async () => {
    const { body } = await login();
    const sessionKey = sim.sim.sessionKeyOf(MINI.appid, 'alice');
    const rawData = JSON.stringify({ nickName: 'Band', gender: 1 });
    const signature = createHash('sha1').update(rawData + sessionKey).digest('hex');
    const payload = { ...encryptFor(sessionKey, userData()), rawData };
    const ok = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send({ ...payload, signature });
    expect(ok.status).toBe(200);
    const bad = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send({ ...payload, rawData: rawData.replace('Band', 'Bond'), signature });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('sign_error');
    const unsigned = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send(payload);
    expect(unsigned.status).toBe(422);
    expect(unsigned.body).toEqual(validation('signature'));
  });

  test('missing encryptedData or iv → 422 naming it', async () => {
    const { body } = await login();
    const noData = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send({ iv: 'AAAAAAAAAAAAAAAAAAAAAA==' });
    expect(noData.body).toEqual(validation('encryptedData'));
    const noIv = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send({ encryptedData: 'AAAA' });
    expect(noIv.body).toEqual(validation('iv'));
  });

  test('no session, an unknown session, or an expired one (30 days) → 401', async () => {
    const { body } = await login();
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData());
    expect((await request(api.app).post('/wx/miniprogram/decrypt').send(payload)).status).toBe(401);
    expect((await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', 'f'.repeat(32)).send(payload)).status).toBe(401);
    clock.now = T0 + 30 * 24 * 60 * 60 * 1000 + 1000;
    const expired = await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send(payload);
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('login_required');
  });

  test('JWT mode: the Bearer token of a mini-program login proves the session; a mobile-app token does not', async () => {
    api = startApp(sim, redis, { storage: 'jwt', jwt: { secret: JWT_SECRET } });
    const mini = await login();
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData());
    const res = await request(api.app).post('/wx/miniprogram/decrypt').set('Authorization', `Bearer ${mini.body.token}`).send(payload);
    expect(res.status).toBe(200);
    expect(res.body.nickName).toBe('Band');
    const code = sim.sim.issueCode(MOBILE.appid, { user: 'alice' });
    const mobile = await request(api.app).post('/wx/oauth/login').set({ 'X-Client-Type': 'ios', 'X-App-Id': MOBILE.appid }).send({ code });
    const refused = await request(api.app).post('/wx/miniprogram/decrypt').set('Authorization', `Bearer ${mobile.body.token}`).send(payload);
    expect(refused.status).toBe(401);
  });

  test('DELETE /wx/miniprogram/session logs out: the session and its session_key are gone', async () => {
    const { body } = await login();
    const payload = encryptFor(sim.sim.sessionKeyOf(MINI.appid, 'alice'), userData());
    expect((await request(api.app).delete('/wx/miniprogram/session').set('X-Session-Id', body.sessionId)).status).toBe(204);
    expect((await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', body.sessionId).send(payload)).status).toBe(401);
    expect(await redis.store.get(`mini:skey:${MINI.appid}:${sim.sim.openidOf(MINI.appid, 'alice')}`)).toBeUndefined();
    expect((await request(api.app).delete('/wx/miniprogram/session')).status).toBe(422);
  });

  test('the session_key and the secret appear in no response and no log line', async () => {
    const responses = [await login()];
    const sessionKey = sim.sim.sessionKeyOf(MINI.appid, 'alice');
    const payload = encryptFor(sessionKey, userData());
    responses.push(await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', responses[0]!.body.sessionId).send(payload));
    responses.push(await request(api.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', responses[0]!.body.sessionId).send({ ...payload, iv: 'AAAAAAAAAAAAAAAAAAAAAA==' }));
    sim.sim.faults.inject('/sns/jscode2session', { errcode: 40029 });
    responses.push(await login());
    const text = responses.map((r) => JSON.stringify(r.headers) + r.text).join('\n') + api.logger.text();
    for (const secret of [sessionKey, ...SECRETS]) expect(text).not.toContain(secret);
  });
});
