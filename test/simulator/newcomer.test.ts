/**
 * The simulator where a newcomer would otherwise learn the wrong thing: mp login outside WeChat is
 * refused (as WeChat does), codes for native apps and mini programs from a page, error pages with
 * an English gloss and a way back, the cashier's merchant name and its paid state, the favicon.
 */
import request from 'supertest';
import { createSimulator } from '../../lib/simulator';
import { isWxAuthError } from '../../lib/errors';
import { MINI, MOBILE, MP, QR, WECHAT_UA, exchange, queryOf, startSim, type Harness } from './helpers';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import * as native from '../native/harness';

const DESKTOP_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const CALLBACK = 'http://app.test/cb';
const authorize = (scope = 'snsapi_base') => ({ appid: MP.appid, redirect_uri: CALLBACK, response_type: 'code', scope, state: 's1' });
const decode = (html: string) => html.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

let h: Harness;
beforeAll(async () => {
  h = await startSim();
});
afterAll(async () => {
  await h.close();
});

describe('official-account login outside the WeChat client', () => {
  test.each([
    ['desktop Chrome', DESKTOP_UA],
    ['no User-Agent', ''],
  ])('%s: "请在微信客户端打开链接" with an English gloss and what to do; no code, no redirect', async (_name, ua) => {
    for (const scope of ['snsapi_base', 'snsapi_userinfo']) {
      const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', ua).query(authorize(scope));
      expect(res.status).toBe(403);
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toContain('请在微信客户端打开链接');
      expect(res.text).toContain('Open this link in the WeChat client');
      expect(res.text).toContain('MicroMessenger');
      expect(res.text).toContain('allowMpOutsideWechat: true');
      expect(res.text).toContain('--allow-mp-outside-wechat');
      expect(res.text).toContain('id="home" href="/"');
      expect(res.text).not.toContain('id="consent"');
    }
  });

  test('the WeChat browser still logs in; the website QR page works on a desktop', async () => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorize());
    expect(res.status).toBe(302);
    expect((await exchange(h, MP, queryOf(res.headers.location).code!)).openid).toBe(h.sim.openidOf(MP.appid, 'alice'));
    const qr = await h.http.get('/connect/qrconnect').set('User-Agent', DESKTOP_UA).query({ appid: QR.appid, redirect_uri: CALLBACK, response_type: 'code', scope: 'snsapi_login', state: 's' });
    expect(qr.status).toBe(200);
  });

  test('allowMpOutsideWechat: true accepts any browser', async () => {
    const sim = createSimulator({ apps: [MP], allowMpOutsideWechat: true });
    const base = await request(sim.app).get('/connect/oauth2/authorize').set('User-Agent', DESKTOP_UA).query(authorize());
    expect(base.status).toBe(302);
    expect(queryOf(base.headers.location).code).toMatch(/\S/);
    const consent = await request(sim.app).get('/connect/oauth2/authorize').set('User-Agent', DESKTOP_UA).query(authorize('snsapi_userinfo'));
    expect(consent.text).toContain('id="consent"');
  });

  test('allowMpOutsideWechat must be a boolean', () => {
    let error: unknown;
    try {
      createSimulator({ apps: [MP], allowMpOutsideWechat: 'yes' as unknown as boolean });
    } catch (e) {
      error = e;
    }
    expect(isWxAuthError(error) && error.code === 'config_error' && error.field).toBe('simulator.allowMpOutsideWechat');
  });
});

describe('error pages: WeChat\'s text, an English gloss, a way back; the favicon', () => {
  test('a redirect_uri outside the registered domains', async () => {
    const sim = createSimulator({ apps: [{ ...MP, redirectDomains: ['shop.test'] }] });
    const res = await request(sim.app).get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorize());
    expect(res.status).toBe(400);
    expect(res.text).toContain('redirect_uri 参数错误');
    expect(res.text).toMatch(/id="gloss">redirect_uri&#39;s host is not one of the app&#39;s registered domains/);
    expect(res.text).toContain('id="back"');
    expect(res.text).toContain('id="home" href="/"');
  });

  test('every simulator page carries an icon; /favicon.ico answers an SVG', async () => {
    for (const path of ['/', '/sim/codes']) expect((await h.http.get(path)).text).toContain('<link rel="icon" href="data:image/svg+xml,');
    const icon = await h.http.get('/favicon.ico');
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(String(icon.body ?? icon.text)).toContain('<svg');
  });
});

describe('GET /sim/codes: login codes for native apps and mini programs', () => {
  let redis: TestRedis;
  let sim: native.SimHandle;
  beforeAll(async () => {
    redis = await createTestRedis('simulator-codes-page');
    sim = await native.startSimulator();
  });
  afterAll(async () => {
    await sim.close();
    await redis.close();
  });

  test('the home page links to it; it offers only the mobile and mini-program apps, and GET issues nothing', async () => {
    expect((await h.http.get('/')).text).toContain('href="/sim/codes"');
    const page = await h.http.get('/sim/codes');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('<form id="issue" method="post" action="/sim/codes">');
    expect(page.text).toContain(`value="${MOBILE.appid}"`);
    expect(page.text).toContain(`value="${MINI.appid}"`);
    expect(page.text).not.toContain(`value="${MP.appid}"`);
    expect(page.text).not.toContain('id="code"');
  });

  /** POST the form; the page's code and curl line. */
  async function issue(appid: string, user: string) {
    const res = await request(sim.url).post('/sim/codes').type('form').send({ appid, user, app_url: 'http://localhost:3000' });
    expect(res.status).toBe(200);
    const code = /<code id="code">([^<]+)<\/code>/.exec(res.text)![1]!;
    const curl = decode(/<pre id="curl">([^<]+)<\/pre>/.exec(res.text)![1]!);
    return { code, curl };
  }

  /** Run the page's curl line against an app instead of localhost:3000. */
  function run(app: native.AppHandle['app'], curl: string) {
    const [, path] = /^curl -X POST http:\/\/localhost:3000(\S+)/.exec(curl)!;
    const headers = Object.fromEntries([...curl.matchAll(/-H '([^:]+): ([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
    const body = /-d '([^']+)'/.exec(curl)![1]!;
    return request(app).post(path!).set(headers).send(body);
  }

  test('a mini-program code and its curl line log the user in at /wx/miniprogram/login, once', async () => {
    const api = native.startApp(sim, redis);
    const { code, curl } = await issue(native.MINI.appid, 'dave');
    expect(curl).toBe(`curl -X POST http://localhost:3000/wx/miniprogram/login -H 'Content-Type: application/json' -d '{"code":"${code}"}'`);
    const res = await run(api.app, curl);
    expect(res.status).toBe(200);
    expect(res.body.sessionId).toMatch(/\S/);
    expect((await run(api.app, curl)).status).toBe(400); // single use
  });

  test('the code is for the user typed in the form', async () => {
    const { code } = await issue(native.MINI.appid, 'frank');
    const res = await request(sim.url).get('/sns/jscode2session').query({ appid: native.MINI.appid, secret: native.MINI.secret, js_code: code, grant_type: 'authorization_code' });
    expect(JSON.parse(res.text).openid).toBe(sim.sim.openidOf(native.MINI.appid, 'frank'));
  });

  test('a native-app code and its curl line log the user in at /wx/oauth/login (X-App-Id, X-Client-Type)', async () => {
    const api = native.startApp(sim, redis);
    const { curl } = await issue(native.MOBILE.appid, 'erin');
    expect(curl).toContain(`/wx/oauth/login -H 'X-App-Id: ${native.MOBILE.appid}' -H 'X-Client-Type: ios'`);
    const res = await run(api.app, curl);
    expect(res.status).toBe(200);
    expect(res.body.sessionId).toMatch(/\S/);
  });

  test('refuses an official-account appid or a bad user name, with no code', async () => {
    for (const body of [{ appid: MP.appid, user: 'alice' }, { appid: MOBILE.appid, user: 'a b<' }, {}]) {
      const res = await h.http.post('/sim/codes').type('form').send(body);
      expect(res.status).toBe(400);
      expect(res.text).toContain('id="error"');
      expect(res.text).not.toContain('id="code"');
    }
  });
});

describe('the v2 cashier', () => {
  const MCHID = '1900000109';
  const KEY = 'k'.repeat(32);
  async function prepay(sim: ReturnType<typeof createSimulator>, openid = 'o1') {
    const { signPay } = await import('../../lib/pay/sign');
    const { buildPayXml, parsePayXml } = await import('../../lib/pay/xml');
    const fields = { appid: MP.appid, mch_id: MCHID, nonce_str: 'n', body: 'Tea', out_trade_no: `T${Math.random().toString(36).slice(2, 10)}`, total_fee: '100', spbill_create_ip: '127.0.0.1', notify_url: 'http://127.0.0.1:9/n', trade_type: 'JSAPI', openid };
    const res = await request(sim.app).post('/pay/unifiedorder').type('text/xml').send(buildPayXml({ ...fields, sign: signPay(fields, KEY) }));
    return parsePayXml(res.text).prepay_id!;
  }

  test('shows the merchant name, else the app name — never the mch_id', async () => {
    const named = createSimulator({ apps: [MP], merchants: [{ mchid: MCHID, key: KEY, appid: MP.appid, name: 'Tea House' }] });
    const page = await request(named.app).get(named.pay.cashierPath(await prepay(named)));
    expect(page.text).toContain('<h1 id="merchant">Tea House</h1>');
    const unnamed = createSimulator({ apps: [{ ...MP, name: 'Tea Corner' }], merchants: [{ mchid: MCHID, key: KEY, appid: MP.appid }] });
    const fallback = await request(unnamed.app).get(unnamed.pay.cashierPath(await prepay(unnamed)));
    expect(fallback.text).toContain('<h1 id="merchant">Tea Corner</h1>');
    expect(fallback.text).not.toContain(`id="merchant">${MCHID}`);
  });

  test('a paid order links back to redirect_url instead of a disabled Pay button', async () => {
    const sim = createSimulator({ apps: [MP], merchants: [{ mchid: MCHID, key: KEY, appid: MP.appid }] });
    const prepayId = await prepay(sim);
    await sim.pay.payOrder(prepayId);
    const page = await request(sim.app).get(`/sim/pay/cashier?${new URLSearchParams({ prepay_id: prepayId, redirect_url: 'http://shop.test/orders/1' })}`);
    expect(page.text).toContain('<span id="state">SUCCESS</span>');
    expect(page.text).not.toContain('id="pay"');
    expect(page.text).toContain('<a id="back-to-shop" class="button" href="http://shop.test/orders/1">');
  });

  test('errors keep WeChat\'s text, add English and a way back', async () => {
    const sim = createSimulator({ apps: [MP], merchants: [{ mchid: MCHID, key: KEY, appid: MP.appid }] });
    const prepayId = await prepay(sim);
    await sim.pay.payOrder(prepayId);
    const again = await request(sim.app).post('/sim/pay/cashier').type('form').send({ prepay_id: prepayId });
    expect(again.status).toBe(409);
    expect(again.text).toContain('订单状态为SUCCESS');
    expect(again.text).toContain('The order is already paid.');
    expect(again.text).toContain('id="home" href="/"');
    const unknown = await request(sim.app).get('/sim/pay/cashier?prepay_id=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('订单不存在');
    expect(unknown.text).toContain('id="back"');
  });
});
