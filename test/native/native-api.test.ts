/**
 * The native-app API contract (`/wx/oauth/*`), response by response: our app through `wxauth()`,
 * the WeChat simulator over HTTP, sessions in real Redis.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { wxauth, type ResolveUserInput } from '../../lib';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { clock, MOBILE, MOBILE2, SECRETS, startApp, startSimulator, storedRecord, storedTtl, T0, WEB, type AppHandle, type SimHandle } from './harness';

let sim: SimHandle;
let redis: TestRedis;
let api: AppHandle;

const ANDROID = { 'X-Client-Type': 'android', 'X-Client-Version': '1.2.0', 'X-App-Id': MOBILE.appid };
const WEB_CLIENT = { 'X-Client-Type': 'web', 'X-Client-Version': '2.0.0', 'X-App-Id': WEB.appid, 'X-User-Ip': '203.0.113.7', 'X-User-Agent': 'Mozilla/5.0' };
const validation = (field: string, code = 'missing_field') => ({ message: 'Validation failed', error: { field, code } });
const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  sim = await startSimulator();
  redis = await createTestRedis('native-api');
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

async function login(headers: Record<string, string> = ANDROID, user = 'alice', appid = MOBILE.appid) {
  const code = sim.sim.issueCode(appid, { user });
  return request(api.app).post('/wx/oauth/login').set(headers).send({ code });
}

describe('POST /wx/oauth/login', () => {
  test('200 {sessionId, unionId, createdAt}: exactly those fields, createdAt ISO 8601 UTC', async () => {
    const res = await login();
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'sessionId', 'unionId']);
    expect(res.body.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.unionId).toBe(sim.sim.unionidOf('alice'));
    expect(res.body.createdAt).toBe('2024-06-01T09:30:15Z');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('sessionId is md5(<access token>:<refresh token>:<openid>); the tokens stay in the store for 30 days', async () => {
    const res = await login();
    const record = await storedRecord(redis, 'native:session', res.body.sessionId);
    expect(record).toMatchObject({ appid: MOBILE.appid, openid: sim.sim.openidOf(MOBILE.appid, 'alice'), action: 'mobile' });
    const expected = createHash('md5').update(`${record!.accessToken}:${record!.refreshToken}:${record!.openid}`).digest('hex');
    expect(res.body.sessionId).toBe(expected);
    expect(JSON.stringify(res.body)).not.toContain(String(record!.accessToken));
    expect(JSON.stringify(res.body)).not.toContain(String(record!.refreshToken));
    const ttl = await storedTtl(redis, 'native:session', res.body.sessionId);
    expect(ttl).toBeGreaterThan(30 * 86400 - 60);
    expect(ttl).toBeLessThanOrEqual(30 * 86400);
  });

  test('the client headers are kept with the session', async () => {
    const res = await login(WEB_CLIENT, 'alice', WEB.appid);
    expect(res.status).toBe(200);
    const record = await storedRecord(redis, 'native:session', res.body.sessionId);
    expect(record!.client).toEqual({ type: 'web', version: '2.0.0', userIp: '203.0.113.7', userAgent: 'Mozilla/5.0' });
  });

  test('a body that is not JSON → 400 {"message":"Problems parsing JSON"}', async () => {
    const res = await request(api.app).post('/wx/oauth/login').set(ANDROID).set('Content-Type', 'application/json').send('{"code": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'Problems parsing JSON' });
  });

  test('a non-JSON body sent as text/plain is refused the same way', async () => {
    const res = await request(api.app).post('/wx/oauth/login').set(ANDROID).set('Content-Type', 'text/plain').send('code=abc');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'Problems parsing JSON' });
  });

  test('a JSON body that is not an object → 400', async () => {
    const res = await request(api.app).post('/wx/oauth/login').set(ANDROID).send([{ code: 'x' }]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'Body should be a JSON object' });
  });

  test.each([
    ['an empty code', { code: '' }],
    ['a blank code', { code: '   ' }],
    ['no code', {}],
    ['a code that is not a string', { code: 12345 }],
  ])('%s → 422 missing_field', async (_name, body) => {
    const res = await request(api.app).post('/wx/oauth/login').set(ANDROID).send(body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(validation('code'));
  });

  test('no body at all → 422 missing_field', async () => {
    const res = await request(api.app).post('/wx/oauth/login').set(ANDROID);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(validation('code'));
  });

  test.each([
    ['X-App-Id missing', { 'X-App-Id': '' }, validation('X-App-Id')],
    ['X-App-Id unknown', { 'X-App-Id': 'wxunknown0000001' }, validation('X-App-Id', 'invalid')],
    ['X-Client-Type missing', { 'X-Client-Type': '' }, validation('X-Client-Type')],
    ['X-Client-Type unknown', { 'X-Client-Type': 'windows' }, validation('X-Client-Type', 'invalid')],
  ])('%s → 422 naming the header', async (_name, patch, body) => {
    const headers: Record<string, string> = { ...ANDROID, ...patch };
    for (const [k, v] of Object.entries(headers)) if (!v) delete headers[k];
    const res = await login(headers);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(body);
  });

  test.each([
    ['X-User-Ip missing', { 'X-User-Ip': '' }, validation('X-User-Ip')],
    ['X-User-Ip not an IP address', { 'X-User-Ip': 'localhost' }, validation('X-User-Ip', 'invalid')],
    ['X-User-Agent missing', { 'X-User-Agent': '' }, validation('X-User-Agent')],
  ])('web client with %s → 422', async (_name, patch, body) => {
    const headers: Record<string, string> = { ...WEB_CLIENT, ...patch };
    for (const [k, v] of Object.entries(headers)) if (!v) delete headers[k];
    const res = await login(headers, 'alice', WEB.appid);
    expect(res.status).toBe(422);
    expect(res.body).toEqual(body);
  });

  test('X-App-Id selects the app: the second mobile app logs in with its own secret and openid', async () => {
    const res = await login({ ...ANDROID, 'X-App-Id': MOBILE2.appid }, 'alice', MOBILE2.appid);
    expect(res.status).toBe(200);
    const record = await storedRecord(redis, 'native:session', res.body.sessionId);
    expect(record).toMatchObject({ appid: MOBILE2.appid, openid: sim.sim.openidOf(MOBILE2.appid, 'alice') });
    expect(res.body.unionId).toBe(sim.sim.unionidOf('alice')); // same person across apps
  });

  test('a native client cannot name the website app; a web client can (code forwarded by /wx/oauth/callback)', async () => {
    const ios = await login({ 'X-Client-Type': 'ios', 'X-App-Id': WEB.appid }, 'alice', WEB.appid);
    expect(ios.status).toBe(422);
    expect(ios.body).toEqual(validation('X-App-Id', 'invalid'));
    const web = await login(WEB_CLIENT, 'alice', WEB.appid);
    expect(web.status).toBe(200);
    expect((await storedRecord(redis, 'native:session', web.body.sessionId))!.action).toBe('qrcode');
  });

  test('a code of another app → 400 with a message, nothing from inside', async () => {
    const res = await login(ANDROID, 'alice', MOBILE2.appid);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.any(String), error: { code: 'auth_error', errcode: 40029 } });
  });

  test('a replayed code → 400 (WeChat: code been used), and the code is sent to WeChat once per request', async () => {
    const code = sim.sim.issueCode(MOBILE.appid, { user: 'alice' });
    expect((await request(api.app).post('/wx/oauth/login').set(ANDROID).send({ code })).status).toBe(200);
    const replay = await request(api.app).post('/wx/oauth/login').set(ANDROID).send({ code });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toEqual({ code: 'auth_error', errcode: 40163 });
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(2);
  });

  test('WeChat busy (-1) on the code exchange → 400, never retried (the code is single-use)', async () => {
    sim.sim.faults.inject('/sns/oauth2/access_token', { errcode: -1 });
    const res = await login();
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'auth_error', errcode: -1 });
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
  });

  test('WeChat unreachable (HTML 502) → 400 with a message', async () => {
    sim.sim.faults.inject('/sns/oauth2/access_token', { status: 502 });
    const res = await login();
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('network_error');
  });

  test('a wrong secret → 400 that never shows the secret or the upstream URL; logged as a configuration error', async () => {
    api = startApp(sim, redis, { mobile: [{ ...MOBILE, secret: 'wrong-secret-do-not-leak' }] });
    const res = await login();
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('config_error');
    const text = JSON.stringify(res.body) + JSON.stringify(res.headers) + api.logger.text();
    expect(text).not.toContain('wrong-secret-do-not-leak');
    expect(text).not.toContain(sim.url);
    expect(api.logger.text()).toContain('config_error');
  });

  test('a snapshot-page user is refused (403) and no session is stored', async () => {
    const resolveUser = jest.fn();
    api = startApp(sim, redis, { resolveUser });
    const res = await login(ANDROID, 'ghost');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('snapshot_user');
    expect(resolveUser).not.toHaveBeenCalled();
    expect(sim.sim.calls('/sns/userinfo')).toBe(0);
  });

  test('resolveUser gets openid, unionid, appid, action "mobile" and the profile', async () => {
    const calls: ResolveUserInput[] = [];
    api = startApp(sim, redis, { resolveUser: (input) => (calls.push(input), { id: 7 }) });
    expect((await login()).status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      openid: sim.sim.openidOf(MOBILE.appid, 'alice'),
      unionid: sim.sim.unionidOf('alice'),
      appid: MOBILE.appid,
      action: 'mobile',
      userinfo: expect.objectContaining({ nickname: 'Alice', openid: sim.sim.openidOf(MOBILE.appid, 'alice') }),
    });
  });

  test('resolveUser throwing → 500 without details, and no session stored', async () => {
    api = startApp(sim, redis, { resolveUser: () => Promise.reject(new Error('db down')) });
    const res = await login();
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ message: 'Internal error' });
    expect(api.logger.text()).toContain('db down');
  });
});

describe('skipping the code round-trip', () => {
  test('a valid X-Session-Id without a code logs in again: same session, no code exchange', async () => {
    const first = await login();
    const again = await request(api.app).post('/wx/oauth/login').set({ ...ANDROID, 'X-Session-Id': first.body.sessionId }).send({});
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
    expect(sim.sim.calls('/sns/oauth2/refresh_token')).toBe(0);
  });

  test('once the access token has expired, the stored refresh token renews it first', async () => {
    const first = await login();
    clock.now = T0 + 3 * 60 * 60 * 1000;
    const again = await request(api.app).post('/wx/oauth/login').set({ ...ANDROID, 'X-Session-Id': first.body.sessionId }).send({});
    expect(again.status).toBe(200);
    expect(again.body.sessionId).toBe(first.body.sessionId);
    expect(sim.sim.calls('/sns/oauth2/refresh_token')).toBe(1);
  });

  test('never on a bare openid: an openid in the body or in X-Session-Id → 422', async () => {
    await login();
    const openid = sim.sim.openidOf(MOBILE.appid, 'alice');
    const inBody = await request(api.app).post('/wx/oauth/login').set(ANDROID).send({ openid, unionid: sim.sim.unionidOf('alice') });
    expect(inBody.status).toBe(422);
    expect(inBody.body).toEqual(validation('code'));
    const asSession = await request(api.app).post('/wx/oauth/login').set({ ...ANDROID, 'X-Session-Id': openid }).send({});
    expect(asSession.status).toBe(422);
  });

  test('a session of another app does not log in to this one', async () => {
    const first = await login();
    const res = await request(api.app).post('/wx/oauth/login').set({ ...ANDROID, 'X-App-Id': MOBILE2.appid, 'X-Session-Id': first.body.sessionId }).send({});
    expect(res.status).toBe(422);
  });
});

describe('PUT /wx/oauth/refresh', () => {
  const refresh = (sessionId: string | undefined, appid = MOBILE.appid) => {
    const r = request(api.app).put('/wx/oauth/refresh').set('X-App-Id', appid);
    return sessionId === undefined ? r : r.set('X-Session-Id', sessionId);
  };

  test('204: new access token from the stored refresh token, profile read again, session updated in place', async () => {
    const first = await login();
    const before = await storedRecord(redis, 'native:session', first.body.sessionId);
    clock.now = T0 + 60_000;
    const res = await refresh(first.body.sessionId);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const after = await storedRecord(redis, 'native:session', first.body.sessionId);
    expect(after!.accessToken).not.toBe(before!.accessToken);
    expect(after!.refreshedAt).toBe(T0 + 60_000);
    expect(after!.createdAt).toBe(before!.createdAt);
    expect(sim.sim.calls('/sns/oauth2/refresh_token')).toBe(1);
    expect(sim.sim.calls('/sns/userinfo')).toBe(2);
  });

  test('works after the stored access token expired (2 h), where the old token is refused by WeChat', async () => {
    const first = await login();
    clock.now = T0 + 2 * 60 * 60 * 1000 + 1000;
    const res = await refresh(first.body.sessionId);
    expect(res.status).toBe(204);
    const after = await storedRecord(redis, 'native:session', first.body.sessionId);
    expect(after!.accessExpiresAt).toBe(clock.now + 7200 * 1000);
    expect(after!.userinfo).toMatchObject({ openid: sim.sim.openidOf(MOBILE.appid, 'alice') });
  });

  test('the session ends 30 days after login (the refresh token’s life), refresh or not', async () => {
    const first = await login();
    clock.now = T0 + 29 * DAY;
    expect((await refresh(first.body.sessionId)).status).toBe(204);
    expect((await storedTtl(redis, 'native:session', first.body.sessionId)) <= 86400).toBe(true);
    clock.now = T0 + 30 * DAY + 1000;
    const res = await refresh(first.body.sessionId);
    expect(res.status).toBe(400);
    const skip = await request(api.app).post('/wx/oauth/login').set({ ...ANDROID, 'X-Session-Id': first.body.sessionId }).send({});
    expect(skip.status).toBe(422);
  });

  test('an unknown session → 400; a missing X-Session-Id → 422', async () => {
    const unknown = await refresh('0'.repeat(32));
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toEqual(expect.any(String));
    const missing = await refresh(undefined);
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual(validation('X-Session-Id'));
  });

  test('X-App-Id missing → 422; another app’s id → 400', async () => {
    const first = await login();
    const noApp = await request(api.app).put('/wx/oauth/refresh').set('X-Session-Id', first.body.sessionId);
    expect(noApp.status).toBe(422);
    expect(noApp.body).toEqual(validation('X-App-Id'));
    expect((await refresh(first.body.sessionId, MOBILE2.appid)).status).toBe(400);
  });

  test('WeChat refusing the refresh token (42002) → 400, and the dead session is deleted', async () => {
    const first = await login();
    sim.sim.faults.inject('/sns/oauth2/refresh_token', { errcode: 42002 });
    const res = await refresh(first.body.sessionId);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'access_error', errcode: 42002 });
    expect(await storedRecord(redis, 'native:session', first.body.sessionId)).toBeUndefined();
  });

  test('WeChat unreachable on refresh → 400, the session is kept for a later try', async () => {
    const first = await login();
    sim.sim.faults.inject('/sns/oauth2/refresh_token', { status: 500 });
    expect((await refresh(first.body.sessionId)).status).toBe(400);
    expect(await storedRecord(redis, 'native:session', first.body.sessionId)).toBeDefined();
    expect((await refresh(first.body.sessionId)).status).toBe(204);
  });
});

describe('DELETE /wx/oauth/session', () => {
  test('ends the session: 204, then refresh and the code-less login fail', async () => {
    const first = await login();
    const res = await request(api.app).delete('/wx/oauth/session').set({ 'X-App-Id': MOBILE.appid, 'X-Session-Id': first.body.sessionId });
    expect(res.status).toBe(204);
    expect(await storedRecord(redis, 'native:session', first.body.sessionId)).toBeUndefined();
    expect((await request(api.app).put('/wx/oauth/refresh').set({ 'X-App-Id': MOBILE.appid, 'X-Session-Id': first.body.sessionId })).status).toBe(400);
  });

  test('another app cannot end it; an unknown session is a 204 all the same', async () => {
    const first = await login();
    expect((await request(api.app).delete('/wx/oauth/session').set({ 'X-App-Id': MOBILE2.appid, 'X-Session-Id': first.body.sessionId })).status).toBe(204);
    expect(await storedRecord(redis, 'native:session', first.body.sessionId)).toBeDefined();
    expect((await request(api.app).delete('/wx/oauth/session').set({ 'X-App-Id': MOBILE.appid, 'X-Session-Id': 'e'.repeat(32) })).status).toBe(204);
  });
});

describe('GET /wx/oauth/callback', () => {
  test('302 to webCallbackUrl with code and state appended', async () => {
    const res = await request(api.app).get('/wx/oauth/callback?code=CODE123&state=abcXYZ');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://www.example.com/wx/callback?from=api&code=CODE123&state=abcXYZ');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  test('a refusal (no code) forwards the state alone', async () => {
    const res = await request(api.app).get('/wx/oauth/callback?state=abc');
    expect(res.headers.location).toBe('https://www.example.com/wx/callback?from=api&state=abc');
  });

  test('only ever to the configured URL, whatever the request says', async () => {
    const res = await request(api.app)
      .get('/wx/oauth/callback?code=C&state=S&redirect_uri=https%3A%2F%2Fevil.com&next=%2F%2Fevil.com&webCallbackUrl=https://evil.com')
      .set('Host', 'evil.com')
      .set('X-Forwarded-Host', 'evil.com');
    expect(new URL(res.headers.location!).origin).toBe('https://www.example.com');
    expect(res.headers.location).not.toContain('evil');
  });

  test('repeated or oversized parameters → 400', async () => {
    expect((await request(api.app).get('/wx/oauth/callback?code=a&code=b&state=s')).status).toBe(400);
    expect((await request(api.app).get(`/wx/oauth/callback?code=c&state=${'s'.repeat(200)}`)).status).toBe(400);
  });

  test('without webCallbackUrl → 404 with a message saying what to configure', async () => {
    api = startApp(sim, redis, { webCallbackUrl: undefined });
    const res = await request(api.app).get('/wx/oauth/callback?code=C&state=S');
    expect(res.status).toBe(404);
    expect(res.body.message).toContain('webCallbackUrl');
  });
});

describe('identity and secrets', () => {
  test('JWT mode: login answers a token too; it opens requireLogin routes as Authorization: Bearer', async () => {
    api = startApp(sim, redis, { storage: 'jwt', jwt: { secret: 'jwt-secret-for-native-tests-0123456789' }, resolveUser: () => ({ id: 'user-1' }) });
    const res = await login();
    expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'sessionId', 'token', 'unionId']);
    const me = await request(api.app).get('/api/me').set('Authorization', `Bearer ${res.body.token}`);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ openid: sim.sim.openidOf(MOBILE.appid, 'alice'), unionid: sim.sim.unionidOf('alice'), appid: MOBILE.appid, action: 'mobile', user: { id: 'user-1' } });
    // A fresh token without a code, from the session id.
    const again = await request(api.app).post('/wx/oauth/login').set({ ...ANDROID, 'X-Session-Id': res.body.sessionId }).send({});
    expect(again.body.token).toEqual(expect.any(String));
  });

  test('session mode with express-session mounted: the login also logs the session in (for web views)', async () => {
    const logger = captureLogger();
    const router = wxauth({ mobile: MOBILE, qrcode: WEB, endpoints: { api: sim.url, open: sim.url }, store: redis.store, now: () => clock.now, logger });
    const app = express();
    app.use(session({ secret: 'session-secret-for-native-tests', resave: false, saveUninitialized: false }));
    app.use(router);
    app.get('/api/me', router.requireLogin({ action: 'qrcode' }), (req, res) => res.json(req.wxauth));
    const agent = request.agent(app);
    const res = await agent.post('/wx/oauth/login').set(ANDROID).send({ code: sim.sim.issueCode(MOBILE.appid, { user: 'alice' }) });
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/connect\.sid=/);
    const me = await agent.get('/api/me').set('Accept', 'application/json');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ openid: sim.sim.openidOf(MOBILE.appid, 'alice'), action: 'mobile' });
  });

  test('cookie mode: the login also sets the signed cookie (for web views with a cookie jar)', async () => {
    api = startApp(sim, redis, { storage: 'cookie', cookie: { secret: 'cookie-secret-for-native-tests-01234567' } });
    const res = await login();
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/^wxauth=/);
    expect(res.body.token).toBeUndefined();
  });

  test('a cross-site browser post (login CSRF with an attacker\'s code) → 403; same-origin and no-Origin posts pass', async () => {
    const form = await request(api.app)
      .post('/wx/oauth/login')
      .set({ ...ANDROID, Origin: 'https://evil.example' })
      .set('Content-Type', 'text/plain')
      .send(`{"code":"${sim.sim.issueCode(MOBILE.appid, { user: 'mallory' })}","x":"="}`);
    expect(form.status).toBe(403);
    expect(form.body).toEqual({ message: 'Cross-site request refused', error: { code: 'args_error' } });
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(0);
    const mini = await request(api.app).post('/wx/miniprogram/login').set('Origin', 'https://evil.example').send({ code: 'x' });
    expect(mini.status).toBe(403);
    const sameOrigin = await request(api.app)
      .post('/wx/oauth/login')
      .set({ ...ANDROID, Host: 'api.example.com', Origin: 'http://api.example.com' })
      .send({ code: sim.sim.issueCode(MOBILE.appid, { user: 'alice' }) });
    expect(sameOrigin.status).toBe(200);
  });

  test('no secret, code or OAuth token in any response or log line', async () => {
    const code = sim.sim.issueCode(MOBILE.appid, { user: 'alice' });
    const responses = [await request(api.app).post('/wx/oauth/login').set(ANDROID).send({ code })];
    responses.push(await request(api.app).post('/wx/oauth/login').set(ANDROID).send({ code })); // replay: an error
    const record = await storedRecord(redis, 'native:session', responses[0]!.body.sessionId);
    clock.now = T0 + 3 * 60 * 60 * 1000;
    responses.push(await request(api.app).put('/wx/oauth/refresh').set({ 'X-App-Id': MOBILE.appid, 'X-Session-Id': responses[0]!.body.sessionId }));
    sim.sim.faults.inject('/sns/oauth2/refresh_token', { errcode: 40030 });
    responses.push(await request(api.app).put('/wx/oauth/refresh').set({ 'X-App-Id': MOBILE.appid, 'X-Session-Id': responses[0]!.body.sessionId }));
    const text = responses.map((r) => JSON.stringify(r.headers) + r.text).join('\n') + api.logger.text();
    for (const secret of [...SECRETS, code, String(record!.accessToken), String(record!.refreshToken)]) expect(text).not.toContain(secret);
  });
});
