/**
 * The example's "Codes & links" page in Chromium on a phone-sized screen: the code image loads
 * and decodes to the scene typed in, the link button shows a URL Link and a Short Link, and
 * nothing scrolls sideways.
 */
import { decodeQr } from '../client/qr-image';
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.close();
});

test('a scene typed in becomes a code that decodes to it; the links appear on the button', async () => {
  const mini = run.example.context.credentials.miniprogram!;
  const context = await run.browser.newContext({ viewport: { width: 375, height: 667 } });
  const page = await context.newPage();
  await page.goto(`${run.url}/mini-program/codes`);
  expect(await page.textContent('h1')).toBe('Codes & links');
  await page.fill('#scene', 'table=7&seat=2');
  await Promise.all([page.waitForURL(/scene=table%3D7%26seat%3D2/), page.click('#make-code')]);
  await page.waitForFunction(() => (document.getElementById('wxacode') as HTMLImageElement).complete && (document.getElementById('wxacode') as HTMLImageElement).naturalWidth > 0);
  expect(await page.evaluate(() => (document.getElementById('wxacode') as HTMLImageElement).naturalWidth)).toBe(280);
  const src = await page.getAttribute('#wxacode', 'src');
  const image = await page.request.get(`${run.url}${src}`);
  expect(image.headers()['content-type']).toBe('image/png');
  expect(decodeQr(await image.body())).toBe(`wxacode:${mini.appid}:pages/index/index?scene=${encodeURIComponent('table=7&seat=2')}`);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await shot(page, '21-mini-program-code');

  await Promise.all([page.waitForURL(/\/mini-program\/codes\/link$/), page.click('#make-link')]);
  expect(await page.textContent('#url-link')).toMatch(/^https:\/\/wxaurl\.cn\/[A-Za-z0-9]+$/);
  expect(await page.textContent('#short-link')).toMatch(/^#小程序:\/\//);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await context.close();
});
