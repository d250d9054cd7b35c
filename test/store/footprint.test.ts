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
  expect(results.filter((r) => r.step.anonymous)).toHaveLength(6);
});

test('anonymous login starts (mp, qrcode, qrconnect, weixin-login.js, 4 pending, long next) write nothing to Redis', () => {
  const anonymous = results.filter((r) => r.step.anonymous);
  // MONITOR does see this run's writes (the steps after login make some): an empty list below means none, not deafness.
  expect(results.filter((r) => r.writes.length).length).toBeGreaterThanOrEqual(10);
  expect(anonymous.map((r) => [label(r), r.writes.map((w) => `${w.command} ${pattern(w.key)}`), r.added.size])).toEqual(anonymous.map((r) => [label(r), [], 0]));
  // … while each of them but the widget script set the pending-login cookie instead.
  expect(anonymous.map((r) => r.cookies.some((c) => c.name === 'wxauth_pending' && c.lifetime === '600 s'))).toEqual([true, true, true, false, true, true]);
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

test('each authenticated step adds exactly the listed keys and deletes exactly the listed ones', () => {
  const authenticated = results.filter((r) => !r.step.anonymous);
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
