import { createHash } from 'node:crypto';
import { shot, startExample, type Running } from './harness';

let run: Running;
beforeAll(async () => {
  run = await startExample();
});
afterAll(async () => {
  await run?.close();
});

test('a page loading /weixin-config.js gets a wx.config whose signature matches one recomputed from the ticket and the page URL', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  // A query string and a fragment: WeChat signs the URL with the query, without the fragment.
  await page.goto(`${run.url}/jssdk?from=timeline&isappinstalled=0#section`);
  await page.waitForFunction(() => document.getElementById('jssdk-verdict')?.textContent !== '(waiting)');
  const config = JSON.parse((await page.textContent('#jssdk-config'))!) as Record<string, unknown>;
  const ticket = run.example.context.simulator!.ticketsOf(String(config.appId)).at(-1)!;
  // Recomputed here from WeChat's published recipe, not with the package's own signer.
  const pageUrl = page.url().split('#')[0];
  const expected = createHash('sha1')
    .update(`jsapi_ticket=${ticket}&noncestr=${config.nonceStr}&timestamp=${config.timestamp}&url=${pageUrl}`)
    .digest('hex');
  expect(config.signature).toBe(expected);
  expect(config.jsApiList).toEqual(expect.arrayContaining(['updateAppMessageShareData']));
  expect(await page.textContent('#jssdk-verdict')).toMatch(/accepted/);
  await shot(page, '08-jssdk');
  await context.close();
});
