import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Where screenshots go: docs/screenshots (the README's pictures, tracked) only when
 * UPDATE_SCREENSHOTS=1, else the untracked .e2e-screenshots/, so a test run leaves the tree as it was.
 */
export const SCREENSHOTS = path.resolve(__dirname, '../..', process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.e2e-screenshots');

/**
 * Debian's Chromium, never a downloaded browser. The flags keep it off the network (this machine
 * has none) and quiet; Playwright gives each launch a fresh temporary profile.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
