/**
 * The pages in a real browser (Debian's Chromium via playwright-core): Approve / Deny on the
 * consent page, and "Scan and confirm" inside a cross-origin iframe navigating the top window,
 * as it must when the WxLogin widget embeds the QR page.
 */
import http from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Frame, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../e2e/browser';
import { MP, QR, WECHAT_UA, exchange, startSim, type Harness } from './helpers';

/**
 * The QR page's frame. The tests below dispatch the click event rather than `click()`: under
 * jest, Playwright's hit-target check never settled for this cross-origin frame (the same
 * page clicks fine from a plain script, and test/e2e/login.e2e.test.ts clicks the real widget).
 */
async function qrFrame(page: Page): Promise<Frame> {
  const element = await page.waitForSelector('#wx');
  const frame = await element.contentFrame();
  if (!frame) throw new Error('the QR iframe has no frame');
  await frame.waitForSelector('#confirm');
  return frame;
}

const describeBrowser = existsSync(CHROMIUM) ? describe : describe.skip;

describeBrowser('simulator pages in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let appServer: http.Server;
  let appUrl: string;

  beforeAll(async () => {
    h = await startSim();
    // A stand-in for the app: another origin ("localhost" vs the simulator's "127.0.0.1").
    appServer = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/embed') {
        const src = `${h.url}/connect/qrconnect?${url.searchParams.toString()}`;
        res.setHeader('Content-Type', 'text/html');
        // The sandbox WxLogin sets on its iframe (no allow-forms), unless ?plain=1.
        const sandbox = url.searchParams.get('plain') ? '' : ' sandbox="allow-scripts allow-top-navigation allow-same-origin"';
        res.end(`<!doctype html><h1>App</h1><iframe id="wx" src="${src.replace(/&/g, '&amp;')}"${sandbox} width="400" height="600"></iframe>`);
        return;
      }
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><p id="landed">${url.pathname}</p>`);
    });
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    appUrl = `http://localhost:${(appServer.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => appServer?.close(resolve));
    await h?.close();
  });

  const authorizeUrl = (state: string) =>
    `${h.url}/connect/oauth2/authorize?appid=${MP.appid}&redirect_uri=${encodeURIComponent(`${appUrl}/callback`)}&response_type=code&scope=snsapi_userinfo&state=${state}#wechat_redirect`;

  it('consent page: Approve lands on redirect_uri with a code for the typed user', async () => {
    const page = await browser.newPage({ userAgent: WECHAT_UA });
    await page.goto(authorizeUrl('approve1'));
    await page.fill('#user', 'grace');
    await Promise.all([page.waitForURL(`${appUrl}/callback?**`), page.click('#approve')]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe('approve1');
    const token = await exchange(h, MP, landed.searchParams.get('code')!);
    expect(token.openid).toBe(h.sim.openidOf(MP.appid, 'grace'));
    await page.close();
  });

  it('consent page: Deny lands on redirect_uri with state and no code', async () => {
    const page = await browser.newPage({ userAgent: WECHAT_UA });
    await page.goto(authorizeUrl('deny1'));
    await Promise.all([page.waitForURL(`${appUrl}/callback?**`), page.click('#deny')]);
    expect(page.url()).toBe(`${appUrl}/callback?state=deny1`);
    await page.close();
  });

  it.each([
    ['a sandboxed', {}],
    ['an unsandboxed', { plain: '1' }],
  ])('qrconnect in %s cross-origin iframe: Scan and confirm navigates the top window', async (_name, extra) => {
    const page = await browser.newPage();
    const q = new URLSearchParams({ appid: QR.appid, redirect_uri: `${appUrl}/callback`, response_type: 'code', scope: 'snsapi_login', state: 'qr1', self_redirect: 'default', ...extra });
    await page.goto(`${appUrl}/embed?${q}`);
    const frame = await qrFrame(page);
    await frame.dispatchEvent('#confirm', 'click');
    await page.waitForURL(`${appUrl}/callback?**`);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe('qr1');
    const token = await exchange(h, QR, landed.searchParams.get('code')!);
    expect(token.scope).toBe('snsapi_login');
    await page.close();
  });

  it('qrconnect with self_redirect=true navigates only the frame', async () => {
    const page = await browser.newPage();
    const q = new URLSearchParams({ appid: QR.appid, redirect_uri: `${appUrl}/callback`, response_type: 'code', scope: 'snsapi_login', state: 'qr2', self_redirect: 'true' });
    await page.goto(`${appUrl}/embed?${q}`);
    const frame = await qrFrame(page);
    await frame.dispatchEvent('#confirm', 'click');
    await frame.waitForSelector('#landed');
    expect(page.url()).toContain('/embed?');
    const frameUrl = page.frames().find((f) => f.url().includes('/callback'))?.url();
    expect(new URL(frameUrl!).searchParams.get('state')).toBe('qr2');
    await page.close();
  });
});
