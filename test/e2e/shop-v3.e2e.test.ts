/**
 * The shop on WeChat Pay v3 (the default) in Chromium: JSAPI with a WeChat User-Agent through the
 * simulator's WeixinJSBridge stand-in and cashier, then a refund; a Native QR code on a desktop,
 * paid from a second "phone" on the simulator's native page while the order page waits.
 */
import type { Page } from 'playwright-core';
import { WECHAT_UA } from '../oauth/harness';
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.example.context.simulator?.payV3.settled();
  await run?.close();
});

/** The order page redraws itself (it polls the order's status): wait for it, never reload. */
async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent === t, [selector, text], { timeout: 30_000 });
}

const idOf = (url: string) => new URL(url).pathname.split('/').pop()!;

test('JSAPI in WeChat: log in, buy, the bridge stand-in opens the cashier, pay → the v3 notify marks the order paid → refund → the refund notify', async () => {
  const sim = run.example.context.simulator!.payV3;
  const context = await run.browser.newContext({ userAgent: WECHAT_UA, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${run.url}/shop`);
  // In WeChat the login is the official account's (its openid is what JSAPI pays with).
  await Promise.all([page.waitForURL(/\/connect\/oauth2\/authorize/), page.click('#login-to-buy')]);
  await page.fill('#user', 'bob');
  await Promise.all([page.waitForURL(`${run.url}/shop`), page.click('#approve')]);
  await Promise.all([page.waitForURL(/\/shop\/orders\/EX/), page.click('#buy-tea')]);
  expect(await page.textContent('#channel')).toBe('WeChat Pay v3 JSAPI');
  expect(await page.textContent('#order-state')).toBe('NOTPAY');
  const outTradeNo = idOf(page.url());

  // WeixinJSBridge.invoke('getBrandWCPayRequest', …): the simulator checks paySign, shows its cashier.
  const pay = page.locator('#pay-button');
  await pay.waitFor();
  await page.waitForFunction(() => !(document.getElementById('pay-button') as HTMLButtonElement).disabled);
  await shot(page, '09-v3-jsapi-order');
  await pay.click();
  const cashier = page.frameLocator('#wxsim-cashier');
  await cashier.locator('#pay').waitFor();
  expect(await cashier.locator('#payer').textContent()).toBe('bob');
  expect(await cashier.locator('#amount').textContent()).toBe('¥12.00');
  await shot(page, '10-v3-jsapi-cashier');
  await cashier.locator('#pay').click();

  // get_brand_wcpay_request:ok → the page waits for the server, which the verified notify updated.
  await waitForText(page, '#order-state', 'SUCCESS');
  const order = sim.order(outTradeNo)!;
  expect(order).toMatchObject({ tradeType: 'JSAPI', state: 'SUCCESS', openid: run.example.context.simulator!.openidOf(order.appid, 'bob') });
  expect(await page.textContent('#transaction-id')).toBe(order.transactionId);
  expect(sim.deliveries.filter((d) => d.id === order.transactionId).map((d) => d.status)).toEqual([204]);
  expect(await page.locator('#history li', { hasText: 'notify: paid' }).count()).toBe(1);
  await shot(page, '11-v3-jsapi-paid');

  await Promise.all([page.waitForURL(page.url()), page.click('#refund')]);
  expect(await page.textContent('#order-state')).toBe('REFUND');
  await waitForText(page, '#refund-status', 'SUCCESS');
  expect(await page.locator('#history li', { hasText: 'notify: refund SUCCESS' }).count()).toBe(1);
  expect(sim.refund(`${outTradeNo}R`)).toMatchObject({ status: 'SUCCESS', refund: 1200 });
  await shot(page, '12-v3-refunded');
  await context.close();
});

test('Native QR on a desktop: the order page shows a QR image that loads; paid on the simulator\'s native page, the page shows paid by itself', async () => {
  const sim = run.example.context.simulator!.payV3;
  const context = await run.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${run.url}/shop`);
  await Promise.all([page.waitForURL(/\/connect\/qrconnect/), page.click('#login-to-buy')]);
  await Promise.all([page.waitForURL(`${run.url}/shop`), page.click('#confirm')]);
  await Promise.all([page.waitForURL(/\/shop\/orders\/EX/), page.click('#buy-mug')]);
  expect(await page.textContent('#channel')).toBe('WeChat Pay v3 NATIVE');
  const outTradeNo = idOf(page.url());

  const qr = page.locator('img#qr');
  expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
  const size = await qr.evaluate((img: HTMLImageElement) => (img.complete ? { w: img.naturalWidth, h: img.naturalHeight } : null));
  expect(size!.w).toBeGreaterThan(0);
  expect(size!.h).toBe(size!.w);
  expect(await page.textContent('#code-url')).toBe(sim.order(outTradeNo)!.codeUrl);
  expect(await page.locator('#sync').textContent()).toBe('Paid? Check status');
  await shot(page, '13-v3-native-qr');

  // The payer's phone: the simulator's native page for this code (its own QR of code_url), scan, pay.
  const phone = await run.browser.newPage();
  await phone.goto(`${run.example.context.simulatorUrl}${sim.nativePath(outTradeNo)}`);
  expect(await phone.locator('#qr').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await Promise.all([phone.waitForURL(/\/sim\/pay\/v3\/cashier/), phone.click('#scan')]);
  await phone.fill('#user', 'carol');
  await Promise.all([phone.waitForSelector('#paid'), phone.click('#pay')]);
  await phone.close();

  // No reload here: the order page polls its status and redraws once the notify marked it paid.
  await waitForText(page, '#order-state', 'SUCCESS');
  expect(await page.textContent('#transaction-id')).toBe(sim.order(outTradeNo)!.transactionId);
  expect(await page.locator('img#qr').count()).toBe(0);
  await shot(page, '14-v3-native-paid');
  await context.close();
});
