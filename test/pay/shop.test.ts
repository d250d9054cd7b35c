/**
 * The example app's shop over HTTP, offline against the simulator: WeChat Pay v3 by default —
 * JSAPI in WeChat, a Native QR code on a desktop, H5 in other mobile browsers — and v2 with
 * PAY_API=v2. For a logged-in buyer only: orders belong to the buyer's openid, order numbers are
 * random, the verified notify marks an order paid once (after amountOf), and notify URLs come from
 * configuration — a spoofed Host header changes nothing WeChat is told.
 */
import { createVerify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import QRCode from 'qrcode';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app';
import { channelFor, newOrderId } from '../../example-app/features/shop';
import type { SimPayV3 } from '../../lib/simulator/pay-v3/host';
import { Browser, DESKTOP_UA, WECHAT_UA } from '../oauth/harness';

const MOBILE_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';

let example: ExampleApp;
let url: string;
let simUrl: string;
let v3: SimPayV3;

beforeAll(async () => {
  example = await createExampleApp({});
  ({ url } = await example.listen(0, '127.0.0.1'));
  simUrl = example.context.simulatorUrl!;
  v3 = example.context.simulator!.payV3;
});
afterAll(async () => {
  await v3.settled();
  await example.close(); // also closes the server listen() started
});

const state = (html: string) => /<dd id="order-state">([^<]*)<\/dd>/.exec(html)?.[1];
const refundStatus = (html: string) => /<dd id="refund-status">([^<]*)<\/dd>/.exec(html)?.[1];
const history = (html: string) => [.../<li>([^<]*)<\/li>/g[Symbol.matchAll](/<ol id="history">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '')].map((m) => decode(m[1]!));
const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const payHref = (html: string) => decode(/id="pay-button" class="button" href="([^"]+)"/.exec(html)![1]!);
const hiddenFields = (html: string) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]));
const ORDER_ID = /^EX[A-Za-z0-9_-]{24}$/;
const idOf = (orderPath: string) => orderPath.split('/').pop()!;

/** A desktop browser logged in as `user` (QR login on the simulator), back on /shop. */
async function desktop(user: string, appUrl = url, sim = simUrl): Promise<Browser> {
  const browser = new Browser(appUrl, sim, DESKTOP_UA);
  const qr = await browser.visit('/oauth/wechat/login?action=qrcode&next=%2Fshop');
  const done = await browser.submitSimForm(qr.res, qr.url, { user });
  expect(done.url).toBe(`${appUrl}/shop`);
  return browser;
}

/** A browser with `userAgent` logged in as `user` through the official account (mp, consent page), back on /shop. */
async function inWeChat(user: string, userAgent = WECHAT_UA): Promise<Browser> {
  const browser = new Browser(url, simUrl, userAgent);
  const consent = await browser.visit('/oauth/wechat/login?action=mp&next=%2Fshop');
  const done = consent.url === `${url}/shop` ? consent : await browser.submitSimForm(consent.res, consent.url, { decision: 'approve', user });
  expect(done.url).toBe(`${url}/shop`);
  return browser;
}

/** Buy `product` as `browser`; the order page's path. */
async function buy(browser: Browser, product: string, headers: Record<string, string> = { Origin: url }): Promise<string> {
  const created = await browser.post('/shop/orders', { product }, 'form', headers);
  expect(created.status).toBe(303);
  return created.headers.location!;
}

/** Pay on the simulator's v3 cashier (what the payer's phone shows), as `user` when it asks. */
async function payAtCashier(cashierPath: string, user = 'alice'): Promise<request.Response> {
  const cashier = await request(simUrl).get(cashierPath);
  expect(cashier.status).toBe(200);
  const paid = await request(simUrl).post('/sim/pay/v3/cashier').type('form').send({ ...hiddenFields(cashier.text), user });
  expect(paid.text).toContain('id="paid"');
  return paid;
}

describe('v3 (the default)', () => {
  test('desktop: a Native order shows a PNG QR code of code_url; paying on the simulator → the v3 notify marks it paid once → Refund → the refund notify', async () => {
    const alice = await desktop('alice');
    expect((await alice.get('/shop')).text).toContain('WeChat Pay v3');
    const orderPath = await buy(alice, 'tea');
    const page = await alice.get(orderPath);
    expect(state(page.text)).toBe('NOTPAY');
    expect(page.text).toContain('WeChat Pay v3 NATIVE');
    expect(page.text).not.toContain('weixin-jsbridge.js'); // no bridge outside JSAPI

    // The QR image is qrcode's PNG of the order's code_url, byte for byte.
    const order = v3.order(idOf(orderPath))!;
    expect(order.tradeType).toBe('NATIVE');
    const src = /<img id="qr" src="data:image\/png;base64,([^"]+)"/.exec(page.text)![1]!;
    const png = Buffer.from(src, 'base64');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.equals(await QRCode.toBuffer(order.codeUrl!, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 }))).toBe(true);
    expect(page.text).toContain(`<code id="code-url">${order.codeUrl}</code>`);
    expect(page.text).toContain('id="sync"'); // "Paid? Check status"

    // "Scan with the simulator": the cashier of this code, coming back to the order page.
    const href = payHref(page.text);
    expect(href.startsWith(`${simUrl}/sim/pay/v3/cashier?`)).toBe(true);
    expect(new URL(href).searchParams.get('redirect_url')).toBe(`${url}${orderPath}`);
    const paid = await payAtCashier(href.slice(simUrl.length));
    expect(decode(paid.text)).toContain(`href="${url}${orderPath}"`);
    expect(v3.deliveries.filter((d) => d.id === order.transactionId).map((d) => [d.url, d.status])).toEqual([[`${url}/wxpay/v3/shop/callback`, 204]]);

    const after = await alice.get(orderPath);
    expect(state(after.text)).toBe('SUCCESS');
    expect(after.text).toContain(`<dd id="transaction-id">${order.transactionId}</dd>`);
    expect(history(after.text).filter((h) => h.startsWith('notify: paid'))).toEqual([`notify: paid, transaction ${order.transactionId}`]);
    expect((await alice.get(`${orderPath}/status`)).body).toEqual({ state: 'SUCCESS', refundStatus: null });

    const refunded = await alice.post(`${orderPath}/refund`, {}, 'form', { Origin: url });
    expect(refunded.status).toBe(303);
    await v3.settled();
    const final = await alice.get(orderPath);
    expect(state(final.text)).toBe('REFUND');
    expect(refundStatus(final.text)).toBe('SUCCESS');
    expect(history(final.text)).toEqual(expect.arrayContaining(['refund requested: PROCESSING', 'notify: refund SUCCESS']));
    expect(v3.refund(`${order.outTradeNo}R`)).toMatchObject({ status: 'SUCCESS', refund: 1200, total: 1200, notifyUrl: `${url}/wxpay/v3/refund/callback` });
  });

  test('in WeChat: a JSAPI order for the buyer\'s openid; the page loads the simulator\'s bridge with paySign-ed params the cashier accepts', async () => {
    const bob = await inWeChat('bob');
    const orderPath = await buy(bob, 'mug');
    const page = await bob.get(orderPath);
    expect(page.text).toContain('WeChat Pay v3 JSAPI');
    expect(page.text).toContain(`<script src="${simUrl}/sim/weixin-jsbridge.js"></script>`);
    const order = v3.order(idOf(orderPath))!;
    const { merchant, merchantV3 } = example.context.credentials;
    expect(order).toMatchObject({ tradeType: 'JSAPI', appid: merchant!.appid, openid: example.context.simulator!.openidOf(merchant!.appid!, 'bob') });

    const params = JSON.parse(/<script type="application\/json" id="jsapi-params">([^<]*)<\/script>/.exec(page.text)![1]!) as Record<string, string>;
    expect(params).toMatchObject({ appId: merchant!.appid, package: `prepay_id=${order.prepayId}`, signType: 'RSA' });
    // Recomputed here with node:crypto over WeChat's message, under the merchant's public key.
    const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(merchantV3!.publicKey, params.paySign!, 'base64')).toBe(true);

    // What the bridge stand-in opens for getBrandWCPayRequest: the payer is fixed (the openid's user).
    const jsapi = `/sim/pay/v3/jsapi?${new URLSearchParams({ ...params, embed: '1' })}`;
    const cashier = await request(simUrl).get(jsapi);
    expect(cashier.text).toContain('<b id="payer">bob</b>');
    await payAtCashier(jsapi);
    expect(state((await bob.get(orderPath)).text)).toBe('SUCCESS');

    // A forged paySign is refused by the cashier: nothing to pay.
    const forged = await request(simUrl).get(`/sim/pay/v3/jsapi?${new URLSearchParams({ ...params, paySign: params.paySign!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })}`);
    expect(forged.status).toBe(400);
  });

  test('a mobile browser outside WeChat: an H5 order whose Pay link is h5_url with the way back as redirect_url', async () => {
    // Outside WeChat there is no official-account login (WeChat refuses it): carol logs in with the QR page.
    const carol = new Browser(url, simUrl, MOBILE_UA);
    const qr = await carol.visit('/oauth/wechat/login?action=qrcode&next=%2Fshop');
    expect((await carol.submitSimForm(qr.res, qr.url, { user: 'carol' })).url).toBe(`${url}/shop`);
    const orderPath = await buy(carol, 'sample');
    const page = await carol.get(orderPath);
    expect(page.text).toContain('WeChat Pay v3 H5');
    const href = payHref(page.text);
    expect(href.startsWith(`${simUrl}/sim/pay/v3/h5?token=`)).toBe(true);
    expect(new URL(href).searchParams.get('redirect_url')).toBe(`${url}${orderPath}`);
    expect(v3.order(idOf(orderPath))).toMatchObject({ tradeType: 'H5' });
    await payAtCashier(href.slice(simUrl.length), 'carol');
    expect(state((await carol.get(orderPath)).text)).toBe('SUCCESS');
  });

  test('channels: JSAPI only in WeChat and only for a login under the pay AppID (a QR login\'s openid is another app\'s)', () => {
    const pay = { channels: ['JSAPI', 'NATIVE', 'H5'] as const, appid: 'wxpay' };
    const as = (appid: string) => ({ openid: 'o1', appid, action: 'mp' as const });
    expect(channelFor(WECHAT_UA, as('wxpay'), pay)).toBe('JSAPI');
    expect(channelFor(WECHAT_UA, as('wxqrcode'), pay)).toBe('NATIVE');
    expect(channelFor(MOBILE_UA, as('wxpay'), pay)).toBe('H5');
    expect(channelFor(DESKTOP_UA, as('wxpay'), pay)).toBe('NATIVE');
    expect(channelFor(WECHAT_UA, as('wxpay'), { channels: ['NATIVE'], appid: 'wxpay' })).toBe('NATIVE');
  });

  test('a notify delivered three times (WeChat repeats them) runs the handler once: one "paid" line', async () => {
    const dave = await desktop('dave');
    const orderPath = await buy(dave, 'sample');
    v3.policy.duplicates = 2;
    try {
      const { deliveries } = await v3.pay(idOf(orderPath));
      expect(deliveries.map((d) => d.status)).toEqual([204, 204, 204]);
    } finally {
      v3.policy.duplicates = 0;
    }
    const page = await dave.get(orderPath);
    expect(state(page.text)).toBe('SUCCESS');
    expect(history(page.text).filter((h) => h.startsWith('notify: paid'))).toHaveLength(1);
  });

  test('a notify with another amount (amountOf), a probe signature or another merchant\'s key is refused and leaves the order unpaid', async () => {
    const erin = await desktop('erin');
    const orderPath = await buy(erin, 'tea');
    const order = v3.order(idOf(orderPath))!;
    const merchant = example.context.credentials.merchant!;
    const resource = (total: number) => ({
      appid: merchant.appid,
      mchid: merchant.mchid,
      out_trade_no: order.outTradeNo,
      transaction_id: '4200009999202501010000000001',
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      payer: { openid: 'ofake' },
      amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
    });
    const post = (n: { headers: Record<string, string>; body: string }) => request(url).post('/wxpay/v3/shop/callback').set(n.headers).send(n.body);
    const logged: string[] = [];
    const capture = (...args: unknown[]) => void logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    const warn = jest.spyOn(console, 'warn').mockImplementation(capture);
    const error = jest.spyOn(console, 'error').mockImplementation(capture);
    try {
      const cheap = await post(v3.buildNotify(merchant.mchid, 'pay', resource(1)));
      expect(cheap.status).toBeGreaterThanOrEqual(400);
      expect(cheap.body).toMatchObject({ code: 'FAIL' });
      for (const fault of [{ probe: true }, { foreignKey: true }, { staleSeconds: 600 }]) {
        const res = await post(v3.buildNotify(merchant.mchid, 'pay', resource(1200), { fault }));
        expect(res.status).toBe(401);
      }
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
    expect(logged.join('\n')).toMatch(/amount does not match[\s\S]*bad signature[\s\S]*bad signature[\s\S]*stale timestamp/);
    expect(logged.join('\n')).not.toContain(example.context.credentials.merchantV3!.apiV3Key);
    const page = await erin.get(orderPath);
    expect(state(page.text)).toBe('NOTPAY');
    expect(history(page.text).some((h) => h.startsWith('notify'))).toBe(false);
    // The right amount, properly signed, is taken.
    expect((await post(v3.buildNotify(merchant.mchid, 'pay', resource(1200)))).status).toBe(204);
    expect(state((await erin.get(orderPath)).text)).toBe('SUCCESS');
  });

  test('"Paid? Check status" asks WeChat (v3 order query) when the notify has not arrived', async () => {
    const alice = await desktop('alice');
    const orderPath = await buy(alice, 'sample');
    const order = v3.order(idOf(orderPath))!;
    order.notifyUrl = 'http://127.0.0.1:9/wxpay/v3/shop/callback'; // the shop is unreachable for notifies
    const saved = v3.policy.retryDelaysMs;
    v3.policy.retryDelaysMs = [];
    try {
      await v3.pay(order.outTradeNo);
    } finally {
      v3.policy.retryDelaysMs = saved;
    }
    expect(state((await alice.get(orderPath)).text)).toBe('NOTPAY');
    expect((await alice.get(`${orderPath}/status`)).body).toEqual({ state: 'NOTPAY', refundStatus: null });
    await alice.post(`${orderPath}/sync`, {}, 'form', { Origin: url });
    const page = await alice.get(orderPath);
    expect(state(page.text)).toBe('SUCCESS');
    expect(history(page.text)).toContain(`order query: paid, transaction ${order.transactionId}`);
  });

  test('a cross-site POST is refused', async () => {
    const alice = await desktop('alice');
    const res = await alice.post('/shop/orders', { product: 'tea' }, 'form', { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });

  describe('login and ownership', () => {
    let paidPath: string;
    beforeAll(async () => {
      const alice = await desktop('alice');
      paidPath = await buy(alice, 'mug');
      await v3.pay(idOf(paidPath));
      expect(state((await alice.get(paidPath)).text)).toBe('SUCCESS');
    });

    test('without a login: no Buy buttons, buying, refunding, syncing and status are refused, the order page asks for a login', async () => {
      const anonymous = request(url);
      const shop = await anonymous.get('/shop');
      expect(shop.text).not.toContain('id="buy-tea"');
      expect(shop.text).toContain('id="login-to-buy"');
      expect(shop.text).not.toContain(idOf(paidPath));

      expect((await anonymous.post('/shop/orders').set('Origin', url).type('form').send({ product: 'tea' })).status).toBe(401);
      expect((await anonymous.post(`${paidPath}/refund`).set('Origin', url)).status).toBe(401);
      expect((await anonymous.post(`${paidPath}/sync`).set('Origin', url)).status).toBe(401);
      expect((await anonymous.get(`${paidPath}/status`)).status).toBe(401);
      // requireLogin: off to WeChat's login, not the order.
      const page = await anonymous.get(paidPath).set('User-Agent', DESKTOP_UA);
      expect(page.status).toBe(302);
      expect(page.headers.location).toMatch(new RegExp(`^${simUrl}/connect/qrconnect\\?`));
      expect(page.text).not.toContain(idOf(paidPath));
      expect(v3.refund(`${idOf(paidPath)}R`)).toBeUndefined();
    });

    test("another user's order is a 404: not shown, not listed, no status, not synced, not refunded", async () => {
      const bob = await desktop('bob');
      const page = await bob.get(paidPath);
      expect(page.status).toBe(404);
      expect(page.text).not.toContain('id="order-state"');
      expect((await bob.get('/shop')).text).not.toContain(idOf(paidPath));
      expect((await bob.get(`${paidPath}/status`)).status).toBe(404);
      expect((await bob.post(`${paidPath}/refund`, {}, 'form', { Origin: url })).status).toBe(404);
      expect((await bob.post(`${paidPath}/sync`, {}, 'form', { Origin: url })).status).toBe(404);

      expect(v3.refund(`${idOf(paidPath)}R`)).toBeUndefined();
      const alice = await desktop('alice');
      expect(state((await alice.get(paidPath)).text)).toBe('SUCCESS');
      expect((await alice.get('/shop')).text).toContain(idOf(paidPath));
    });
  });

  test('order numbers are random CSPRNG out_trade_no values: well-formed, ≤ 32 characters, never repeated', async () => {
    const carol = await desktop('carol');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(idOf(await buy(carol, 'sample')));
    for (const id of ids) {
      expect(id).toMatch(ORDER_ID);
      expect(id.length).toBeLessThanOrEqual(32);
      expect(v3.order(id)).toBeDefined(); // WeChat (the simulator) accepted it
    }
    expect(new Set(ids).size).toBe(ids.length);
    // No shared prefix beyond "EX" (a timestamp or counter would share one).
    const sample = Array.from({ length: 2000 }, newOrderId);
    expect(new Set(sample).size).toBe(sample.length);
    for (const id of sample) expect(id).toMatch(ORDER_ID);
    expect(new Set(sample.map((id) => id.slice(0, 4))).size).toBeGreaterThan(100);
  });

  test('a spoofed Host header does not pick the notify URLs: they are the configured origin (offline: where the example listens)', async () => {
    const dave = await desktop('dave');
    const orderPath = await buy(dave, 'sample', { Host: 'evil.example' });
    const order = v3.order(idOf(orderPath))!;
    expect(order.notifyUrl).toBe(`${url}/wxpay/v3/shop/callback`);
    await v3.pay(order.outTradeNo);
    expect(state((await dave.get(orderPath)).text)).toBe('SUCCESS'); // the notify reached the shop
    const refunded = await dave.post(`${orderPath}/refund`, {}, 'form', { Host: 'evil.example' });
    expect(refunded.status).toBe(303);
    expect(v3.refund(`${order.outTradeNo}R`)!.notifyUrl).toBe(`${url}/wxpay/v3/refund/callback`);
    await v3.settled();
  });

  test("with BASE_URL: the notify URL is wxauth's v3 default under BASE_URL, whatever the Host header says", async () => {
    // Our own server first, so BASE_URL can be its address (a deployment knows its origin up front).
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const configured = await createExampleApp({ BASE_URL: baseUrl });
    server.on('request', configured.app);
    try {
      const browser = await desktop('erin', baseUrl, configured.context.simulatorUrl!);
      const created = await browser.post('/shop/orders', { product: 'tea' }, 'form', { Host: 'evil.example' });
      expect(created.status).toBe(303);
      expect(configured.context.simulator!.payV3.order(idOf(created.headers.location!))!.notifyUrl).toBe(`${baseUrl}/wxpay/v3/shop/callback`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await configured.context.simulator!.payV3.settled();
      await configured.close();
    }
  });
});

describe('v2 (PAY_API=v2)', () => {
  let v2app: ExampleApp;
  let v2url: string;
  beforeAll(async () => {
    v2app = await createExampleApp({ PAY_API: 'v2' });
    ({ url: v2url } = await v2app.listen(0, '127.0.0.1'));
  });
  afterAll(async () => {
    await v2app.context.simulator!.pay.settled();
    await v2app.close();
  });

  test('buy → Native QR and the v2 cashier → the v2 notify marks it paid → Refund → the refund notify', async () => {
    const sim = v2app.context.simulatorUrl!;
    const host = v2app.context.simulator!.pay;
    const alice = await desktop('alice', v2url, sim);
    expect((await alice.get('/shop')).text).toContain('WeChat Pay v2');
    const created = await alice.post('/shop/orders', { product: 'tea' }, 'form', { Origin: v2url });
    const orderPath = created.headers.location!;
    const page = await alice.get(orderPath);
    expect(page.text).toContain('WeChat Pay v2 NATIVE');
    expect(page.text).toMatch(/<img id="qr" src="data:image\/png;base64,/);
    const order = host.orderByTradeNo(idOf(orderPath))!;
    expect(order.notifyUrl).toBe(`${v2url}/wxpay/shop/callback`);
    expect(v2app.context.simulator!.payV3.orders).toEqual([]); // nothing went to v3

    const href = payHref(page.text);
    expect(href.startsWith(`${sim}/sim/pay/cashier?`)).toBe(true);
    const cashier = await request(sim).get(href.slice(sim.length));
    const paid = await request(sim).post('/sim/pay/cashier').type('form').send({ ...hiddenFields(cashier.text), user: 'alice' });
    expect(paid.status).toBe(303);
    expect(paid.headers.location).toBe(`${v2url}${orderPath}`);
    expect(state((await alice.get(orderPath)).text)).toBe('SUCCESS');
    await host.settled();

    expect((await alice.post(`${orderPath}/refund`, {}, 'form', { Origin: v2url })).status).toBe(303);
    await host.settled();
    const final = await alice.get(orderPath);
    expect(state(final.text)).toBe('REFUND');
    expect(refundStatus(final.text)).toBe('SUCCESS');
  });
});

test('PAY_API other than v2 / v3: one StartError line naming PAY_API', async () => {
  await expect(createExampleApp({ PAY_API: 'v4' })).rejects.toMatchObject({ name: 'StartError', message: expect.stringMatching(/^PAY_API must be "v3" \(the default\) or "v2"/) });
});
