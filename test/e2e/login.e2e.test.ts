import { SIM_APPS } from '../../example-app/app';
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
  const context = await run.browser.newContext();
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

test('mp login with snsapi_userinfo: Deny on the consent page shows a clean error and logs nobody in', async () => {
  const context = await run.browser.newContext();
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

test('QR login: the embedded WxLogin widget, "Scan and confirm" in its iframe, lands on the profile', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  await page.goto(run.url);
  await page.click('#login-qr');
  const frameElement = await page.waitForSelector('iframe');
  const frame = (await frameElement.contentFrame())!;
  await frame.waitForSelector('#confirm');
  await frame.fill('#user', 'dave');
  await shot(page, '04-qr-widget');
  await Promise.all([page.waitForURL(`${run.url}/profile`), frame.click('#confirm')]);
  expect(await page.textContent('body')).toContain(run.example.context.simulator!.openidOf(QR.appid, 'dave'));
  await context.close();
});
