/** The example app's shop, offline against the simulator: order → cashier → paid → refund. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app';
import type { SimPayHost } from '../../lib/simulator/pay-host';

let example: ExampleApp;
let server: Server;
let url: string;
let simUrl: string;
let host: SimPayHost;

beforeAll(async () => {
  example = await createExampleApp({});
  server = await new Promise<Server>((resolve) => {
    const s = example.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  simUrl = example.context.simulatorUrl!;
  host = example.context.simulator!.pay;
});
afterAll(async () => {
  await host.settled();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await example.close();
});

const state = (html: string) => /<dd id="order-state">([^<]*)<\/dd>/.exec(html)?.[1];
const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&#38;/g, '&');

test('buy → order page NOTPAY → Pay at the simulator cashier → back on the order page: SUCCESS → Refund', async () => {
  const list = await request(url).get('/shop');
  expect(list.text).toContain('id="buy-tea"');

  const created = await request(url).post('/shop/orders').set('Origin', url).type('form').send({ product: 'tea' });
  expect(created.status).toBe(303);
  const orderPath = created.headers.location!;
  const orderPage = await request(url).get(orderPath);
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

  const after = await request(url).get(orderPath);
  expect(state(after.text)).toBe('SUCCESS');
  expect(after.text).toContain('id="refund"');
  await host.settled();

  const refunded = await request(url).post(`${orderPath}/refund`).set('Origin', url);
  expect(refunded.status).toBe(303);
  await host.settled();
  const final = await request(url).get(orderPath);
  expect(state(final.text)).toBe('REFUND');
  expect(final.text).toContain('<dd id="refund-status">SUCCESS</dd>');
});

test('Refresh status asks WeChat (orderquery) when the notify has not arrived', async () => {
  const created = await request(url).post('/shop/orders').set('Origin', url).type('form').send({ product: 'sample' });
  const orderPath = created.headers.location!;
  const id = orderPath.split('/').pop()!;
  const order = host.orderByTradeNo(id)!;
  // Pay while the shop is unreachable for notifies: point the order's notify elsewhere.
  order.notifyUrl = 'http://127.0.0.1:9/wxpay/shop/callback';
  host.policy.retries = 0;
  try {
    await host.payOrder(order.prepayId);
  } finally {
    host.policy.retries = 3;
  }
  expect(state((await request(url).get(orderPath)).text)).toBe('NOTPAY');
  await request(url).post(`${orderPath}/sync`).set('Origin', url);
  expect(state((await request(url).get(orderPath)).text)).toBe('SUCCESS');
});

test('a cross-site POST is refused', async () => {
  const res = await request(url).post('/shop/orders').set('Origin', 'https://evil.example').type('form').send({ product: 'tea' });
  expect(res.status).toBe(403);
});
