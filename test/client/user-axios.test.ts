import axios, { type AxiosInstance } from 'axios';
import { WxAuthError } from '../../lib/errors';
import { WechatClient } from '../../lib/wechat/client';
import type { SuccessContext } from '../../lib/hooks';
import { Browser, MP, startApp, startSimulator, WECHAT_UA, type SimHandle } from '../oauth/harness';

/**
 * The `axios` option with an instance of the user's own: `axios.create()` with axios's defaults
 * (answers parsed to objects, 4xx/5xx rejected, no timeout), a custom transformResponse, bytes
 * from an interceptor — logins and tokens work against the simulator over HTTP.
 */

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

const INSTANCES: Array<[string, () => AxiosInstance]> = [
  ['axios.create() with its defaults', () => axios.create()],
  ['a custom transformResponse that parses JSON itself', () => axios.create({ transformResponse: [(data: string) => (data.startsWith('{') ? JSON.parse(data) : data)] })],
  ["responseType: 'arraybuffer' and an interceptor that hands back a Uint8Array", () => {
    const instance = axios.create({ responseType: 'arraybuffer' });
    instance.interceptors.response.use((res) => ({ ...res, data: new Uint8Array(res.data as ArrayBuffer) }));
    return instance;
  }],
];

describe.each(INSTANCES)('wxauth({ axios: %s })', (_name, make) => {
  test('an mp login (code exchange and profile) and the shared access token work', async () => {
    const h = await startApp(sim, { axios: make() });
    try {
      const seen: SuccessContext[] = [];
      h.router.successHandler((_req, _res, ctx) => void seen.push(ctx));
      const browser = new Browser(h.url, sim.url, WECHAT_UA);
      const consent = await browser.visit('/start');
      const done = await browser.submitSimForm(consent.res, consent.url, { decision: 'approve', user: 'bob' });
      expect(done.url).toBe(`${h.url}/welcome`);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ scope: 'snsapi_userinfo', userinfo: { nickname: 'Bob', openid: sim.sim.openidOf(MP.appid, 'bob') } });
      expect((await browser.get('/me')).body).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'bob') });
      const token = await h.router.client.getAccessToken(MP.appid);
      expect(typeof token).toBe('string');
      expect(token).not.toContain('object');
      // The simulator accepts it: the ticket is fetched with that token.
      const ticket = await h.router.client.getJsapiTicket(MP.appid);
      expect(ticket).toMatch(/\w{16,}/);
    } finally {
      await h.close();
    }
  });
});

describe('a user instance that lacks our settings', () => {
  test('an HTTP 500 rejected by axios\'s default validateStatus is network_error "WeChat answered HTTP 500"', async () => {
    sim.sim.faults.inject('/cgi-bin/stable_token', { status: 500 });
    const http = new WechatClient({ endpoints: { api: sim.url }, axios: axios.create() });
    const error = await http.apiPost('/cgi-bin/stable_token', {}, { grant_type: 'client_credential', appid: MP.appid, secret: MP.secret }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WxAuthError);
    expect(error).toMatchObject({ code: 'network_error', message: 'WeChat answered HTTP 500', status: 502 });
  });

  test('an instance without a timeout gets timeoutMs (a stalled WeChat is a 504, not a hang)', async () => {
    sim.sim.faults.inject('/cgi-bin/stable_token', { delayMs: 3000 });
    const http = new WechatClient({ endpoints: { api: sim.url }, axios: axios.create(), timeoutMs: 150 });
    const error = await http.apiPost('/cgi-bin/stable_token', {}, { grant_type: 'client_credential', appid: MP.appid, secret: MP.secret }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network_error', status: 504 });
    sim.sim.faults.clear();
  });

  test('an errcode answer parsed by axios still becomes the errcode error', async () => {
    const http = new WechatClient({ endpoints: { api: sim.url }, axios: axios.create() });
    const error = await http
      .apiGet('/sns/oauth2/access_token', { appid: MP.appid, secret: MP.secret, code: 'no-such-code', grant_type: 'authorization_code' }, { errorCode: 'auth_error' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'auth_error', errcode: 40029 });
  });
});
