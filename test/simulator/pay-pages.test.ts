/**
 * The simulator's pages for people, over HTTP: the payee is a name (never the mch_id), a paid
 * order leads back instead of showing a dead button, errors keep WeChat's Chinese with an English
 * gloss and a way back, and every page carries the simulator's icon.
 */
import request from 'supertest';
import { signPay } from '../../lib/pay/sign';
import { buildPayXml, parsePayXml } from '../../lib/pay/xml';
import { createSimMerchantV3, createSimulator, type Simulator } from '../../lib/simulator';
import { WECHAT_UA } from './helpers';
import { APPID, MCHID, call, jsapiOrder, startReceiver, type MerchantKeys } from './pay-v3-client';

const KEY = 'k'.repeat(32);
const ICON = '<link rel="icon" href="data:image/svg+xml,';
const DEMO = '演示商户 (Demo merchant)';
const BACK = 'id="back" href="javascript:history.back()"';
const HOME = 'id="home" href="/"';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

let sim: Simulator;
let url: string;
let close: () => Promise<void>;
let merchant: MerchantKeys;
let receiver: Receiver;
let seq = 0;

beforeAll(async () => {
  const keys = createSimMerchantV3();
  // Neither the merchant nor its app has a name: the pages fall back to the demo name.
  sim = createSimulator({
    apps: [{ appid: APPID, secret: 'mp-secret', type: 'mp' }],
    merchants: [{ mchid: MCHID, key: KEY, appid: APPID, v3: keys.v3 }],
  });
  ({ url, close } = await sim.listen());
  merchant = { mchid: MCHID, serialNo: keys.serialNo, privateKey: keys.privateKey };
  receiver = await startReceiver();
});
afterAll(async () => {
  await sim.payV3.settled();
  await sim.pay.settled();
  await close();
  await receiver.close();
});

const http = () => request(url);

/** A v2 JSAPI order through unifiedorder: its prepay_id. */
async function v2Prepay(): Promise<string> {
  const fields = { appid: APPID, mch_id: MCHID, nonce_str: 'n', body: 'Tea', out_trade_no: `P${Date.now()}${++seq}`, total_fee: '100', spbill_create_ip: '127.0.0.1', notify_url: `${receiver.url}/v2`, trade_type: 'JSAPI', openid: sim.openidOf(APPID, 'alice') };
  const res = await http().post('/pay/unifiedorder').type('text/xml').send(buildPayXml({ ...fields, sign: signPay(fields, KEY) }));
  return parsePayXml(res.text).prepay_id!;
}

/** A v3 JSAPI order: its out_trade_no and prepay_id. */
async function v3Order(): Promise<{ no: string; prepayId: string }> {
  const no = `V${Date.now()}${++seq}`;
  const res = await call(url, merchant, 'POST', '/v3/pay/transactions/jsapi', jsapiOrder(no, `${receiver.url}/v3`, sim));
  expect(res.status).toBe(200);
  return { no, prepayId: String(res.json.prepay_id) };
}

describe('the payee on the cashier is a name, never the mch_id', () => {
  test('v2: without a merchant or app name, "演示商户 (Demo merchant)"', async () => {
    const page = await http().get(sim.pay.cashierPath(await v2Prepay()));
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<h1 id="merchant">${DEMO}</h1>`);
    expect(page.text).not.toContain(MCHID);
  });

  test('v3: without a merchant name, "演示商户 (Demo merchant)"; with one, that name', async () => {
    const { no } = await v3Order();
    const page = await http().get(sim.payV3.cashierPath(no));
    expect(page.text).toContain(`<h1 id="merchant">${DEMO}</h1>`);
    expect(page.text).not.toContain(MCHID);

    const keys = createSimMerchantV3();
    const named = createSimulator({ apps: [{ appid: APPID, secret: 's', type: 'mp' }], merchants: [{ mchid: MCHID, appid: APPID, name: 'Tea House', v3: keys.v3 }] });
    const server = await named.listen();
    try {
      const res = await call(server.url, { mchid: MCHID, serialNo: keys.serialNo, privateKey: keys.privateKey }, 'POST', '/v3/pay/transactions/jsapi', jsapiOrder('named0001', `${receiver.url}/v3`, named));
      expect(res.status).toBe(200);
      expect((await request(server.url).get(named.payV3.cashierPath('named0001'))).text).toContain('<h1 id="merchant">Tea House</h1>');
    } finally {
      await named.payV3.settled();
      await server.close();
    }
  });
});

describe('a paid order leads back, with no dead Pay button', () => {
  test('v3 cashier of a paid order: the link back to the shop (redirect_url), else the simulator home', async () => {
    const { no } = await v3Order();
    await sim.payV3.pay(no);
    const back = await http().get(sim.payV3.cashierPath(no, { redirectUrl: 'https://shop.example/orders/1' }));
    expect(back.text).toContain('<span id="state">SUCCESS</span>');
    expect(back.text).toContain('已支付 · This order is paid.');
    expect(back.text).not.toContain('id="pay"');
    expect(back.text).toContain(`<a id="back" class="button" href="https://shop.example/orders/1">Back to ${DEMO}</a>`);
    const home = await http().get(sim.payV3.cashierPath(no));
    expect(home.text).toContain('<a id="back" class="button" href="/">Simulator home</a>');
    expect(home.text).not.toContain('id="pay"');
  });

  test('v3 paid page after paying on the cashier without a redirect_url: the simulator home, not nothing', async () => {
    const { prepayId } = await v3Order();
    const res = await http().post('/sim/pay/v3/cashier').type('form').send({ prepay_id: prepayId });
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="paid"');
    expect(res.text).toContain('<a id="back" class="button" href="/">Simulator home</a>');
    expect(res.text).toContain(ICON);
  });

  test('v3 in the JSAPI overlay: a paid order offers Close, which tells the merchant page', async () => {
    const { no } = await v3Order();
    await sim.payV3.pay(no);
    const page = await http().get(`${sim.payV3.cashierPath(no)}&embed=1`);
    expect(page.text).toContain('id="close"');
    expect(page.text).toContain("postMessage({ wxsim: 'v3', result: 'cancel' }");
    expect(page.text).not.toContain('id="pay"');
  });

  test('v2 paid page after paying on the cashier without a redirect_url links the simulator home', async () => {
    const prepayId = await v2Prepay();
    const res = await http().post('/sim/pay/cashier').type('form').send({ prepay_id: prepayId });
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="paid"');
    expect(res.text).toContain('<a id="back-to-shop" class="button" href="/">Simulator home</a>');
  });
});

describe('error pages: WeChat\'s Chinese, an English gloss, a way back', () => {
  test('v3: an unknown prepay_id', async () => {
    const res = await http().get('/sim/pay/v3/cashier?prepay_id=nope');
    expect(res.status).toBe(404);
    expect(res.text).toContain('<p class="error" id="error">订单不存在</p>');
    expect(res.text).toContain('<p class="gloss" id="gloss">Unknown or missing prepay_id.</p>');
    expect(res.text).toContain(BACK);
    expect(res.text).toContain(HOME);
  });

  test('v3: paying a paid order again (WeChat\'s 该订单已支付, glossed)', async () => {
    const { no, prepayId } = await v3Order();
    await sim.payV3.pay(no);
    const res = await http().post('/sim/pay/v3/cashier').type('form').send({ prepay_id: prepayId });
    expect(res.status).toBe(409);
    expect(res.text).toContain('该订单已支付');
    expect(res.text).toContain('The order is already paid.');
    expect(res.text).toContain(HOME);
  });

  test('v3: getBrandWCPayRequest without its parameters, in the overlay: no links, the bridge is told "fail"', async () => {
    const res = await http().get('/sim/pay/v3/jsapi?embed=1');
    expect(res.status).toBe(400);
    expect(res.text).toContain('调用支付jsapi缺少参数');
    expect(res.text).toContain('appId, timeStamp, nonceStr, package and paySign are required');
    expect(res.text).toContain('result: "fail"');
    expect(res.text).not.toContain(HOME);
  });

  test('v3: an unknown Native code and an unknown transfer package', async () => {
    const native = await http().get('/sim/pay/v3/native?pr=nothing');
    expect(native.status).toBe(404);
    expect(native.text).toContain('二维码已失效');
    expect(native.text).toContain('Unknown code_url (pr).');
    expect(native.text).toContain(HOME);
    const transfer = await http().get('/sim/pay/v3/transfer?package=nothing');
    expect(transfer.status).toBe(404);
    expect(transfer.text).toContain('记录不存在');
    expect(transfer.text).toContain('requestMerchantTransfer: unknown package.');
    expect(transfer.text).toContain(HOME);
  });
});

describe('every page for people carries the simulator icon', () => {
  test('open host, v2 and v3 pay pages, error pages', async () => {
    const { no } = await v3Order();
    const nativeNo = `N${Date.now()}`;
    expect((await call(url, merchant, 'POST', '/v3/pay/transactions/native', { appid: APPID, mchid: MCHID, description: 'Poster', out_trade_no: nativeNo, notify_url: `${receiver.url}/v3`, amount: { total: 990 } })).status).toBe(200);
    const pages = [
      http().get('/'),
      http().get('/sim/codes'),
      http().get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query({ appid: APPID, redirect_uri: 'http://app.test/cb', response_type: 'code', scope: 'snsapi_userinfo', state: 's' }),
      http().get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query({ appid: 'wxnosuchapp00001', redirect_uri: 'http://app.test/cb', response_type: 'code', scope: 'snsapi_base', state: 's' }),
      http().get('/connect/oauth2/authorize').query({ appid: APPID, redirect_uri: 'http://app.test/cb', response_type: 'code', scope: 'snsapi_base', state: 's' }),
      http().get(sim.pay.cashierPath(await v2Prepay())),
      http().get('/sim/pay/cashier?prepay_id=nope'),
      http().get(sim.payV3.cashierPath(no)),
      http().get(sim.payV3.nativePath(nativeNo)),
      http().get('/sim/pay/v3/cashier?prepay_id=nope'),
      http().get('/sim/pay/v3/transfer?package=nothing'),
    ];
    const answers = await Promise.all(pages);
    answers.forEach((res, i) => {
      expect([i, res.headers['content-type']]).toEqual([i, expect.stringMatching(/^text\/html/)]);
      expect([i, res.text.includes(ICON)]).toEqual([i, true]);
    });
  });
});
