/**
 * WeChat misbehaving — down (connection refused), cut (socket destroyed), slow (beyond
 * `timeoutMs`), 5xx HTML pages, malformed bodies, HTML where JSON/XML should be — on every call a
 * user's request makes: the mp / qrcode callback (code exchange and profile), mobile login, the
 * native and mini-program APIs, `/weixin-config.js|json` (token and ticket) and pay
 * `prepay` / `orderQuery`. Each must end in a typed error and a clean 4xx/5xx, within a deadline,
 * with no secret, code or token in the answer or the log — and the next request must work.
 */
import request from 'supertest';
import { WxAuthError } from '../../lib';
import { LOGIN_FAILURE_TEXT } from '../../lib/oauth/error-page';
import type { FaultSpec } from '../../lib/simulator';
import { buildApp, deadPort, fullOptions, leaks, MINI, MOBILE, MP, QR, responseText, startSim, Tally, type AppHandle, type SimHandle } from './harness';

const TIMEOUT_MS = 300;
/** A request still unanswered after this is "hung": supertest aborts it and the test fails. */
const DEADLINE_MS = 4000;

let sim: SimHandle;
const tally = new Tally('wechat-faults');

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
  tally.flush();
});

type Kind = 'json' | 'xml';
type FaultName = 'refused' | 'reset' | 'timeout' | 'http 500 page' | 'http 502 page' | 'malformed body' | 'html with 200';

/** The fault as injected on the simulator (`refused` points the app at a closed port instead). */
function spec(fault: FaultName, kind: Kind): FaultSpec | undefined {
  switch (fault) {
    case 'refused':
      return undefined;
    case 'reset':
      return { destroy: true };
    case 'timeout':
      return { delayMs: TIMEOUT_MS * 5 };
    case 'http 500 page':
      return { status: 500 };
    case 'http 502 page':
      return { status: 502 };
    case 'malformed body':
      return kind === 'json'
        ? { status: 200, body: '{"errcode":0,"openid":"oTrunc', contentType: 'application/json' }
        : { status: 200, body: '<xml><return_code><![CDATA[SUCCESS]]></return_code><prepay_', contentType: 'text/xml' };
    case 'html with 200':
      return { status: 200, body: '<!doctype html><html><body><h1>Wi-Fi login</h1></body></html>', contentType: 'text/html' };
  }
}
const FAULTS: FaultName[] = ['refused', 'reset', 'timeout', 'http 500 page', 'http 502 page', 'malformed body', 'html with 200'];

interface Outcome {
  res: request.Response;
  /** Values this request handled that must not be echoed (the login code, the state). */
  sensitive: string[];
}

interface Surface {
  name: string;
  kind: Kind;
  /** WeChat paths the request calls, in order; a fault on any one must surface. */
  paths: string[];
  /** Status of a successful answer (for the recovery check). */
  okStatus: number;
  /** The user's request, start to end, against `h`. */
  run(h: AppHandle): Promise<Outcome>;
  /** The status and error code the user gets for a transport-level fault. */
  expected(fault: FaultName): { status: number; code: string };
  /** The error code in the answer. */
  codeOf(res: request.Response): string | undefined;
  /** `router.pay` throws to the app, which logs as it likes; our routes log the code themselves. */
  library?: boolean;
}

const timedOut = (fault: FaultName) => fault === 'timeout';
/** Browser, JSSDK and pay: 504 for a timeout, 502 for everything else. */
const gateway = (fault: FaultName) => ({ status: timedOut(fault) ? 504 : 502, code: 'network_error' });
const jsonCode = (res: request.Response) => res.body?.error as string | undefined;

const deadline = <T extends request.Test>(t: T): T => t.timeout({ deadline: DEADLINE_MS }) as T;

/** Start a browser login, then come back from "WeChat" with a fresh code for `user`. `html`: as a browser (no JSON). */
async function browserLogin(h: AppHandle, action: 'mp' | 'qrcode', scope: 'snsapi_base' | 'snsapi_userinfo' | 'snsapi_login', user: string, html = false): Promise<Outcome> {
  const agent = request.agent(h.app);
  const query = action === 'mp' ? { action, scope, next: '/me' } : { action, next: '/me' };
  const start = await deadline(agent.get('/oauth/wechat/login').query(query));
  tally.requests++;
  expect(start.status).toBe(302);
  const state = new URL(start.headers.location!).searchParams.get('state')!;
  const code = sim.sim.issueCode(action === 'mp' ? MP.appid : QR.appid, { user, scope });
  const callback = agent.get('/oauth/wechat/callback').query({ code, state });
  const res = await deadline(html ? callback.set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8') : callback.set('Accept', 'application/json'));
  tally.requests++;
  return { res, sensitive: [code, state] };
}

let seq = 0;
const nextUser = () => `user${++seq}`;

const SURFACES: Surface[] = [
  {
    name: 'mp callback (snsapi_base)',
    kind: 'json',
    paths: ['/sns/oauth2/access_token'],
    okStatus: 200,
    run: (h) => browserLogin(h, 'mp', 'snsapi_base', nextUser()),
    expected: gateway,
    codeOf: jsonCode,
  },
  {
    name: 'mp callback as a browser sees it (HTML)',
    kind: 'json',
    paths: ['/sns/oauth2/access_token'],
    okStatus: 200, // the landing page that goes on to `next` (without WeChat's #wechat_redirect)
    run: (h) => browserLogin(h, 'mp', 'snsapi_base', nextUser(), true),
    expected: gateway,
    // The default error page shows the person a sentence, not the code: "WeChat cannot be reached" is network_error.
    codeOf: (res) => (/^text\/html/.test(res.headers['content-type'] ?? '') && res.text.includes(LOGIN_FAILURE_TEXT.unreachable.zh) ? 'network_error' : undefined),
  },
  {
    name: 'mp callback (snsapi_userinfo)',
    kind: 'json',
    paths: ['/sns/oauth2/access_token', '/sns/userinfo'],
    okStatus: 200,
    run: (h) => browserLogin(h, 'mp', 'snsapi_userinfo', nextUser()),
    expected: gateway,
    codeOf: jsonCode,
  },
  {
    name: 'qrcode callback',
    kind: 'json',
    paths: ['/sns/oauth2/access_token', '/sns/userinfo'],
    okStatus: 200,
    run: (h) => browserLogin(h, 'qrcode', 'snsapi_login', nextUser()),
    expected: gateway,
    codeOf: jsonCode,
  },
  {
    name: 'mobile login (POST /oauth/wechat/mobile)',
    kind: 'json',
    paths: ['/sns/oauth2/access_token', '/sns/userinfo'],
    okStatus: 200,
    async run(h) {
      const code = sim.sim.issueCode(MOBILE.appid, { user: nextUser() });
      tally.requests++;
      return { res: await deadline(request(h.app).post('/oauth/wechat/mobile').send({ code })), sensitive: [code] };
    },
    expected: gateway,
    codeOf: jsonCode,
  },
  {
    name: 'native POST /wx/oauth/login',
    kind: 'json',
    paths: ['/sns/oauth2/access_token', '/sns/userinfo'],
    okStatus: 200,
    async run(h) {
      const code = sim.sim.issueCode(MOBILE.appid, { user: nextUser() });
      tally.requests++;
      const res = await deadline(request(h.app).post('/wx/oauth/login').set({ 'X-Client-Type': 'ios', 'X-App-Id': MOBILE.appid }).send({ code }));
      return { res, sensitive: [code] };
    },
    // The native contract answers every WeChat-side failure with 400 and the code in `error.code`.
    expected: () => ({ status: 400, code: 'network_error' }),
    codeOf: (res) => res.body?.error?.code,
  },
  {
    name: 'mini program POST /wx/miniprogram/login',
    kind: 'json',
    paths: ['/sns/jscode2session'],
    okStatus: 200,
    async run(h) {
      const code = sim.sim.issueCode(MINI.appid, { user: nextUser() });
      tally.requests++;
      return { res: await deadline(request(h.app).post('/wx/miniprogram/login').send({ code })), sensitive: [code] };
    },
    expected: () => ({ status: 400, code: 'network_error' }),
    codeOf: (res) => res.body?.error?.code,
  },
  {
    name: 'GET /weixin-config.js (cold cache)',
    kind: 'json',
    paths: ['/cgi-bin/stable_token', '/cgi-bin/ticket/getticket'],
    okStatus: 200,
    async run(h) {
      tally.requests++;
      return { res: await deadline(request(h.app).get('/weixin-config.js').query({ url: 'http://127.0.0.1/page' })), sensitive: [] };
    },
    expected: gateway,
    codeOf: (res) => /\((\w+)\)/.exec(res.text)?.[1],
  },
  {
    name: 'GET /weixin-config.json (cold cache)',
    kind: 'json',
    paths: ['/cgi-bin/stable_token', '/cgi-bin/ticket/getticket'],
    okStatus: 200,
    async run(h) {
      tally.requests++;
      return { res: await deadline(request(h.app).get('/weixin-config.json').query({ url: 'http://127.0.0.1/page' })), sensitive: [] };
    },
    expected: gateway,
    codeOf: jsonCode,
  },
  {
    name: 'pay prepay (app route → router.pay.prepay)',
    kind: 'xml',
    paths: ['/pay/unifiedorder'],
    okStatus: 200,
    async run(h) {
      tally.requests++;
      return { res: await deadline(request(h.app).post('/shop/order')), sensitive: [] };
    },
    // A body that is not WeChat Pay's XML is `xml_error` (502): the transport worked, the answer did not.
    expected: (fault) => (fault === 'malformed body' || fault === 'html with 200' ? { status: 502, code: 'xml_error' } : gateway(fault)),
    codeOf: jsonCode,
    library: true,
  },
  {
    name: 'pay orderQuery (app route → router.pay.orderQuery)',
    kind: 'xml',
    paths: ['/pay/orderquery'],
    okStatus: 200,
    async run(h) {
      const outTradeNo = `Q${++seq}`;
      // The order exists (placed straight on the pay host), so a healthy query succeeds.
      await h.router.pay.prepay({ body: 'query me', outTradeNo, totalFee: 1, tradeType: 'NATIVE' }).catch(() => undefined);
      tally.requests++;
      return { res: await deadline(request(h.app).get('/shop/query').query({ outTradeNo })), sensitive: [] };
    },
    expected: (fault) => (fault === 'malformed body' || fault === 'html with 200' ? { status: 502, code: 'xml_error' } : gateway(fault)),
    codeOf: jsonCode,
    library: true,
  },
];

interface Case {
  surface: Surface;
  fault: FaultName;
  path: string;
}

/** Every (surface, WeChat path, fault) to try; `refused` once per surface (it fails the first call). */
const CASES: Case[] = SURFACES.flatMap((surface): Case[] =>
  FAULTS.flatMap((fault): Case[] => (fault === 'refused' ? [{ surface, fault, path: '(any)' }] : surface.paths.map((path) => ({ surface, fault, path })))),
);

function expectClean(h: AppHandle, outcome: Outcome): void {
  const found = [...leaks(responseText(outcome.res), outcome.sensitive), ...leaks(h.logger.text(), outcome.sensitive)];
  if (found.length) tally.failures++;
  expect(found).toEqual([]);
}

describe.each(SURFACES.map((s) => [s.name, s] as const))('%s', (_name, surface) => {
  test.each(CASES.filter((c) => c.surface === surface).map((c) => [c.fault, c.path, c] as const))(
    '%s on %s: typed error, clean answer, no leak, next request works',
    async (_fault, _path, { fault, path }) => {
      tally.cases++;
      const endpoint = fault === 'refused' ? `http://127.0.0.1:${await deadPort()}` : sim.url;
      // A fresh app per case: cold token/ticket caches, its own log.
      const h = buildApp(fullOptions(endpoint, 'cookie', { timeoutMs: TIMEOUT_MS }));
      const injected = spec(fault, surface.kind);
      if (injected) sim.sim.faults.inject(path, injected);

      const outcome = await surface.run(h);
      const want = surface.expected(fault);
      if (outcome.res.status !== want.status || surface.codeOf(outcome.res) !== want.code) tally.failures++;
      expect({ status: outcome.res.status, code: surface.codeOf(outcome.res) }).toEqual(want);
      expectClean(h, outcome);
      if (surface.library) {
        // The app's route received a typed error (a WxPayError) to answer or log as it likes.
        expect(h.appErrors).toEqual([expect.any(WxAuthError)]);
        expect((h.appErrors[0] as WxAuthError).code).toBe(want.code);
      } else {
        // Our routes log what failed as a code, not swallowed (and never as a stack).
        expect(h.logger.lines.some((l) => /^(warn|error) /.test(l) && l.includes(want.code))).toBe(true);
      }
      expect(sim.sim.faults.pending()).toBe(0);

      if (fault === 'refused') return;
      // Recovery: the same app, WeChat healthy again, the same request succeeds.
      const again = await surface.run(h);
      if (again.res.status !== surface.okStatus) tally.failures++;
      expect(again.res.status).toBe(surface.okStatus);
      expectClean(h, again);
    },
  );
});

test('a delayed answer arriving after the timeout changes nothing (no late rejection, no late login)', async () => {
  tally.cases++;
  const h = buildApp(fullOptions(sim.url, 'cookie', { timeoutMs: TIMEOUT_MS }));
  sim.sim.faults.inject('/sns/oauth2/access_token', { delayMs: TIMEOUT_MS * 2 });
  const agent = request.agent(h.app);
  const start = await agent.get('/oauth/wechat/login').query({ action: 'mp', next: '/me' });
  const state = new URL(start.headers.location!).searchParams.get('state')!;
  const res = await deadline(agent.get('/oauth/wechat/callback').query({ code: sim.sim.issueCode(MP.appid, { user: 'late' }), state }).set('Accept', 'application/json'));
  tally.requests += 3;
  expect(res.status).toBe(504);
  // Let the simulator's late answer fire (into a socket we closed): a rejection it caused would
  // fail this test (see harness.ts), and the browser must still not be logged in.
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
  expect((await agent.get('/me')).body).toBeNull();
});

test('a warm /weixin-config.js keeps signing from its cached ticket while WeChat is failing', async () => {
  tally.cases++;
  const h = buildApp(fullOptions(sim.url, 'cookie', { timeoutMs: TIMEOUT_MS }));
  const page = () => deadline(request(h.app).get('/weixin-config.js').query({ url: 'http://127.0.0.1/page' }));
  expect((await page()).status).toBe(200);
  const calls = sim.sim.log.length;
  for (const path of ['/cgi-bin/stable_token', '/cgi-bin/ticket/getticket']) sim.sim.faults.inject(path, { status: 502, times: 5 });
  for (let i = 0; i < 5; i++) {
    const res = await page();
    expect([res.status, res.text.includes('wx.config(')]).toEqual([200, true]);
  }
  tally.requests += 6;
  expect(sim.sim.log.length).toBe(calls); // not one call to WeChat
  sim.sim.faults.clear();
});

test('every surface and fault was tried', () => {
  // 11 surfaces; the figure goes into docs/readme/resilience.md.
  expect(SURFACES).toHaveLength(11);
  expect(CASES.length).toBeGreaterThanOrEqual(100);
});
