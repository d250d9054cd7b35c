/**
 * The simulator's /sim/codes page hands out mini-program phone codes per user, with the curl line
 * that exchanges one through `POST /wx/miniprogram/phone` — run here against a real backend.
 */
import request from 'supertest';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import * as native from '../native/harness';

const { MINI, MOBILE } = native;
/** The page's HTML escapes (named and numeric) back to text. */
const decode = (html: string) =>
  html.replace(/&#(\d+);/g, (_m, d: string) => String.fromCharCode(Number(d))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

let redis: TestRedis;
let sim: native.SimHandle;
beforeAll(async () => {
  redis = await createTestRedis('phone-codes-page');
  sim = await native.startSimulator();
});
afterAll(async () => {
  await sim.close();
  await redis.close();
});

const post = (form: Record<string, string>) => request(sim.url).post('/sim/codes').type('form').send({ app_url: 'http://localhost:3000', ...form });

describe('/sim/codes: phone codes', () => {
  test('the page offers a phone field and a "Get a phone code" button next to the login code', async () => {
    const page = await request(sim.url).get('/sim/codes');
    expect(page.text).toContain('id="get-phone-code"');
    expect(page.text).toContain('id="phone"');
    expect(page.text).toContain('id="get-code"');
  });

  test("a phone code for the user's own number, with the curl line that the backend answers with that number", async () => {
    const res = await post({ appid: MINI.appid, user: 'carol', kind: 'phone' });
    expect(res.status).toBe(200);
    const code = /<code id="code">([^<]+)<\/code>/.exec(res.text)![1]!;
    const number = /<span id="phone-number">(\d+)<\/span>/.exec(res.text)![1]!;
    expect(code).toMatch(/^[0-9a-f]{64}$/);
    expect(number).toMatch(/^13\d{9}$/);
    const curl = decode(/<pre id="curl">([^<]+)<\/pre>/.exec(res.text)![1]!);
    expect(curl).toBe(`curl -X POST http://localhost:3000/wx/miniprogram/phone -H 'X-Session-Id: <sessionId from the login>' -H 'Content-Type: application/json' -d '{"code":"${code}"}'`);

    // What the newcomer does: log in with a login code from the same page, then run the line with the session id.
    const api = native.startApp(sim, redis);
    const loginPage = await post({ appid: MINI.appid, user: 'carol' });
    const loginCode = /<code id="code">([^<]+)<\/code>/.exec(loginPage.text)![1]!;
    const { body: session } = await request(api.app).post('/wx/miniprogram/login').send({ code: loginCode });
    const body = /-d '([^']+)'/.exec(curl)![1]!;
    const answer = await request(api.app).post('/wx/miniprogram/phone').set('X-Session-Id', session.sessionId).set('Content-Type', 'application/json').send(body);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ phoneNumber: number, purePhoneNumber: number, countryCode: '86' });
  });

  test('a number typed in the form is the one answered; the same user always gets the same default number', async () => {
    const typed = await post({ appid: MINI.appid, user: 'dave', kind: 'phone', phone: '13511112222' });
    expect(typed.text).toContain('<span id="phone-number">13511112222</span>');
    const a = /<span id="phone-number">(\d+)<\/span>/.exec((await post({ appid: MINI.appid, user: 'erin', kind: 'phone' })).text)![1];
    const b = /<span id="phone-number">(\d+)<\/span>/.exec((await post({ appid: MINI.appid, user: 'erin', kind: 'phone' })).text)![1];
    expect(a).toBe(b);
  });

  test('a phone code for a native app, or a number that is not 5–15 digits, is a 400 with the reason and no code', async () => {
    const forms: Array<Record<string, string>> = [{ appid: MOBILE.appid, user: 'alice', kind: 'phone' }, { appid: MINI.appid, user: 'alice', kind: 'phone', phone: '12ab' }];
    for (const form of forms) {
      const res = await post(form);
      expect(res.status).toBe(400);
      expect(res.text).toContain('id="error"');
      expect(res.text).not.toContain('id="code"');
    }
  });
});
