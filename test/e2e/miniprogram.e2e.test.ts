/**
 * The example's "mini program" page in Chromium: the page's script plays the mini program against
 * the example and the simulator — log in with a code, the phone number by code, a subscribe
 * message, and a v3 JSAPI order for the mini program that the simulator pays and whose shipping
 * the verified notify uploads. Each step's answer is on the page; the simulator confirms it.
 */
import type { Page } from 'playwright-core';
import { TEMPLATE_ID } from '../../example-app/features/miniprogram';
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.example.context.simulator?.payV3.settled();
  await run?.close();
});

/** Click a step's button and wait until it says done (or failed), then its answer as JSON. */
async function runStep(page: Page, id: string): Promise<Record<string, unknown>> {
  await page.waitForFunction((s) => !(document.getElementById(s) as HTMLButtonElement).disabled, id);
  await page.click(`#${id}`);
  await page.waitForFunction((s) => /done|failed/.test(document.getElementById(`${s}-status`)!.textContent ?? ''), id, { timeout: 30_000 });
  const status = await page.textContent(`#${id}-status`);
  const answer = JSON.parse((await page.textContent(`#${id}-answer`)) ?? '{}') as Record<string, unknown>;
  expect([id, status, answer]).toEqual([id, 'done', answer]);
  return answer;
}

test('login → phone → subscribe message → a paid order whose shipping is uploaded, each with its answer on the page', async () => {
  const sim = run.example.context.simulator!;
  const mini = run.example.context.credentials.miniprogram!;
  const context = await run.browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${run.url}/mini-program`);
  expect(await page.textContent('h1')).toBe('Mini program');
  for (const later of ['phone', 'subscribe', 'pay']) expect(await page.isDisabled(`#${later}`)).toBe(true);
  await page.fill('#mini-user', 'mia');

  const login = await runStep(page, 'login');
  expect(login).toMatchObject({ sessionId: expect.stringMatching(/^[0-9a-f]{8}…$/), unionId: sim.unionidOf('mia') });
  expect(await page.textContent('#login-request')).toMatch(/^POST \/wx\/miniprogram\/login \{"code":"[^"]{8}…"\} {2}→ 200$/);

  const phone = await runStep(page, 'phone');
  expect(phone).toEqual({ phoneNumber: expect.stringMatching(/^13\d{9}$/), purePhoneNumber: phone.phoneNumber, countryCode: '86' });

  const subscribe = await runStep(page, 'subscribe');
  expect(subscribe).toEqual({ msgid: expect.stringMatching(/^\d+$/) });
  const openid = sim.openidOf(mini.appid, 'mia');
  expect(sim.sentSubscribes).toContainEqual(expect.objectContaining({ appid: mini.appid, touser: openid, template_id: TEMPLATE_ID, msgid: subscribe.msgid }));

  const pay = (await runStep(page, 'pay')) as { prepay: { outTradeNo: string; requestPayment: Record<string, string> }; payment: Record<string, unknown> };
  expect(pay.prepay.requestPayment).toMatchObject({ appId: mini.appid, signType: 'RSA', package: expect.stringMatching(/^prepay_id=/) });
  const order = sim.payV3.order(pay.prepay.outTradeNo)!;
  expect(order).toMatchObject({ tradeType: 'JSAPI', appid: mini.appid, openid, state: 'SUCCESS', total: 1 });
  expect(pay.payment).toMatchObject({ state: 'SUCCESS', transactionId: order.transactionId, notify: [204], shipping: { ok: true } });
  expect(pay.payment.shippingOrder).toMatchObject({ transactionId: order.transactionId, orderState: 2, shipping: { logisticsType: 3 } });
  await shot(page, '20-mini-program');
  await context.close();
});

test('the server routes need the mini-program login: without it, 401 and nothing is sent or ordered', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${run.url}/mini-program`);
  const statuses = await page.evaluate(async () => {
    const post = (url: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.status);
    return [await post('/mini-program/subscribe'), await post('/mini-program/orders')];
  });
  expect(statuses).toEqual([401, 401]);
  await context.close();
});
