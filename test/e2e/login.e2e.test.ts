import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { SIM_APPS } from '../../example-app/app';
import { CHROMIUM } from './browser';
import { WECHAT_UA } from '../oauth/harness';
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.close();
});

const MP = SIM_APPS.find((a) => a.type === 'mp')!;
const QR = SIM_APPS.find((a) => a.type === 'qrcode')!;

test('mp login: the consent page Approve button logs the user in and lands on the profile', async () => {
  // WeChat's browser: the simulator, like WeChat, refuses official-account login elsewhere.
  const context = await run.browser.newContext({ userAgent: WECHAT_UA });
  const page = await context.newPage();
  await page.goto(run.url);
  await shot(page, '01-home');
  await page.click('#login-mp');
  // First visit: silent snsapi_base, the app does not know the user → upgrade to the consent page.
  await page.waitForSelector('#approve');
  await page.fill('#user', 'bob');
  await shot(page, '02-mp-consent');
  await page.click('#approve');
  await page.waitForURL(`${run.url}/profile`);
  const text = await page.textContent('body');
  expect(text).toContain(run.example.context.simulator!.openidOf(MP.appid, 'bob'));
  await shot(page, '03-mp-profile');
  await context.close();
});

test('mp login inside WeChat lands on next exactly: no #wechat_redirect in the address bar, neither after consent nor on a silent login', async () => {
  const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
  const context = await run.browser.newContext({ userAgent: ua, locale: 'zh-CN' });
  const page = await context.newPage();
  const next = `${run.url}/profile`;
  // First login: silent snsapi_base (WeChat's 302 carries #wechat_redirect to the callback), then the upgrade's consent page.
  await page.goto(`${run.url}/oauth/wechat/login?action=mp&next=%2Fprofile`);
  await page.waitForSelector('#approve');
  await page.fill('#user', 'erin');
  await page.click('#approve');
  await page.waitForURL((u) => u.pathname === '/profile');
  await page.waitForLoadState('load');
  expect(page.url()).toBe(next);
  // Second login (the login route always goes to WeChat): the user is known, so it is silent all the way — the path where the fragment used to stick.
  await page.goto(`${run.url}/oauth/wechat/login?action=mp&next=%2Fprofile`);
  await page.waitForURL((u) => u.pathname === '/profile');
  await page.waitForLoadState('load');
  expect(page.url()).toBe(next);
  expect(await page.evaluate(() => location.hash)).toBe('');
  expect(await page.textContent('body')).toContain(run.example.context.simulator!.openidOf(MP.appid, 'erin'));
  await context.close();
});

test('mp login with snsapi_userinfo: Deny on the consent page shows a clean error and logs nobody in', async () => {
  const context = await run.browser.newContext({ userAgent: WECHAT_UA });
  const page = await context.newPage();
  await page.goto(`${run.url}/oauth/wechat/login?action=mp&scope=snsapi_userinfo&next=%2Fprofile`);
  await page.waitForSelector('#deny');
  await page.fill('#user', 'carol');
  await page.click('#deny');
  await page.waitForLoadState('domcontentloaded');
  expect(page.url().startsWith(run.url)).toBe(true);
  const body = (await page.textContent('body')) ?? '';
  expect(body).toMatch(/cancel/i);
  expect(body).not.toMatch(/at \w+ \(|node_modules/); // no stack trace
  await page.goto(`${run.url}/profile`, { waitUntil: 'domcontentloaded' });
  expect(page.url()).not.toBe(`${run.url}/profile`); // requireLogin sent us to log in again
  await context.close();
});

test('QR login: the embedded widget fetches its iframe URL (no state in the script), "Scan and confirm" in its iframe, lands on the profile', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const script = page.waitForResponse((r) => r.url().includes('/weixin-login.js'));
  const fetched = page.waitForResponse((r) => r.url().includes('/oauth/wechat/qrconnect?'));
  await page.goto(run.url);
  await page.click('#login-qr');
  const scriptRes = await script;
  expect(scriptRes.headers()['cross-origin-resource-policy']).toBe('same-origin');
  expect(await scriptRes.text()).not.toMatch(/[a-f0-9]{32}|state/);
  const qrconnect = await fetched;
  expect(qrconnect.request().headers()['x-wxauth-widget']).toBe('1');
  const { url } = (await qrconnect.json()) as { url: string };
  const frameElement = await page.waitForSelector('iframe');
  expect(await frameElement.getAttribute('src')).toBe(url);
  const frame = (await frameElement.contentFrame())!;
  await frame.waitForSelector('#confirm');
  await frame.fill('#user', 'dave');
  await shot(page, '04-qr-widget');
  await Promise.all([page.waitForURL(`${run.url}/profile`), frame.click('#confirm')]);
  expect(await page.textContent('body')).toContain(run.example.context.simulator!.openidOf(QR.appid, 'dave'));
  await context.close();
});

test('login CSRF from a sibling subdomain: its page can neither run /weixin-login.js nor fetch a QR login URL', async () => {
  // shop.wxauth.test is the app, evil.wxauth.test the attacker's page: same site, other origins.
  const port = new URL(run.url).port;
  const shop = `http://shop.wxauth.test:${port}`;
  const evil = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><div id="login_container"></div>
<script src="${shop}/weixin-login.js?next=%2Fprofile"></script>
<script>
  window.stolen = fetch("${shop}/oauth/wechat/qrconnect?next=%2Fprofile", { credentials: "include", headers: { "X-WxAuth-Widget": "1" } })
    .then(function (r) { return r.text(); }, function (e) { return "blocked: " + e.message; });
</script>`);
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const evilUrl = `http://evil.wxauth.test:${(evil.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', `--host-resolver-rules=MAP *.wxauth.test 127.0.0.1`] });
  try {
    const page = await browser.newPage();
    await page.goto(`${shop}/`); // the victim has visited the shop (cookies for it may exist)
    expect(await page.textContent('body')).toContain('express-wxauth example');
    const scriptLoads: string[] = [];
    page.on('response', (r) => void (r.url().includes('/weixin-login.js') && scriptLoads.push(String(r.status()))));
    page.on('requestfailed', (r) => void (r.url().includes('/weixin-login.js') && scriptLoads.push(`failed ${r.failure()?.errorText}`)));
    await page.goto(evilUrl);
    expect(await page.evaluate(() => (window as unknown as { stolen: Promise<string> }).stolen)).toMatch(/^blocked: /);
    expect(scriptLoads).toEqual([expect.stringMatching(/^(403|failed)/)]);
    await page.waitForTimeout(500); // give a widget that did run the time to render (it must not)
    expect(await page.$('iframe')).toBeNull();
    expect(await page.content()).not.toMatch(/[a-f0-9]{32}/);
  } finally {
    await browser.close();
    evil.closeAllConnections();
    await new Promise((r) => evil.close(r));
  }
});
