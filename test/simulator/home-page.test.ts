/**
 * The simulator's home page (`GET /`) is where a person running the example app starts: every
 * link it shows answers over HTTP, including the phone's pages (scan a follow QR code, the
 * message console), which it shows only when an official account is configured.
 */
import { createSimulator } from '../../lib/simulator';
import { MINI, MOBILE, startSim, type Harness } from './helpers';

const hrefs = (html: string): Map<string, string> => new Map([...html.matchAll(/<a id="([\w-]+)" href="([^"]+)"/g)].map((m) => [m[1]!, m[2]!]));

describe('with an official account', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  test('links the phone: the scan page and the message console', async () => {
    const links = hrefs((await h.http.get('/')).text);
    expect(links.get('phone-scan-link')).toBe('/sim/phone/scan');
    expect(links.get('phone-console-link')).toBe('/sim/phone/console');
  });

  test('every link on it answers 200 with a page', async () => {
    const links = [...hrefs((await h.http.get('/')).text).values()];
    expect(links).toEqual(expect.arrayContaining(['/sim/codes', '/sim/phone/scan', '/sim/phone/console']));
    for (const href of links) {
      const res = await h.http.get(href);
      expect([href, res.status, res.type]).toEqual([href, 200, 'text/html']);
    }
  });

  test('the scan page lists no code before an app asked for one, and the console offers the account', async () => {
    expect((await h.http.get('/sim/phone/scan')).text).toContain('id="none"');
    expect((await h.http.get('/sim/phone/console')).text).toContain('value="wxmp000000000001"');
  });
});

test('without an official account the phone links are left out (both pages are an official account\'s)', async () => {
  const sim = createSimulator({ apps: [MOBILE, MINI] });
  const { url, close } = await sim.listen();
  try {
    const html = await (await fetch(`${url}/`)).text();
    expect(hrefs(html).has('phone-scan-link')).toBe(false);
    expect(hrefs(html).has('phone-console-link')).toBe(false);
    expect(hrefs(html).get('codes-link')).toBe('/sim/codes');
  } finally {
    await close();
  }
});
