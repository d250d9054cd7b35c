/**
 * Every route of a fully configured router (mp, qrcode, mobile, mini program, JSSDK, pay) under
 * each identity storage (session, cookie, jwt), fed random and adversarial requests: query
 * strings, headers, cookies, bearer tokens, JSON / XML / form / binary bodies. WeChat (the
 * simulator) stays healthy, so any 5xx would come from bad input — and none may. No answer may
 * carry a stack trace or a secret, or echo injected markup into an HTML page, or hang.
 *
 * Reproducible: fixed seed, bounded runs (`FUZZ_RUNS`, default 300 per route and storage).
 */
import fc from 'fast-check';
import request from 'supertest';
import { isWxAuthError } from '../../lib';
import { printable, requestTo, type Pool } from './fuzz-inputs';
import { buildApp, fullOptions, leaks, MINI, MOBILE, MP, QR, startSim, Tally, type AppHandle, type SimHandle, type Storage } from './harness';
import { closeAgent, sendRaw, type RawResponse } from './raw-http';

const SEED = 20240607;
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

let sim: SimHandle;
const tally = new Tally('fuzz');
const statuses = new Map<number, number>();

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  closeAgent();
  await sim.close();
  tally.flush({ runsPerRoute: RUNS, seed: SEED, statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)) });
});

interface Route {
  method: string;
  label: string;
  path: fc.Arbitrary<string>;
}
const at = (method: string, path: string): Route => ({ method, label: path, path: fc.constant(path) });
const ROUTES: Route[] = [
  at('GET', '/oauth/wechat/login'),
  at('GET', '/oauth/wechat/callback'),
  at('GET', '/weixin-login.js'),
  at('POST', '/oauth/wechat/mobile'),
  at('POST', '/oauth/wechat/logout'),
  at('POST', '/wx/oauth/login'),
  at('PUT', '/wx/oauth/refresh'),
  at('DELETE', '/wx/oauth/session'),
  at('GET', '/wx/oauth/callback'),
  at('POST', '/wx/miniprogram/login'),
  at('POST', '/wx/miniprogram/decrypt'),
  at('DELETE', '/wx/miniprogram/session'),
  at('GET', '/weixin-config.js'),
  at('GET', '/weixin-config.json'),
  at('POST', '/wxpay/pay/callback'),
  at('POST', '/wxpay/refund/callback'),
  {
    method: 'POST',
    label: '/wxpay/<random type>/callback',
    path: fc.oneof(fc.constantFrom('shop', 'refund', '..', '%2e%2e', '%', 'a'.repeat(40)), printable(12).map((s) => s.replace(/[/?#]/g, ''))).map((t) => `/wxpay/${t}/callback`),
  },
  // The app's own route behind requireLogin (router.auth on a miss).
  at('GET', '/profile'),
];
const SEGMENTS = fc.oneof(fc.constantFrom('wx', 'oauth', 'wechat', 'wxpay', 'miniprogram', 'callback', '..', '%2e%2e', '%2f', '%', '%00', ''), printable(10).map((s) => s.replace(/[?#]/g, '')));
const ANY_METHOD = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
ROUTES.push({ method: '(any)', label: '<random path>', path: fc.array(SEGMENTS, { minLength: 1, maxLength: 5 }).map((segs) => `/${segs.join('/')}`) });

/** A login of each kind, so the pool holds live states, binding cookies, session ids and tokens. */
async function poolFor(h: AppHandle): Promise<Pool> {
  const pool: Pool = { states: [], bindings: [], sessionIds: [], tokens: [], appids: [MP.appid, QR.appid, MOBILE.appid, MINI.appid], pageUrls: [`${h.url}/page`, 'http://127.0.0.1/p?x=1#f'] };
  for (const action of ['mp', 'qrcode']) {
    const res = await request(h.url).get('/oauth/wechat/login').query({ action });
    pool.states.push(new URL(res.headers.location!).searchParams.get('state')!);
    for (const c of [res.headers['set-cookie'] ?? []].flat()) pool.bindings.push(c.split(';')[0]!.split('=')[1]!);
  }
  const native = await request(h.url).post('/wx/oauth/login').set({ 'X-Client-Type': 'ios', 'X-App-Id': MOBILE.appid }).send({ code: sim.sim.issueCode(MOBILE.appid) });
  const mini = await request(h.url).post('/wx/miniprogram/login').send({ code: sim.sim.issueCode(MINI.appid) });
  const mobile = await request(h.url).post('/oauth/wechat/mobile').send({ code: sim.sim.issueCode(MOBILE.appid) });
  for (const res of [native, mini, mobile]) {
    expect(res.status).toBe(200);
    if (res.body.sessionId) pool.sessionIds.push(res.body.sessionId);
    if (res.body.token) pool.tokens.push(res.body.token);
    // A real login cookie (cookie storage) or session cookie, to be sent under any name.
    for (const c of [res.headers['set-cookie'] ?? []].flat()) pool.bindings.push(c.split(';')[0]!.split('=').slice(1).join('='));
  }
  if (!pool.tokens.length) pool.tokens.push('no.real.token');
  return pool;
}

/** Everything an answer must never be, whatever was asked. */
function problems(res: RawResponse): string[] {
  const text = `${res.status}\n${JSON.stringify(res.headers)}\n${res.text}`;
  const found = leaks(text);
  if (res.status >= 500) found.push(`HTTP ${res.status}: ${res.text.slice(0, 200)}`);
  if (/html/.test(String(res.headers['content-type'])) && /<script>alert\(1\)|<img src=x onerror/i.test(res.text)) found.push('injected markup echoed into HTML');
  return found;
}

describe.each<Storage>(['session', 'cookie', 'jwt'])('storage %s', (storage) => {
  let h: AppHandle;
  let pool: Pool;

  beforeAll(async () => {
    h = buildApp(fullOptions(sim.url, storage));
    await h.listen();
    pool = await poolFor(h);
  });
  afterAll(async () => {
    // Nothing untyped reached the app's error handler, and nothing there was the app's fault to answer 5xx.
    for (const error of h.appErrors) {
      expect(isWxAuthError(error) && error.status < 500).toBe(true);
    }
    expect(leaks(h.logger.text())).toEqual([]);
    await h.close();
  });

  test.each(ROUTES.map((r) => [r.method, r.label, r] as const))('%s %s: no 5xx, stack trace, secret or reflected markup', async (_method, _label, route) => {
    tally.cases++;
    // Built once per route (building arbitraries such as fc.jsonValue() is the costly part).
    const arbitrary = requestTo(pool, route.method === '(any)' ? fc.constantFrom(...ANY_METHOD) : fc.constant(route.method), route.path);
    await fc.assert(
      fc.asyncProperty(arbitrary, async (req) => {
        tally.requests++;
        const res = await sendRaw(h.url, req);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const found = problems(res);
        if (found.length) tally.failures++;
        expect(found).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

test('regression: a notify path whose type is malformed percent-encoding gets WeChat-style FAIL XML, not a URIError', async () => {
  // Found by this fuzzer: Express decodes `:type` before our route runs, so the URIError skipped
  // the route's own error handler and reached the app's (Express's default prints a stack).
  const h = buildApp(fullOptions(sim.url, 'cookie'));
  for (const type of ['%', '%E0%A4%A', 'a%zz']) {
    const res = await request(h.app).post(`/wxpay/${type}/callback`).type('text/xml').send('<xml></xml>');
    expect([res.status, res.text]).toEqual([404, expect.stringContaining('<return_code><![CDATA[FAIL]]></return_code>')]);
  }
  expect(h.appErrors).toEqual([]);
});
