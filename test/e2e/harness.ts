import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createExampleApp, type ExampleApp } from '../../example-app/app';
import { launchChromium, SCREENSHOTS } from './browser';

export interface Running {
  example: ExampleApp;
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The example app exactly as `npm start` runs it (offline, on the simulator), plus Chromium. */
export async function startExample(env: Record<string, string> = {}): Promise<Running> {
  const example = await createExampleApp(env);
  // example.listen(): offline, the shop's notify URL is this address (never a request's Host).
  const { server, url } = await example.listen(0, '127.0.0.1');
  const browser = await launchChromium();
  return {
    example,
    url,
    browser,
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await example.close();
    },
  };
}

/** A screenshot, `<name>.png` in SCREENSHOTS (docs/screenshots/ with UPDATE_SCREENSHOTS=1). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
