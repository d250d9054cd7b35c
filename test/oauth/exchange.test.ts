import { defaultRandomHex, type WxContext } from '../../lib/context';
import { exchangeCode, fetchUserinfo } from '../../lib/oauth/exchange';
import { mobileLogin, pickMobileApp } from '../../lib/oauth/mobile';
import { MemoryStore } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';
import { captureLogger } from '../helpers/logs';
import { MOBILE, MOBILE2, MP, startSimulator, type SimHandle } from './harness';

let sim: SimHandle;
let ctx: WxContext;
beforeAll(async () => {
  sim = await startSimulator();
  ctx = { http: new WechatClient({ endpoints: { api: sim.url, open: sim.url }, backoffMs: 1 }), store: new MemoryStore(), now: Date.now, randomHex: defaultRandomHex, logger: captureLogger() };
});
afterEach(() => sim.sim.reset());
afterAll(() => sim.close());

describe('exchangeCode', () => {
  test('a code becomes tokens, openid and unionid; a second use is auth_error (40163)', async () => {
    const code = sim.sim.issueCode(MP.appid, { user: 'erin', scope: 'snsapi_base' });
    const { access, isSnapshotUser } = await exchangeCode(ctx, MP, code);
    expect(access).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'erin'), unionid: sim.sim.unionidOf('erin'), scope: 'snsapi_base', expires_in: 7200 });
    expect(access.access_token).toEqual(expect.any(String));
    expect(isSnapshotUser).toBe(false);
    await expect(exchangeCode(ctx, MP, code)).rejects.toMatchObject({ code: 'auth_error', errcode: 40163 });
  });

  test('errcode -1 is not retried: a code is single use', async () => {
    sim.sim.faults.inject('/sns/oauth2/access_token', { errcode: -1, times: 5 });
    await expect(exchangeCode(ctx, MP, sim.sim.issueCode(MP.appid))).rejects.toMatchObject({ code: 'auth_error', errcode: -1 });
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(1);
  });

  test('a wrong secret is a config_error whose message and fields hold no secret', async () => {
    const error = await exchangeCode(ctx, { appid: MP.appid, secret: 'wrong-secret-value' }, sim.sim.issueCode(MP.appid)).catch((e) => e);
    expect(error).toMatchObject({ code: 'config_error', status: 500 });
    expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/wrong-secret-value|mp-secret/);
  });

  test('an answer without openid is auth_error', async () => {
    sim.sim.faults.inject('/sns/oauth2/access_token', { status: 200, body: { access_token: 'x', expires_in: 7200 } });
    await expect(exchangeCode(ctx, MP, 'any-code')).rejects.toMatchObject({ code: 'auth_error' });
  });

  test('is_snapshotuser: 1 is reported', async () => {
    const { isSnapshotUser } = await exchangeCode(ctx, MP, sim.sim.issueCode(MP.appid, { snapshotUser: true }));
    expect(isSnapshotUser).toBe(true);
  });
});

describe('fetchUserinfo', () => {
  test('reads the profile; errcode/errmsg are not part of it', async () => {
    const { access } = await exchangeCode(ctx, MP, sim.sim.issueCode(MP.appid, { user: 'frank', scope: 'snsapi_userinfo' }));
    const profile = await fetchUserinfo(ctx, access);
    expect(profile).toMatchObject({ openid: access.openid, nickname: 'Frank', unionid: sim.sim.unionidOf('frank') });
    expect(profile).not.toHaveProperty('errcode');
  });

  test('errcode -1 is retried (a read with a reusable token)', async () => {
    const { access } = await exchangeCode(ctx, MP, sim.sim.issueCode(MP.appid, { scope: 'snsapi_userinfo' }));
    sim.sim.faults.inject('/sns/userinfo', { errcode: -1 });
    await expect(fetchUserinfo(ctx, access)).resolves.toMatchObject({ openid: access.openid });
    expect(sim.sim.calls('/sns/userinfo')).toBe(2);
  });

  test('a profile for another openid is refused (userinfo_error)', async () => {
    const { access } = await exchangeCode(ctx, MP, sim.sim.issueCode(MP.appid, { scope: 'snsapi_userinfo' }));
    sim.sim.faults.inject('/sns/userinfo', { status: 200, body: { openid: 'someone-else', nickname: 'x' } });
    await expect(fetchUserinfo(ctx, access)).rejects.toMatchObject({ code: 'userinfo_error' });
  });

  test('an unknown token is access_error', async () => {
    await expect(fetchUserinfo(ctx, { access_token: 'not-a-token', openid: 'o' })).rejects.toMatchObject({ code: 'access_error' });
  });
});

describe('mobile', () => {
  test('pickMobileApp chooses by appid and needs one when several are configured', () => {
    expect(pickMobileApp({ mobile: [MOBILE, MOBILE2] }, MOBILE2.appid)).toBe(MOBILE2);
    expect(pickMobileApp({ mobile: MOBILE }, undefined)).toBe(MOBILE);
    expect(() => pickMobileApp({ mobile: [MOBILE, MOBILE2] }, undefined)).toThrow(expect.objectContaining({ code: 'args_error' }));
    expect(() => pickMobileApp({ mobile: [MOBILE] }, MP.appid)).toThrow(expect.objectContaining({ code: 'args_error' }));
    expect(() => pickMobileApp({}, MOBILE.appid)).toThrow(expect.objectContaining({ code: 'args_error' }));
  });

  test('mobileLogin exchanges and reads the profile', async () => {
    const result = await mobileLogin(ctx, MOBILE, sim.sim.issueCode(MOBILE.appid, { user: 'gina' }));
    expect(result.access.openid).toBe(sim.sim.openidOf(MOBILE.appid, 'gina'));
    expect(result.userinfo?.nickname).toBe('Gina');
  });
});
