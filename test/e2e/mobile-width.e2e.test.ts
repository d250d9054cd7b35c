/**
 * The example app on a phone: Chromium at 375×667 with WeChat's User-Agent. No page scrolls
 * sideways (`scrollWidth` of the document ≤ 375) — logged out, logged in, on an order before and
 * after payment and refund — and the "Log out" button stays on one line.
 */
import type { Page } from 'playwright-core';
import { WECHAT_UA } from '../oauth/harness';
import { startExample, type Running } from './harness';

const WIDTH = 375;

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.example.context.simulator?.payV3.settled();
  await run?.close();
});

/** The document's width and the widest element (to say what overflows when it fails). */
async function width(page: Page): Promise<{ path: string; scrollWidth: number; widest: string }> {
  return page.evaluate(() => {
    const right = (e: Element) => Math.max(e.getBoundingClientRect().right, e.getBoundingClientRect().left + e.scrollWidth);
    const widest = [...document.querySelectorAll('body *')].sort((a, b) => right(b) - right(a))[0];
    return { path: location.pathname, scrollWidth: document.documentElement.scrollWidth, widest: widest ? `${widest.tagName.toLowerCase()}#${widest.id} (${Math.round(right(widest))} px)` : '' };
  });
}

async function expectFits(page: Page, path?: string): Promise<void> {
  if (path) await page.goto(`${run.url}${path}`);
  const { path: at, scrollWidth, widest } = await width(page);
  // On failure the diff names the page, its width and its widest element.
  expect(`${at} ${scrollWidth <= WIDTH ? 'fits' : `is ${scrollWidth} px wide (widest: ${widest})`}`).toBe(`${at} fits`);
}

/** How many lines an element's text takes (one client rect per line box). */
const linesOf = (page: Page, selector: string) =>
  page.locator(selector).evaluate((e) => {
    const range = document.createRange();
    range.selectNodeContents(e);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  });

test('at 375 px in WeChat no page of the example app scrolls sideways: home, QR page, JSSDK, shop, consent, profile, account, orders (unpaid, paid, refunded), the Deny page', async () => {
  const context = await run.browser.newContext({ userAgent: WECHAT_UA, viewport: { width: WIDTH, height: 667 } });
  const page = await context.newPage();
  try {
    // Logged out.
    for (const path of ['/', '/login/qr', '/jssdk', '/shop']) await expectFits(page, path);

    // A Deny on the consent page: the example's own "you cancelled" page.
    await page.goto(`${run.url}/oauth/wechat/login?action=mp&scope=snsapi_userinfo&next=%2Fprofile`);
    await page.fill('#user', 'erin');
    await expectFits(page);
    await Promise.all([page.waitForURL(`${run.url}/**`), page.click('#deny')]);
    expect(await page.textContent('#login-cancelled')).toBe('You cancelled the login'); // the example's errorHandler page
    await expectFits(page);

    // Log in (mp, as inside WeChat): the first time goes through the consent page.
    await page.goto(`${run.url}/oauth/wechat/login?action=mp&next=%2Fprofile`);
    await page.fill('#user', 'erin');
    await Promise.all([page.waitForURL(`${run.url}/profile`), page.click('#approve')]);
    await expectFits(page);
    expect(await linesOf(page, '#logout')).toBe(1);

    for (const path of ['/', '/account', '/shop']) await expectFits(page, path);
    // The JSSDK page once its wx.config (long signature and URLs) is on it.
    await page.goto(`${run.url}/jssdk`);
    await page.waitForFunction(() => (document.getElementById('jssdk-config')?.textContent ?? '').includes('"signature"'));
    await expectFits(page);

    // An order: unpaid (JSAPI in WeChat), then paid, then refunded.
    await page.goto(`${run.url}/shop`);
    await Promise.all([page.waitForURL(/\/shop\/orders\/EX/), page.click('#buy-tea')]);
    await expectFits(page);
    const outTradeNo = new URL(page.url()).pathname.split('/').pop()!;
    await run.example.context.simulator!.payV3.pay(outTradeNo);
    await page.reload();
    expect(await page.textContent('#order-state')).toBe('SUCCESS');
    expect(await page.textContent('#order-status')).toBe('Paid ¥12.00. Thank you!');
    await expectFits(page);
    await Promise.all([page.waitForURL(page.url()), page.click('#refund')]);
    expect(await page.textContent('#order-state')).toBe('REFUND');
    expect(await page.textContent('#order-status')).toMatch(/^Refund(ed: ¥12\.00 is back| of ¥12\.00 requested)/); // feedback after the refund
    await expectFits(page);
    await expectFits(page, '/shop/orders/EXnosuchorder');
  } finally {
    await context.close();
  }
});

test('in WeChat no QR login is offered: not on home, and /login/qr offers the mp login instead; logged in, /login/qr goes to the profile', async () => {
  const context = await run.browser.newContext({ userAgent: WECHAT_UA, viewport: { width: WIDTH, height: 667 } });
  const page = await context.newPage();
  try {
    await page.goto(run.url);
    expect(await page.locator('#login-mp').count()).toBe(1);
    expect(await page.locator('#login-qr').count()).toBe(0);
    await page.goto(`${run.url}/login/qr`);
    expect(await page.locator('#login_container').count()).toBe(0);
    await Promise.all([page.waitForURL(/\/connect\/oauth2\/authorize/), page.click('#login-mp')]);
    await page.fill('#user', 'frank');
    await Promise.all([page.waitForURL(`${run.url}/profile`), page.click('#approve')]);
    await page.goto(`${run.url}/login/qr`);
    expect(new URL(page.url()).pathname).toBe('/profile');

    // Log out: home says so.
    await Promise.all([page.waitForURL(`${run.url}/?loggedout=1`), page.click('#logout')]);
    expect(await page.textContent('#flash')).toBe('You are logged out.');
    await expectFits(page);
  } finally {
    await context.close();
  }
});
