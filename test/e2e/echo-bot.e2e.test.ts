/**
 * The example's echo bot in Chromium: the /echo-bot page links to the simulator's phone console;
 * on a phone-sized page a user writes to the official account and clicks a menu button, the
 * simulator posts the encrypted messages to the example's message server, and the passive
 * replies show in the chat.
 */
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.close();
});

test('echo bot: /echo-bot → the phone console → a text is echoed, a menu click answered', async () => {
  const desktop = await run.browser.newContext();
  const page = await desktop.newPage();
  await page.goto(run.url);
  await page.click('a[href="/echo-bot"]');
  const consoleUrl = (await page.getAttribute('#echo-console', 'href'))!;
  expect(consoleUrl).toContain('/sim/phone/console?appid=');

  const phoneContext = await run.browser.newContext({ viewport: { width: 375, height: 667 } });
  const phone = await phoneContext.newPage();
  await phone.goto(consoleUrl);
  await phone.fill('#send-text #user', 'erin');
  await phone.fill('#content', '今天有什么茶？');
  await phone.click('#send');
  await phone.waitForSelector('#reply');
  expect(await phone.textContent('#sent')).toBe('今天有什么茶？');
  expect(await phone.textContent('#reply')).toBe('你说：今天有什么茶？');
  await shot(phone, 'echo-01-phone-text');

  await phone.fill('#event-key', 'MENU_HELLO');
  await phone.click('#click');
  await phone.waitForSelector('#reply');
  expect(await phone.textContent('#reply')).toBe('你点了菜单 MENU_HELLO');
  // Nothing on the phone page scrolls sideways.
  expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await shot(phone, 'echo-02-phone-click');
  await phoneContext.close();
  await desktop.close();
});
