/**
 * The example app's shop, offline against the simulator: order → cashier → paid → refund, for a
 * logged-in buyer only. Orders belong to the buyer's openid, order numbers are random, and the
 * notify URLs come from configuration — a spoofed Host header changes nothing WeChat is told.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app';
import { newOrderId } from '../../example-app/features/shop';
import type { SimPayHost } from '../../lib/simulator/pay-host';
import { Browser, DESKTOP_UA } from '../oauth/harness';

let example: ExampleApp;
let url: string;
let simUrl: string;
let host: SimPayHost;

beforeAll(async () => {
  example = await createExampleApp({});
  ({ url } = await example.listen(0, '127.0.0.1'));
  simUrl = example.context.simulatorUrl!;
  host = example.context.simulator!.pay;
});
afterAll(async () => {
  await host.settled();
  await example.close(); // also closes the server listen() started
});

const state = (html: string) => /<dd id="order-state">([^<]*)<\/dd>/.exec(html)?.[1];
const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&#38;/g, '&');
const ORDER_ID = /^EX[A-Za-z0-9_-]{24}$/;

/** A desktop browser logged in as `user` (QR login on the simulator), back on /shop. */
async function loggedIn(user: string, appUrl = url, sim = simUrl): Promise<Browser> {
  const browser = new Browser(appUrl, sim, DESKTOP_UA);
  const qr = await browser.visit('/oauth/wechat/login?action=qrcode&next=%2Fshop');
  const done = await browser.submitSimForm(qr.res, qr.url, { user });
  expect(done.url).toBe(`${appUrl}/shop`);
  return browser;
}

/** Buy `product` as `browser`; the order page's path. */
async function buy(browser: Browser, product: string, headers: Record<string, string> = { Origin: url }): Promise<string> {
  const created = await browser.post('/shop/orders', { product }, 'form', headers);
  expect(created.status).toBe(303);
  return created.headers.location!;
}

const idOf = (orderPath: string) => orderPath.split('/').pop()!;

test('buy → order page NOTPAY → Pay at the simulator cashier → back on the order page: SUCCESS → Refund', async () => {
  const alice = await loggedIn('alice');
  const list = await alice.get('/shop');
  expect(list.text).toContain('id="buy-tea"');

  const orderPath = await buy(alice, 'tea');
  const orderPage = await alice.get(orderPath);
  expect(state(orderPage.text)).toBe('NOTPAY');

  // The Pay button goes to the simulator's cashier, which comes back to the order page.
  const payHref = decode(/id="pay-button" class="button" href="([^"]+)"/.exec(orderPage.text)![1]!);
  expect(payHref.startsWith(`${simUrl}/sim/pay/cashier?`)).toBe(true);
  const cashier = await request(simUrl).get(payHref.slice(simUrl.length));
  expect(cashier.text).toContain('¥12.00');
  const form = Object.fromEntries([...cashier.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], decode(m[2]!)]));
  const paid = await request(simUrl).post('/sim/pay/cashier').type('form').send({ ...form, user: 'alice' });
  expect(paid.status).toBe(303);
  expect(paid.headers.location).toBe(`${url}${orderPath}`);

  const after = await alice.get(orderPath);
  expect(state(after.text)).toBe('SUCCESS');
  expect(after.text).toContain('id="refund"');
  await host.settled();

  const refunded = await alice.post(`${orderPath}/refund`, {}, 'form', { Origin: url });
  expect(refunded.status).toBe(303);
  await host.settled();
  const final = await alice.get(orderPath);
  expect(state(final.text)).toBe('REFUND');
  expect(final.text).toContain('<dd id="refund-status">SUCCESS</dd>');
});

test('Refresh status asks WeChat (orderquery) when the notify has not arrived', async () => {
  const alice = await loggedIn('alice');
  const orderPath = await buy(alice, 'sample');
  const order = host.orderByTradeNo(idOf(orderPath))!;
  // Pay while the shop is unreachable for notifies: point the order's notify elsewhere.
  order.notifyUrl = 'http://127.0.0.1:9/wxpay/shop/callback';
  host.policy.retries = 0;
  try {
    await host.payOrder(order.prepayId);
  } finally {
    host.policy.retries = 3;
  }
  expect(state((await alice.get(orderPath)).text)).toBe('NOTPAY');
  await alice.post(`${orderPath}/sync`, {}, 'form', { Origin: url });
  expect(state((await alice.get(orderPath)).text)).toBe('SUCCESS');
});

test('a cross-site POST is refused', async () => {
  const alice = await loggedIn('alice');
  const res = await alice.post('/shop/orders', { product: 'tea' }, 'form', { Origin: 'https://evil.example' });
  expect(res.status).toBe(403);
});

describe('login and ownership', () => {
  let paidPath: string;
  beforeAll(async () => {
    const alice = await loggedIn('alice');
    paidPath = await buy(alice, 'mug');
    await host.payOrder(host.orderByTradeNo(idOf(paidPath))!.prepayId);
    await host.settled();
    expect(state((await alice.get(paidPath)).text)).toBe('SUCCESS');
  });

  test('without a login: no Buy buttons, buying and refunding are refused, the order page asks for a login', async () => {
    const anonymous = request(url);
    const shop = await anonymous.get('/shop');
    expect(shop.text).not.toContain('id="buy-tea"');
    expect(shop.text).toContain('id="login-to-buy"');
    expect(shop.text).not.toContain(idOf(paidPath));

    const buyRes = await anonymous.post('/shop/orders').set('Origin', url).type('form').send({ product: 'tea' });
    expect(buyRes.status).toBe(401);
    const refund = await anonymous.post(`${paidPath}/refund`).set('Origin', url);
    expect(refund.status).toBe(401);
    const sync = await anonymous.post(`${paidPath}/sync`).set('Origin', url);
    expect(sync.status).toBe(401);
    // requireLogin: off to WeChat's login, not the order.
    const page = await anonymous.get(paidPath).set('User-Agent', DESKTOP_UA);
    expect(page.status).toBe(302);
    expect(page.headers.location).toMatch(new RegExp(`^${simUrl}/connect/qrconnect\\?`));
    expect(page.text).not.toContain(idOf(paidPath));

    expect(host.refundsOf(host.orderByTradeNo(idOf(paidPath))!.prepayId)).toEqual([]);
  });

  test("another user's order is a 404: not shown, not listed, not synced, not refunded", async () => {
    const bob = await loggedIn('bob');
    const page = await bob.get(paidPath);
    expect(page.status).toBe(404);
    expect(page.text).not.toContain('id="order-state"');
    expect((await bob.get('/shop')).text).not.toContain(idOf(paidPath));
    expect((await bob.post(`${paidPath}/refund`, {}, 'form', { Origin: url })).status).toBe(404);
    expect((await bob.post(`${paidPath}/sync`, {}, 'form', { Origin: url })).status).toBe(404);

    expect(host.refundsOf(host.orderByTradeNo(idOf(paidPath))!.prepayId)).toEqual([]);
    const alice = await loggedIn('alice');
    expect(state((await alice.get(paidPath)).text)).toBe('SUCCESS');
    expect((await alice.get('/shop')).text).toContain(idOf(paidPath));
  });
});

test('order numbers are random CSPRNG out_trade_no values: well-formed, ≤ 32 characters, never repeated', async () => {
  const carol = await loggedIn('carol');
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(idOf(await buy(carol, 'sample')));
  for (const id of ids) {
    expect(id).toMatch(ORDER_ID);
    expect(id.length).toBeLessThanOrEqual(32);
    expect(host.orderByTradeNo(id)).toBeDefined(); // WeChat (the simulator) accepted it
  }
  expect(new Set(ids).size).toBe(ids.length);
  // No shared prefix beyond "EX" (a timestamp or counter would share one).
  const sample = Array.from({ length: 2000 }, newOrderId);
  expect(new Set(sample).size).toBe(sample.length);
  for (const id of sample) expect(id).toMatch(ORDER_ID);
  expect(new Set(sample.map((id) => id.slice(0, 4))).size).toBeGreaterThan(100);
});

test('a spoofed Host header does not pick the notify URLs: they are the configured origin (offline: where the example listens)', async () => {
  const dave = await loggedIn('dave');
  const orderPath = await buy(dave, 'sample', { Host: 'evil.example' });
  const order = host.orderByTradeNo(idOf(orderPath))!;
  expect(order.notifyUrl).toBe(`${url}/wxpay/shop/callback`);

  await host.payOrder(order.prepayId);
  await host.settled();
  expect(state((await dave.get(orderPath)).text)).toBe('SUCCESS'); // the notify reached the shop
  const refunded = await dave.post(`${orderPath}/refund`, {}, 'form', { Host: 'evil.example' });
  expect(refunded.status).toBe(303);
  expect(host.refundsOf(order.prepayId).map((r) => r.notifyUrl)).toEqual([`${url}/wxpay/refund/callback`]);
  await host.settled();
});

test('with BASE_URL: the notify URL is wxauth\'s default under BASE_URL, whatever the Host header says', async () => {
  // Our own server first, so BASE_URL can be its address (a deployment knows its origin up front).
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configured = await createExampleApp({ BASE_URL: baseUrl });
  server.on('request', configured.app);
  try {
    const sim = configured.context.simulatorUrl!;
    const browser = await loggedIn('erin', baseUrl, sim);
    const created = await browser.post('/shop/orders', { product: 'tea' }, 'form', { Host: 'evil.example' });
    expect(created.status).toBe(303);
    const order = configured.context.simulator!.pay.orderByTradeNo(idOf(created.headers.location!))!;
    expect(order.notifyUrl).toBe(`${baseUrl}/wxpay/shop/callback`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await configured.context.simulator!.pay.settled();
    await configured.close();
  }
});
