/**
 * 关注公众号登录 in Chromium: the example's desktop page shows the official account's QR code, a
 * second page (the phone) opens what the code encodes — the simulator's scan page — and follows;
 * the simulator posts the encrypted subscribe event to the example's message server, and the
 * desktop page, waiting on server-sent events, lands on the profile logged in as that user.
 */
import { SIM_APPS } from '../../example-app/app';
import { decodeQrPng } from '../follow/decode-qr';
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.close();
});

const MP = SIM_APPS.find((a) => a.type === 'mp')!;

test('desktop shows the QR code → the phone scans and follows → the desktop is logged in', async () => {
  const desktop = await run.browser.newContext();
  const page = await desktop.newPage();
  await page.goto(run.url);
  await page.click('a[href="/login/follow"]');
  const img = page.locator('#follow-qr');
  await img.waitFor({ state: 'visible' });
  const src = (await img.getAttribute('src'))!;
  // The image really is a QR code: read it as a phone camera would.
  const png = await (await page.request.get(src)).body();
  const scanned = decodeQrPng(png);
  expect(scanned).toMatch(new RegExp(`^${run.example.context.simulatorUrl}/sim/phone/scan\\?ticket=`));
  await shot(page, 'follow-01-desktop-qr');

  const phoneContext = await run.browser.newContext({ viewport: { width: 375, height: 667 } });
  const phone = await phoneContext.newPage();
  await phone.goto(scanned);
  await phone.fill('#user', 'dave');
  await shot(phone, 'follow-02-phone-scan');
  await phone.click('#follow');
  await phone.waitForSelector('#reply');
  expect(await phone.textContent('#reply')).toBe('登录成功');
  await shot(phone, 'follow-03-phone-reply');

  await page.waitForURL(`${run.url}/profile`);
  expect(await page.textContent('body')).toContain(run.example.context.simulator!.openidOf(MP.appid, 'dave'));
  await shot(page, 'follow-04-desktop-profile');
  await phoneContext.close();
  await desktop.close();
});

test("the package's own page (GET /oauth/wechat/follow) works under its CSP: the image shows, EventSource waits, the scan lands it on next", async () => {
  const desktop = await run.browser.newContext();
  const page = await desktop.newPage();
  const refused: string[] = [];
  page.on('console', (m) => m.type() === 'error' && refused.push(m.text()));
  await page.goto(`${run.url}/oauth/wechat/follow?next=%2Fprofile`);
  const img = page.locator('#qrcode');
  await img.waitFor({ state: 'visible' });
  // The image loaded from the simulator's mp host (a CSP refusal would leave it 0 wide).
  await page.waitForFunction(() => (document.getElementById('qrcode') as HTMLImageElement).naturalWidth > 0);
  const ticket = new URL((await img.getAttribute('src'))!).searchParams.get('ticket')!;
  await shot(page, 'follow-05-package-page');
  const pushed = await run.example.context.simulator!.scanQrcode({ ticket, user: 'erin', as: 'already' });
  expect(pushed.reply?.Content).toBe('登录成功');
  await page.waitForURL(`${run.url}/profile`);
  expect(await page.textContent('body')).toContain(run.example.context.simulator!.openidOf(MP.appid, 'erin'));
  expect(refused).toEqual([]);
  await desktop.close();
});
