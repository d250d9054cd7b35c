/** The shop on WeChat Pay v2 (PAY_API=v2) in Chromium; v3, the default, is shop-v3.e2e.test.ts. */
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample({ PAY_API: 'v2' });
});
afterAll(async () => {
  await run?.close();
});

test("v2 shop checkout: order → Pay on the simulator's v2 cashier → the notify marks the order paid → refund", async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${run.url}/shop`);
  // Buying needs a login (orders belong to the buyer): QR login on the simulator, back to /shop.
  await Promise.all([page.waitForURL(/\/connect\/qrconnect/), page.click('#login-to-buy')]);
  await Promise.all([page.waitForURL(`${run.url}/shop`), page.click('#confirm')]);
  await shot(page, '05-shop');
  const buy = page.locator('button[id^="buy-"]').first();
  await Promise.all([page.waitForURL(/\/shop\/orders\/EX/), buy.click()]);
  expect(await page.textContent('#order-state')).toBe('NOTPAY');
  expect(await page.textContent('#channel')).toBe('WeChat Pay v2 NATIVE');
  const orderUrl = page.url();

  await Promise.all([page.waitForURL(/\/sim\/pay\/cashier/), page.click('#pay-button')]);
  await page.waitForSelector('#pay');
  await shot(page, '06-cashier');
  await page.click('#pay');

  // The simulator sends the signed notify to the shop's callback; the shop's handler marks the
  // order paid exactly once. The order page shows it (the cashier links back to it).
  let state: string | null = null;
  for (let i = 0; i < 50 && state !== 'SUCCESS'; i++) {
    if (i) await page.waitForTimeout(200);
    await page.goto(orderUrl);
    state = await page.textContent('#order-state');
  }
  expect(state).toBe('SUCCESS');
  expect(await page.textContent('#transaction-id')).toMatch(/^\d{20,}$/);
  await shot(page, '07-order-paid');

  await Promise.all([page.waitForURL(orderUrl), page.click('#refund')]);
  expect(await page.textContent('#order-state')).toBe('REFUND');
  await context.close();
});
