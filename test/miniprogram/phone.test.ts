/**
 * The phone number by code: `POST /wx/miniprogram/phone` and `router.client.getPhoneNumber`, with
 * the simulator's getuserphonenumber over HTTP (single use, 5 minutes, the paid quota) and
 * sessions and tokens in real Redis.
 */
import express from 'express';
import request from 'supertest';
import { wxauth, WxAuthError, type WxAuthOptions } from '../../lib';
import { phoneError, phoneNumberOf } from '../../lib/miniprogram/phone';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { captureLogger, type CapturedLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';

const MINI = { appid: 'wxmini0000000p01', secret: 'mini-secret-for-phone-tests-0' };
const OTHER_MINI = { appid: 'wxmini0000000p02', secret: 'other-mini-secret-for-phone-0' };
const MP = { appid: 'wxmp00000000p001', secret: 'mp-secret-for-phone-tests-000' };
const JWT_SECRET = 'jwt-secret-for-phone-tests-0123456789';
const PHONE = '/wxa/business/getuserphonenumber';
const clock = { now: Date.UTC(2026, 0, 5, 10, 0, 0) };

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: TestRedis;
let n = 0;

beforeAll(async () => {
  redis = await createTestRedis('miniprogram-phone');
  sim = createSimulator({
    apps: [
      { ...MINI, type: 'miniprogram' },
      { ...OTHER_MINI, type: 'miniprogram' },
      { ...MP, type: 'mp' },
    ],
    now: () => clock.now,
  });
  ({ url: simUrl, close: closeSim } = await sim.listen());
});
afterAll(async () => {
  await closeSim();
  await redis.close();
});
beforeEach(() => {
  sim.reset();
  clock.now = Date.UTC(2026, 0, 5, 10, 0, 0);
});

interface Api {
  app: express.Express;
  router: ReturnType<typeof wxauth>;
  logger: CapturedLogger;
}

/** A mini-program backend: the wxauth router alone, a fresh key prefix per app (a cold token cache). */
function startApp(options: Partial<WxAuthOptions> = {}): Api {
  const logger = captureLogger();
  const router = wxauth({
    miniprogram: MINI,
    endpoints: { open: simUrl, api: simUrl, pay: simUrl },
    store: redis.client,
    storePrefix: `${redis.prefix}${++n}:`,
    now: () => clock.now,
    logger,
    ...options,
  });
  const app = express();
  app.use(router);
  app.get('/api/me', router.requireLogin(), (req, res) => res.json(req.wxauth));
  return { app, router, logger };
}

async function login(api: Api, user = 'alice'): Promise<{ sessionId: string; token?: string }> {
  const res = await request(api.app).post('/wx/miniprogram/login').send({ code: sim.issueCode(MINI.appid, { user }) });
  expect(res.status).toBe(200);
  return res.body as { sessionId: string; token?: string };
}

const phoneOf = (api: Api, sessionId: string | undefined, body: unknown) => {
  const req = request(api.app).post('/wx/miniprogram/phone');
  if (sessionId) req.set('X-Session-Id', sessionId);
  return req.send(body as object);
};

describe('POST /wx/miniprogram/phone', () => {
  test('the logged-in user\'s phone code → 200 {phoneNumber, purePhoneNumber, countryCode}, countryCode as a string', async () => {
    const api = startApp();
    const { sessionId } = await login(api);
    const code = sim.issuePhoneCode({ appid: MINI.appid, openid: sim.openidOf(MINI.appid, 'alice'), phone: '13800138000' });
    const res = await phoneOf(api, sessionId, { code });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });
  });

  test('a number outside mainland China keeps its country code in phoneNumber', async () => {
    const api = startApp();
    const { sessionId } = await login(api);
    const code = sim.issuePhoneCode({ appid: MINI.appid, user: 'alice', phone: '2025550123', countryCode: '1' });
    expect((await phoneOf(api, sessionId, { code })).body).toEqual({ phoneNumber: '+12025550123', purePhoneNumber: '2025550123', countryCode: '1' });
  });

  test('without a login → 401 login_required, and WeChat is not asked', async () => {
    const api = startApp();
    const code = sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' });
    const none = await phoneOf(api, undefined, { code });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('login_required');
    const dead = await phoneOf(api, 'f'.repeat(32), { code });
    expect(dead.status).toBe(401);
    expect(sim.calls(PHONE)).toBe(0);
  });

  test('no code → 422 naming code; a 513-character code → 422 invalid', async () => {
    const api = startApp();
    const { sessionId } = await login(api);
    expect((await phoneOf(api, sessionId, {})).body).toEqual({ message: 'Validation failed', error: { field: 'code', code: 'missing_field' } });
    expect((await phoneOf(api, sessionId, { code: 'x'.repeat(513) })).body).toEqual({ message: 'Validation failed', error: { field: 'code', code: 'invalid' } });
    expect(sim.calls(PHONE)).toBe(0);
  });

  test('a code used twice: 200 then 400 phone_code_invalid with errcode 40029; the code is in no answer and no log line', async () => {
    const api = startApp();
    const { sessionId } = await login(api);
    const code = sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' });
    expect((await phoneOf(api, sessionId, { code })).status).toBe(200);
    const again = await phoneOf(api, sessionId, { code });
    expect(again.status).toBe(400);
    expect(again.body.error).toEqual({ code: 'phone_code_invalid', errcode: 40029 });
    expect(again.text).not.toContain(code);
    expect(api.logger.text()).not.toContain(code);
  });

  test('a code older than 5 minutes, or made for another mini program, is 40029 too', async () => {
    const api = startApp();
    const { sessionId } = await login(api);
    const old = sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' });
    clock.now += 5 * 60_000;
    expect((await phoneOf(api, sessionId, { code: old })).body.error).toEqual({ code: 'phone_code_invalid', errcode: 40029 });
    const foreign = sim.issuePhoneCode({ appid: OTHER_MINI.appid, user: 'alice' });
    expect((await phoneOf(api, sessionId, { code: foreign })).body.error).toEqual({ code: 'phone_code_invalid', errcode: 40029 });
  });

  test('the quota used up → 503 phone_quota_exhausted with errcode 1400001, and the code is not spent', async () => {
    const api = startApp();
    const { sessionId } = await login(api);
    sim.wxa.setPhoneQuota(MINI.appid, 1);
    expect((await phoneOf(api, sessionId, { code: sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' }) })).status).toBe(200);
    expect(sim.wxa.phoneQuota(MINI.appid)).toBe(0);
    const code = sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' });
    const res = await phoneOf(api, sessionId, { code });
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'phone_quota_exhausted', errcode: 1400001 });
    expect(api.logger.lines.filter((l) => l.startsWith('warn') && l.includes('1400001'))).toEqual([expect.stringContaining(MINI.appid)]);
    expect(api.logger.text()).not.toContain(code);
    sim.wxa.setPhoneQuota(MINI.appid, undefined); // more quota bought
    expect((await phoneOf(api, sessionId, { code })).status).toBe(200);
  });

  test('resolveUser runs again with the phone; in JWT mode the answer carries a fresh token for the bound account', async () => {
    const accounts = new Map<string, { id: number; phone?: string }>();
    const resolveUser = jest.fn(({ openid, phone }: { openid: string; phone?: { purePhoneNumber: string } }) => {
      const account = accounts.get(openid) ?? { id: accounts.size + 1 };
      if (phone) account.phone = phone.purePhoneNumber;
      accounts.set(openid, account);
      return account;
    });
    const api = startApp({ storage: 'jwt', jwt: { secret: JWT_SECRET }, resolveUser });
    const { sessionId } = await login(api);
    const openid = sim.openidOf(MINI.appid, 'alice');
    const res = await phoneOf(api, sessionId, { code: sim.issuePhoneCode({ appid: MINI.appid, openid, phone: '13900139000' }) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ purePhoneNumber: '13900139000', token: expect.any(String) });
    expect(resolveUser).toHaveBeenLastCalledWith({
      openid,
      unionid: sim.unionidOf('alice'),
      appid: MINI.appid,
      action: 'miniprogram',
      phone: { phoneNumber: '13900139000', purePhoneNumber: '13900139000', countryCode: '86' },
    });
    expect(accounts.get(openid)).toEqual({ id: 1, phone: '13900139000' });
    const me = await request(api.app).get('/api/me').set('Authorization', `Bearer ${res.body.token}`).set('Accept', 'application/json');
    expect(me.body).toMatchObject({ openid, action: 'miniprogram', user: { id: 1 } });
  });

  test('JWT mode: the Bearer token of a mini-program login is enough, without X-Session-Id', async () => {
    const api = startApp({ storage: 'jwt', jwt: { secret: JWT_SECRET } });
    const { token } = await login(api);
    const res = await request(api.app).post('/wx/miniprogram/phone').set('Authorization', `Bearer ${token}`).send({ code: sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' }) });
    expect(res.status).toBe(200);
    expect(res.body.token).toBeUndefined(); // no resolveUser: nothing about the login changed
  });

  test('an expired basic token (42001) is healed and the call made once more; "busy" (-1) is not resent (the code is single-use)', async () => {
    const api = startApp();
    const { sessionId } = await login(api);
    sim.faults.inject(PHONE, { errcode: 42001 });
    expect((await phoneOf(api, sessionId, { code: sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' }) })).status).toBe(200);
    expect(sim.calls(PHONE)).toBe(2);
    sim.faults.inject(PHONE, { errcode: -1 });
    const busy = await phoneOf(api, sessionId, { code: sim.issuePhoneCode({ appid: MINI.appid, user: 'alice' }) });
    expect(busy.status).toBe(400);
    expect(busy.body.error).toEqual({ code: 'wechat_error', errcode: -1 });
    expect(sim.calls(PHONE)).toBe(3);
  });
});

describe('router.client.getPhoneNumber', () => {
  test("defaults to the mini program's token, never the official account's", async () => {
    const { router } = startApp({ mp: MP, miniprogram: MINI, mobile: undefined });
    await expect(router.client.getPhoneNumber(sim.issuePhoneCode({ appid: MINI.appid, user: 'bob', phone: '13700137000' }))).resolves.toEqual({
      phoneNumber: '13700137000',
      purePhoneNumber: '13700137000',
      countryCode: '86',
    });
    expect(sim.tokenFetches(MINI.appid)).toBe(1);
    expect(sim.tokenFetches(MP.appid)).toBe(0);
  });

  test("an official account's token is refused by WeChat (48001): config_error", async () => {
    const { router } = startApp({ mp: MP });
    await expect(router.client.getPhoneNumber(sim.issuePhoneCode({ appid: MINI.appid, user: 'bob' }), MP.appid)).rejects.toMatchObject({ code: 'config_error', errcode: 48001 });
  });

  test('a phone number whose watermark names another app is refused (decrypt_error): here a token source that hands out the wrong app\'s token', async () => {
    const other = startApp({ miniprogram: OTHER_MINI });
    const wrongToken = await other.router.client.getAccessToken(OTHER_MINI.appid);
    const { router } = startApp({ getAccessToken: async () => wrongToken });
    const code = sim.issuePhoneCode({ appid: OTHER_MINI.appid, user: 'bob' });
    await expect(router.client.getPhoneNumber(code)).rejects.toMatchObject({ code: 'decrypt_error' });
  });

  test('an empty code is args_error before any call', async () => {
    const { router } = startApp();
    await expect(router.client.getPhoneNumber('  ')).rejects.toMatchObject({ code: 'args_error', field: 'code' });
    expect(sim.calls(PHONE)).toBe(0);
  });
});

describe('phoneNumberOf and phoneError (unit)', () => {
  const answer = (appid: string, countryCode: unknown = 86) => ({ errcode: 0, phone_info: { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode, watermark: { appid, timestamp: 1 } } });

  test('WeChat\'s documented answer, countryCode a number or a string, becomes the three fields', () => {
    expect(phoneNumberOf(answer(MINI.appid), MINI.appid)).toEqual({ phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });
    expect(phoneNumberOf(answer(MINI.appid, '86'), MINI.appid).countryCode).toBe('86');
  });

  test('no phone_info, no watermark or a foreign one are refused', () => {
    expect(() => phoneNumberOf({ errcode: 0 }, MINI.appid)).toThrow(expect.objectContaining({ code: 'wechat_error' }));
    expect(() => phoneNumberOf({ phone_info: { purePhoneNumber: '1' } }, MINI.appid)).toThrow(expect.objectContaining({ code: 'decrypt_error' }));
    expect(() => phoneNumberOf(answer(OTHER_MINI.appid), MINI.appid)).toThrow(expect.objectContaining({ code: 'decrypt_error' }));
  });

  test('40163 maps like 40029; other errcodes and non-WeChat errors pass through unchanged', () => {
    expect(phoneError(new WxAuthError('wechat_error', 'x', { errcode: 40163 }))).toMatchObject({ code: 'phone_code_invalid', errcode: 40163, status: 400 });
    const other = new WxAuthError('wechat_error', 'x', { errcode: 45011 });
    expect(phoneError(other)).toBe(other);
    const plain = new Error('boom');
    expect(phoneError(plain)).toBe(plain);
  });
});
