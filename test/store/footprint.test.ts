/**
 * What each surface writes to Redis, step by step (bench/store-footprint.ts, the README's
 * "what is stored" table): the simulator and real apps over HTTP, one store prefix and one
 * connect-redis prefix, every write seen with MONITOR. Anonymous steps write nothing at all —
 * not under the store prefix, not in express-session, not even a key deleted again — and each
 * authenticated step adds exactly the keys the table lists, with the lifetime it gives.
 */
import { footprint, keyPattern, measure, type Footprint, type StepResult } from '../../bench/store-footprint';
import { createTestRedis, type TestRedis } from '../helpers/redis';

const DAY = 86_400;

let redis: TestRedis;
let f: Footprint;
let results: StepResult[];
beforeAll(async () => {
  redis = await createTestRedis('footprint');
  f = await footprint(redis.client);
  results = await measure(redis.client, f.prefixes, f.steps);
}, 60_000);
afterAll(async () => {
  await f?.close();
  await redis?.close();
});

const pattern = (key: string) => keyPattern(key, f.prefixes, f.known);
const label = (r: StepResult) => `${r.step.surface} / ${r.step.when}`;

test('every step ran', () => {
  expect(results).toHaveLength(f.steps.length);
  expect(results.filter((r) => r.step.anonymous)).toHaveLength(9);
});

test('anonymous steps (login starts, the follow QR page and its poll before a scan, a forged message delivery) write nothing to Redis', () => {
  const anonymous = results.filter((r) => r.step.anonymous);
  // MONITOR does see this run's writes (the steps after login make some): an empty list below means none, not deafness.
  expect(results.filter((r) => r.writes.length).length).toBeGreaterThanOrEqual(10);
  expect(anonymous.map((r) => [label(r), r.writes.map((w) => `${w.command} ${pattern(w.key)}`), r.added.size])).toEqual(anonymous.map((r) => [label(r), [], 0]));
  // … while each login start but the widget script set the pending-login cookie instead, and the
  // follow page its own (the QR code's 300 s and 600 s of grace); the poll and the forged delivery set none.
  const cookieOf = (r: StepResult) => r.cookies.map((c) => `${c.name} ${c.lifetime}`)[0] ?? 'none';
  expect(anonymous.map((r) => [label(r), cookieOf(r)])).toEqual([
    ['mp / login started (anonymous)', 'wxauth_pending 600 s'],
    ['qrcode / login started (anonymous)', 'wxauth_pending 600 s'],
    ['qrcode widget / /oauth/wechat/qrconnect (anonymous)', 'wxauth_pending 600 s'],
    ['qrcode widget / /weixin-login.js (anonymous)', 'none'],
    ['mp / 4 logins started in one browser (anonymous)', 'wxauth_pending 600 s'],
    ['mp / 4 logins started, each with a 600-character next (anonymous)', 'wxauth_pending 600 s'],
    ['follow login / QR code page shown (anonymous)', 'wxauth_follow 900 s'],
    ['follow login / poll before any scan (anonymous)', 'none'],
    ['message server / forged delivery (bad signature, anonymous)', 'none'],
  ]);
});

/** [surface, when] → the key patterns added (sorted), the patterns deleted, and the lifetime (s) of what was added. */
const EXPECTED: Array<[string, string, string[], string[], number | undefined]> = [
  ['mp, storage session', 'login completed', ['<session prefix><session id>'], [], DAY],
  ['mp, storage session', 'logout', [], ['<session prefix><session id>'], undefined],
  ['mp, storage session + resolveUser', 'login completed', ['<session prefix><session id>'], [], DAY],
  ['mp, storage session + resolveUser', 'logout', [], ['<session prefix><session id>'], undefined],
  ['mp, storage cookie', 'login completed', [], [], undefined],
  ['mp, storage cookie', 'logout', ['<prefix>cookie:deny:<id>'], [], 30 * DAY + 1],
  ['mp, storage cookie + resolveUser', 'login completed', [], [], undefined],
  ['mp, storage cookie + resolveUser', 'logout', ['<prefix>cookie:deny:<id>'], [], 30 * DAY + 1],
  ['mp, storage jwt', 'login completed', [], [], undefined],
  ['mp, storage jwt', 'logout', ['<prefix>jwt:deny:<id>'], [], 7200 + 1],
  ['mp, storage jwt + resolveUser', 'login completed', [], [], undefined],
  ['mp, storage jwt + resolveUser', 'logout', ['<prefix>jwt:deny:<id>'], [], 7200 + 1],
  ['native app (storage jwt)', 'POST /wx/oauth/login', ['<prefix>native:session:<sha256>'], [], 30 * DAY],
  ['mini program (storage jwt)', 'POST /wx/miniprogram/login', ['<prefix>mini:session:<sha256>', '<prefix>mini:skey:<appid>:<openid>'], [], 30 * DAY],
  ['jssdk', 'first /weixin-config.js', ['<prefix>ticket:<appid>', '<prefix>token:<appid>'], [], 6900],
  ['pay v2', 'notify processed', ['<prefix>wxpay:<mchid>:pay:<transaction_id>:once'], [], 30 * DAY],
];

const NONCE = '<prefix>wxmsg:<appid>:nonce:<timestamp>:<nonce>';
const SCAN_EVENT = '<prefix>wxmsg:<appid>:ev:<openid>:<CreateTime>:subscribe';
const MESSAGE = '<prefix>wxmsg:<appid>:id:<MsgId>';
/** The surfaces without an OAuth round: [surface, when] → every key added with its lifetime (s), and the keys deleted. */
const EXPECTED_LIFETIMES: Array<[string, string, Array<[string, number]>, string[]]> = [
  // The verified event: the delivery's nonce (the signature window both ways + 1 min), the event's once mark and its
  // passive reply for WeChat's retries, and "scene → openid" for the QR code's remaining life (300 s from the page, less the run).
  ['follow login', 'verified scan event (subscribe, safe mode)', [[NONCE, 660], [`${SCAN_EVENT}:once`, 600], [`${SCAN_EVENT}:reply`, 60], ['<prefix>follow:scan:<id>', 300]], []],
  // The poll takes the scene (single use): its record becomes a "used" mark under the same key for
  // the code's remaining life; the login lives where the app's storage keeps it.
  ['follow login', 'poll completes the login', [['<session prefix><session id>', DAY]], []],
  ['message server', 'user message (MsgId) with a passive reply', [[NONCE, 660], [`${MESSAGE}:once`, 600], [`${MESSAGE}:reply`, 60]], []],
  // A retry is one more nonce: the once mark makes it find the handled message and its reply.
  ['message server', "message answered late: WeChat's retry (same MsgId, new nonce)", [[NONCE, 660], [NONCE, 660], [`${MESSAGE}:once`, 600], [`${MESSAGE}:reply`, 60]], []],
  // The phone route stores nothing per user: its first call caches the mini program's access token (one per appid).
  ['mini program phone', "first POST /wx/miniprogram/phone (the mini program's first server API call)", [['<prefix>token:<appid>', 6900]], []],
  ['mini program phone', 'POST /wx/miniprogram/phone', [], []],
  ['mini program phone', 'POST /wx/miniprogram/phone, with resolveUser (storage jwt: a fresh token)', [], []],
];

test('each authenticated step adds exactly the listed keys and deletes exactly the listed ones', () => {
  const authenticated = results.filter((r) => !r.step.anonymous && EXPECTED.some(([surface, when]) => r.step.surface === surface && r.step.when === when));
  expect(authenticated).toHaveLength(EXPECTED.length);
  // Every other authenticated step is one of the next test's: no step goes unchecked.
  const listed = [...EXPECTED, ...EXPECTED_LIFETIMES].map(([surface, when]) => `${surface} / ${when}`);
  expect(results.filter((r) => !r.step.anonymous).map(label)).toEqual(listed);
  const seen = authenticated.map((r) => [r.step.surface, r.step.when, [...r.added.keys()].map(pattern).sort(), r.removed.map(pattern).sort()]);
  expect(seen).toEqual(EXPECTED.map(([surface, when, added, removed]) => [surface, when, added, removed]));
});

test('what a step adds lives as long as the table says (within a minute of the run)', () => {
  for (const [surface, when, , , ttl] of EXPECTED) {
    const r = results.find((x) => x.step.surface === surface && x.step.when === when)!;
    for (const [key, info] of r.added) {
      const seconds = info.pttl / 1000;
      expect([pattern(key), seconds <= ttl! && seconds > ttl! - 60]).toEqual([pattern(key), true]);
    }
  }
});

test('the token and ticket locks of the first /weixin-config.js are released within the request', () => {
  const jssdk = results.find((r) => r.step.surface === 'jssdk')!;
  expect(jssdk.transient.map((w) => pattern(w.key)).sort()).toEqual(['<prefix>ticket:<appid>:lock', '<prefix>token:<appid>:lock']);
});

test("the session stores resolveUser's whole result", () => {
  const session = (surface: string) => [...results.find((r) => r.step.surface === surface && r.step.when === 'login completed')!.added.values()][0]!;
  const plain = session('mp, storage session');
  const withUser = session('mp, storage session + resolveUser');
  expect(plain.fields).toMatch(/^cookie \d+, wxauth \d+$/);
  // resolveUser returns {"id":"u_000042","name":"Alice Zhang","roles":["customer"]} (59 bytes): stored whole, after `,"user":`.
  expect(withUser.valueBytes - plain.valueBytes).toBe(59 + ',"user":'.length);
});

test('follow-to-login, the message server and the phone route add exactly the listed keys, each living as listed', () => {
  const run = (surface: string, when: string) => results.find((x) => x.step.surface === surface && x.step.when === when);
  const seen = EXPECTED_LIFETIMES.map(([surface, when]) => {
    const r = run(surface, when);
    return r ? [surface, when, [...r.added.keys()].map(pattern).sort(), r.removed.map(pattern).sort()] : [surface, when, 'not run'];
  });
  expect(seen).toEqual(EXPECTED_LIFETIMES.map(([surface, when, added, removed]) => [surface, when, added.map(([key]) => key).sort(), removed]));
  // Within a minute of the run, never longer than the rule.
  for (const [surface, when, added] of EXPECTED_LIFETIMES) {
    const r = run(surface, when)!;
    for (const [key, info] of r.added) {
      const rule = added.find(([k]) => k === pattern(key))![1];
      const seconds = info.pttl / 1000;
      expect([label(r), pattern(key), seconds <= rule && seconds > rule - 60]).toEqual([label(r), pattern(key), true]);
    }
  }
});

test("a follow login's scan record holds the openid only (41 bytes), and the message marks are a byte or a done mark", () => {
  const scan = results.find((r) => r.step.surface === 'follow login' && r.step.when.startsWith('verified scan'))!;
  const byPattern = new Map([...scan.added].map(([key, info]) => [pattern(key), info]));
  expect(byPattern.get('<prefix>follow:scan:<id>')).toMatchObject({ fields: 'openid 30', valueBytes: 41 });
  expect(byPattern.get(NONCE)?.valueBytes).toBe(1);
  expect(byPattern.get(`${SCAN_EVENT}:once`)?.valueBytes).toBe('done:'.length + 13);
});
