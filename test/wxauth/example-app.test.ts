/** The example app boots offline (simulator), logs a user in and takes a v3 payment; also on Express 4 and with Redis. */
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createExampleApp, SIM_APPS, type ExampleApp } from '../../example-app/app';
import { Browser, DESKTOP_UA, WECHAT_UA } from '../oauth/harness';
import { redisUrl } from '../helpers/redis';
import { describeAccounts } from '../../example-app/features/accounts';
import { STYLE } from '../../example-app/layout';
import { decodeQrPng } from '../follow/decode-qr';

let example: ExampleApp;
let server: Server;
let url: string;

async function boot(env: Record<string, string>) {
  example = await createExampleApp(env);
  server = await new Promise<Server>((resolve) => {
    const s = example.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await example.close();
});

const MP_APP = SIM_APPS.find((a) => a.type === 'mp')!;

test('offline: the simulator starts, mp login goes base → userinfo once, profile and logout work', async () => {
  await boot({});
  const simUrl = example.context.simulatorUrl!;
  expect(simUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const browser = new Browser(url, simUrl, WECHAT_UA);

  const home = await browser.get('/');
  expect(home.text).toContain('Log in with WeChat (mp)');
  expect(home.text).not.toContain('id="login-qr"'); // inside WeChat there is no QR code to scan
  expect(home.text).not.toContain('href="/login/follow"'); // nor one of the official account to follow

  // First login: snsapi_base, unknown user → upgrade → consent page → Approve → profile.
  const consent = await browser.visit('/oauth/wechat/login?action=mp&next=%2Fprofile');
  expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
  const profile = await browser.submitSimForm(consent.res, consent.url, { decision: 'approve' });
  expect(profile.url).toBe(`${url}/profile`);
  expect(profile.res.text).toContain(example.context.simulator!.openidOf(MP_APP.appid, 'alice'));
  expect(profile.res.text).toContain('Alice');
  // Account binding (features/accounts.ts) is wired through resolveUser.
  const account = await browser.get('/account', { Accept: 'application/json' });
  expect(account.status).toBe(200);
  expect(account.body.bindings).toEqual([expect.objectContaining({ action: 'mp', appid: MP_APP.appid })]);

  // Log out, log in again: a known user stays on snsapi_base (no consent page).
  expect((await browser.get('/')).text).not.toContain('id="login-qr"'); // nor once logged in
  for (const path of ['/', '/profile', '/shop', '/jssdk']) expect([path, (await browser.get(path)).text]).toEqual([path, expect.not.stringContaining('href="/login/follow"')]);
  expect((await browser.get('/login/qr')).headers.location).toBe('/profile');
  const out = await browser.post('/oauth/wechat/logout?next=%2F%3Floggedout%3D1', {}, 'form', { Origin: url });
  expect(out.status).toBe(303);
  expect(out.headers.location).toBe('/?loggedout=1');
  const bye = await browser.get(out.headers.location!);
  expect(bye.text).toContain('Log in with WeChat (mp)');
  expect(bye.text).toContain('<p id="flash" class="notice" role="status">You are logged out.</p>');
  const again = await browser.visit('/oauth/wechat/login?action=mp&next=%2Fprofile');
  expect(again.url).toBe(`${url}/profile`);
  expect(again.res.text).toContain('Alice');
});

test('offline: the QR page embeds /weixin-login.js and QR login works', async () => {
  await boot({});
  const simUrl = example.context.simulatorUrl!;
  const browser = new Browser(url, simUrl, DESKTOP_UA);
  const home = await browser.get('/');
  expect(home.text).toContain('id="login-qr"'); // a desktop browser is offered QR login
  expect(home.text).toContain('<a id="login-follow" class="button secondary" href="/login/follow">关注公众号登录</a>'); // and follow-to-login next to it
  expect(home.text).toContain('<a href="/login/follow">关注公众号登录</a>'); // in the navigation bar too
  const page = await browser.get('/login/qr');
  expect(page.text).toContain('<div id="login_container">');
  const src = page.text.match(/<script src="([^"]+weixin-login\.js[^"]*)"/)![1]!.replace(/&amp;/g, '&');
  const script = await browser.get(src);
  expect(script.text).toContain(JSON.stringify(simUrl));
  const qr = await browser.visit('/profile'); // desktop: requireLogin goes to the QR page
  expect(new URL(qr.url).pathname).toBe('/connect/qrconnect');
  const done = await browser.submitSimForm(qr.res, qr.url, { user: 'bob' });
  expect(done.url).toBe(`${url}/profile`);
  expect(done.res.text).toContain('qrcode');
  // Logged in, there is nothing to log in with: no follow link on any page, no login buttons.
  for (const path of ['/', '/profile', '/shop', '/jssdk']) expect([path, (await browser.get(path)).text]).toEqual([path, expect.not.stringContaining('href="/login/follow"')]);
  expect((await browser.get('/')).text).not.toContain('id="login-follow"');
});

test("offline: follow-to-login's link is a desktop visitor's way in — on every page before login, on none inside WeChat", async () => {
  await boot({});
  const simUrl = example.context.simulatorUrl!;
  const desktop = new Browser(url, simUrl, DESKTOP_UA);
  const wechat = new Browser(url, simUrl, WECHAT_UA);
  for (const path of ['/', '/shop', '/jssdk', '/login/qr', '/login/follow']) {
    expect([path, (await desktop.get(path)).text]).toEqual([path, expect.stringContaining('<a href="/login/follow">关注公众号登录</a>')]);
    expect([path, (await wechat.get(path)).text]).toEqual([path, expect.not.stringContaining('href="/login/follow"')]);
  }
  // The page itself, opened inside WeChat anyway, says where to log in instead.
  expect((await wechat.get('/login/follow')).text).toContain('id="follow-not-here"');
});

test('with REDIS_URL: sessions and state live in Redis', async () => {
  const prefix = `wxauth-test:example:${randomBytes(4).toString('hex')}:`;
  await boot({ REDIS_URL: redisUrl(), REDIS_PREFIX: prefix });
  const browser = new Browser(url, example.context.simulatorUrl!, WECHAT_UA);
  const consent = await browser.visit('/oauth/wechat/login?action=mp&next=%2Fprofile');
  await browser.submitSimForm(consent.res, consent.url, { decision: 'approve' });
  const client = createClient({ url: redisUrl() });
  await client.connect();
  try {
    const keys = await client.keys(`${prefix}*`);
    expect(keys.some((k) => k.startsWith(`${prefix}sess:`))).toBe(true);
    if (keys.length) await client.del(keys);
  } finally {
    await client.quit();
  }
});

test('offline: the shop pays with WeChat Pay v3 by default — in WeChat a JSAPI order, paid, its v3 notify marks it paid (also on Express 4)', async () => {
  // The server first, so BASE_URL (where the v3 notify goes) can be its address.
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  example = await createExampleApp({ BASE_URL: url });
  server.on('request', example.app);
  const sim = example.context.simulator!;
  const browser = new Browser(url, example.context.simulatorUrl!, WECHAT_UA);
  const consent = await browser.visit('/oauth/wechat/login?action=mp&next=%2Fshop');
  await browser.submitSimForm(consent.res, consent.url, { decision: 'approve' });
  expect((await browser.get('/shop')).text).toContain('Payments: WeChat Pay v3');
  const created = await browser.post('/shop/orders', { product: 'tea' }, 'form', { Origin: url });
  expect(created.status).toBe(303);
  const outTradeNo = created.headers.location!.split('/').pop()!;
  const order = sim.payV3.order(outTradeNo)!;
  expect(order).toMatchObject({ tradeType: 'JSAPI', appid: MP_APP.appid, openid: sim.openidOf(MP_APP.appid, 'alice'), notifyUrl: `${url}/wxpay/v3/shop/callback` });
  expect(sim.pay.orderByTradeNo(outTradeNo)).toBeUndefined(); // nothing went to v2

  const { deliveries } = await sim.payV3.pay(outTradeNo);
  expect(deliveries.map((d) => d.status)).toEqual([204]);
  const page = await browser.get(created.headers.location!);
  expect(page.text).toContain('<dd id="order-state">SUCCESS</dd>');
  expect(page.text).toContain(`<dd id="transaction-id">${order.transactionId}</dd>`);
});

/** The example on a server started first, so BASE_URL (where WeChat Pay notifies go) is its address. */
async function bootWithBaseUrl(log?: (line: string) => void) {
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  example = await createExampleApp({ BASE_URL: url }, log ? { log } : {});
  server.on('request', example.app);
}

test('offline on a desktop: the order page shows a QR image that a scanner reads as the order\'s code_url', async () => {
  await bootWithBaseUrl();
  const sim = example.context.simulator!;
  const browser = new Browser(url, example.context.simulatorUrl!, DESKTOP_UA);
  const qr = await browser.visit('/oauth/wechat/login?action=qrcode&next=%2Fshop');
  expect((await browser.submitSimForm(qr.res, qr.url, { user: 'dave' })).url).toBe(`${url}/shop`);
  const created = await browser.post('/shop/orders', { product: 'mug' }, 'form', { Origin: url });
  expect(created.status).toBe(303);
  const outTradeNo = created.headers.location!.split('/').pop()!;
  const order = sim.payV3.order(outTradeNo)!;
  expect(order.tradeType).toBe('NATIVE');

  const page = await browser.get(created.headers.location!);
  expect(page.text).toContain('<dd id="channel">WeChat Pay v3 NATIVE</dd>');
  const png = Buffer.from(/<img id="qr" src="data:image\/png;base64,([^"]+)"/.exec(page.text)![1]!, 'base64');
  expect(order.codeUrl).toMatch(/^weixin:\/\/wxpay\//);
  expect(decodeQrPng(png)).toBe(order.codeUrl);
  expect(page.text).not.toContain('weixin-jsbridge.js'); // the JSAPI bridge is for WeChat's browser only
});

test("the example's errorHandler: a Deny on WeChat's consent page gets the shop's own page; any other failure the router's default page", async () => {
  const lines: string[] = [];
  await bootWithBaseUrl((line) => void lines.push(line));
  const browser = new Browser(url, example.context.simulatorUrl!, WECHAT_UA);
  const consent = await browser.visit('/oauth/wechat/login?action=mp&scope=snsapi_userinfo&next=%2Fshop');
  const denied = await browser.submitSimForm(consent.res, consent.url, { decision: 'deny' });
  expect(denied.res.status).toBe(401);
  expect(denied.res.text).toContain('<h1 id="login-cancelled">You cancelled the login</h1>');
  expect(denied.res.text).toContain('href="/oauth/wechat/login?action=mp&amp;next=%2Fshop"'); // log in again, same next
  expect(lines).toContain("login cancelled by the user (mp): the shop's own page");
  expect((await browser.get('/profile', { Accept: 'application/json' })).status).toBe(401); // nobody logged in

  // A forged callback (no pending login in this browser): the hook sends nothing, the default page answers.
  const forged = await browser.get('/oauth/wechat/callback?code=forged&state=0123456789abcdef0123456789abcdef');
  expect(forged.status).toBeGreaterThanOrEqual(400);
  expect(forged.text).not.toContain('login-cancelled');
  expect(forged.text).toContain('/oauth/wechat/login'); // the default page's try-again link
});

/** WCAG's contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

test('the secondary button is readable: its text has a contrast of at least 4.5:1 (WCAG AA) on its background', () => {
  const rule = /\.button\.secondary,button\.secondary\{([^}]*)\}/.exec(STYLE)![1]!;
  const background = /background:(#[0-9a-f]{6})/i.exec(rule)![1]!;
  const color = /(?:^|;)color:(#[0-9a-f]{6})/i.exec(rule)![1]!;
  expect(contrast(color, background)).toBeGreaterThanOrEqual(4.5);
});

test('the banner names where accounts live: memory, or PostgreSQL without the password', () => {
  expect(describeAccounts({})).toMatch(/^in memory/);
  const pg = describeAccounts({ DATABASE_URL: 'postgres://shop:s3cret-pw@db.internal:5432/shop' });
  expect(pg).toBe('PostgreSQL at postgres://shop:***@db.internal:5432/shop, schema "public" (tables accounts, third_party_register)');
});
