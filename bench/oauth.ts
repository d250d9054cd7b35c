/**
 * OAuth callback round trips per second: our router vs `passport-wechat` (+ passport 0.7 +
 * express-session) on the same kind of Express 5 app, both pointed at the WeChat simulator, in
 * the same run, on loopback, with the same number of virtual browsers for the same time.
 *
 *   node_modules/.bin/tsx bench/oauth.ts         (BENCH_DURATION s, default 10; BENCH_VUS, default 20; BENCH_ROUNDS, default 3;
 *                                                 BENCH_TOGETHER=1 to load all contenders at the same time;
 *                                                 BENCH_ONLY=ours,ours-redis,passport,passport-keepalive
 *                                                 to pick and order; REDIS_URL for ours-redis)
 *
 * One round trip is what a browser inside WeChat does for a silent (`snsapi_base`) login:
 *   1. GET the app's login route          → 302 to the simulator's /connect/oauth2/authorize
 *   2. GET that authorize URL             → 302 back to the app's callback with code & state
 *   3. GET the callback                   → the app exchanges the code at the simulator
 *                                           (/sns/oauth2/access_token), logs the session in → 302 /home
 * Each round trip is a new browser (empty cookie jar), as a first login is.
 *
 * Processes: the simulator and the app server each run in a child process; this process only
 * drives the browsers (plain node:http with a keep-alive agent, no redirect-following library).
 * The simulator and the server are started afresh for every contender.
 *
 * passport-wechat's client (wechat-oauth 1.5) hard-codes https://open.weixin.qq.com and
 * https://api.weixin.qq.com inside its methods (string literals, not settings), so the bench
 * wraps two methods of the strategy's own wechat-oauth instance to swap the host for the
 * simulator's; everything else (query building, urllib, parsing) runs as shipped. See
 * `pointAtSimulator` and docs/readme/bench.md.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { wxauth } from '../lib';
import { createSimulator } from '../lib/simulator';
import { announce, ask, cpuMicros, machine, median, peerVersion, quantile, requireBench, startChild, table, type Child } from './_shared';

const APPID = 'wxbench000000001';
const SECRET = 'bench-secret';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const VUS = Number(process.env.BENCH_VUS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TOGETHER = process.env.BENCH_TOGETHER === '1';
const UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';
const SESSION_SECRET = 'bench-session-secret-0123456789abcdef';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

type Kind = 'ours' | 'ours-redis' | 'passport' | 'passport-keepalive';

interface Routes {
  login: string;
  callback: string;
}
const ROUTES: Record<Kind, Routes> = {
  ours: { login: '/oauth/wechat/login?next=%2Fhome', callback: '/oauth/wechat/callback' },
  'ours-redis': { login: '/oauth/wechat/login?next=%2Fhome', callback: '/oauth/wechat/callback' },
  passport: { login: '/auth/wechat', callback: '/auth/wechat/callback' },
  'passport-keepalive': { login: '/auth/wechat', callback: '/auth/wechat/callback' },
};

// ---- children: the simulator, one app server -----------------------------------------------------

async function serveSimulator(): Promise<void> {
  const sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET, type: 'mp' }], allowProduction: true });
  const { port } = await sim.listen();
  process.on('message', (m) => {
    if (m === 'calls') {
      process.send?.({ authorize: sim.calls('/connect/oauth2/authorize'), exchange: sim.calls('/sns/oauth2/access_token'), cpu: cpuMicros() });
    }
  });
  announce(port);
}

/** Build something whose production warning about an in-memory store is expected here (one process on purpose). */
function quietly<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

/** Both apps keep sessions in express-session's memory store: one process, no I/O, same for both. */
function sessions(): express.RequestHandler {
  return quietly(() => session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
}

async function serveApp(kind: Kind, simUrl: string, prefix: string): Promise<void> {
  const app = express();
  app.disable('x-powered-by');
  app.use(sessions());
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  if (kind === 'ours' || kind === 'ours-redis') {
    // The login state lives in our store: memory (like passport, which keeps none), or Redis as in production.
    const redis = kind === 'ours-redis' ? createClient({ url: REDIS_URL }) : undefined;
    await redis?.connect();
    const router = quietly(() =>
      wxauth({
        mp: { appid: APPID, secret: SECRET },
        baseUrl: `http://127.0.0.1:${port}`, // NODE_ENV=production: the JSSDK (mounted with mp) needs it
        endpoints: { open: simUrl, api: simUrl },
        ...(redis ? { store: redis, storePrefix: prefix } : {}),
        logger: { warn: () => undefined, error: () => undefined },
      }),
    );
    app.use(router);
    app.get('/home', (req, res) => void res.json({ openid: req.wxauth?.openid ?? null }));
  } else {
    const passport = requireBench('passport') as PassportLike;
    const WechatStrategy = requireBench('passport-wechat') as new (options: Record<string, unknown>, verify: VerifyFn) => WechatStrategyLike;
    const tokens = new Map<string, unknown>(); // wechat-oauth's own default, given explicitly to skip its production warning
    const strategy = new WechatStrategy(
      {
        appID: APPID,
        appSecret: SECRET,
        client: 'wechat',
        scope: 'snsapi_base',
        callbackURL: `http://127.0.0.1:${port}${ROUTES.passport.callback}`,
        getToken: (openid: string, cb: (e: null, t: unknown) => void) => cb(null, tokens.get(openid)),
        saveToken: (openid: string, token: unknown, cb: (e: null) => void) => (tokens.set(openid, token), cb(null)),
      },
      (_accessToken, _refreshToken, profile, _expiresIn, done) => done(null, { openid: profile.openid }),
    );
    pointAtSimulator(strategy, simUrl);
    if (kind === 'passport-keepalive') strategy._oauth.setOpts({ agent: new http.Agent({ keepAlive: true, maxSockets: 64 }) });
    passport.use(strategy);
    passport.serializeUser((user, done) => done(null, user.openid));
    passport.deserializeUser((openid, done) => done(null, { openid }));
    app.use(passport.initialize());
    app.use(passport.session());
    app.get(ROUTES.passport.login, passport.authenticate('wechat'));
    app.get(ROUTES.passport.callback, passport.authenticate('wechat', { successRedirect: '/home', failureRedirect: '/login-failed' }));
    app.get('/home', (req, res) => void res.json({ openid: (req as express.Request & { user?: { openid: string } }).user?.openid ?? null }));
  }
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: cpuMicros() });
  });
  announce(port);
}

type Done = (error: unknown, user?: { openid: string } | false) => void;
type VerifyFn = (accessToken: string, refreshToken: string, profile: { openid: string }, expiresIn: number, done: Done) => void;
interface WechatOAuthLike {
  request(url: string, opts: unknown, callback?: unknown): unknown;
  getAuthorizeURL(redirect: string, state?: string, scope?: string): string;
  setOpts(opts: Record<string, unknown>): void;
}
interface WechatStrategyLike {
  name: string;
  _oauth: WechatOAuthLike;
}
interface PassportLike {
  use(strategy: WechatStrategyLike): void;
  serializeUser(fn: (user: { openid: string }, done: (e: null, id: string) => void) => void): void;
  deserializeUser(fn: (id: string, done: (e: null, user: { openid: string }) => void) => void): void;
  initialize(): express.RequestHandler;
  session(): express.RequestHandler;
  authenticate(name: string, options?: Record<string, unknown>): express.RequestHandler;
}

/**
 * wechat-oauth builds its URLs from literals inside `getAuthorizeURL` and `getAccessToken` etc.
 * (no host option). Wrap the two methods every call goes through, on this instance only, to swap
 * WeChat's hosts for the simulator's; the query, the HTTP client (urllib) and the parsing stay theirs.
 */
function pointAtSimulator(strategy: WechatStrategyLike, simUrl: string): void {
  const oauth = strategy._oauth;
  const request = oauth.request;
  oauth.request = function (this: WechatOAuthLike, url, opts, callback) {
    return request.call(this, url.replace('https://api.weixin.qq.com', simUrl), opts, callback);
  };
  const authorize = oauth.getAuthorizeURL;
  oauth.getAuthorizeURL = function (this: WechatOAuthLike, ...args) {
    return authorize.apply(this, args).replace('https://open.weixin.qq.com', simUrl);
  };
}

// ---- parent: the browsers ---------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
type Jar = Map<string, string>;

interface Hop {
  status: number;
  location: string;
  body: string;
}

/** One GET as a browser does it: its cookies (shared across ports, as browsers do), no redirect following. */
function get(url: string, jar: Jar, keepBody = false): Promise<Hop> {
  const target = new URL(url); // drops the #fragment the way a browser does (never sent)
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = http.get(
      { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, headers: { 'user-agent': UA, accept: 'text/html,*/*', ...(cookie ? { cookie } : {}) } },
      (res) => {
        for (const line of res.headers['set-cookie'] ?? []) {
          const pair = line.split(';', 1)[0]!;
          const eq = pair.indexOf('=');
          if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
        let body = '';
        if (keepBody) res.setEncoding('utf8').on('data', (d: string) => (body += d));
        else res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '', body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

function expectRedirect(hop: Hop, step: string, prefix: string): string {
  if (hop.status !== 302 || !hop.location.startsWith(prefix)) throw new Error(`${step}: expected a 302 to ${prefix}…, got ${hop.status} ${hop.location.slice(0, 80)}`);
  return hop.location;
}

/** Steps 1 and 2: the app's login route, then WeChat's authorize page; returns the callback URL. */
async function toCallback(app: string, sim: string, routes: Routes, jar: Jar): Promise<string> {
  const authorize = expectRedirect(await get(app + routes.login, jar), 'login', `${sim}/connect/oauth2/authorize?`);
  return expectRedirect(await get(authorize, jar), 'authorize', `${app}${routes.callback}?`);
}

/** Steps 1–3; resolves once the app has logged the browser in and sent it on to /home. */
async function roundTrip(app: string, sim: string, routes: Routes, jar: Jar = new Map()): Promise<void> {
  const callback = await toCallback(app, sim, routes, jar);
  const done = await get(callback, jar, true);
  // Ours answers an mp callback with a landing page that navigates on to `next` (so WeChat's
  // #wechat_redirect fragment does not follow the browser there); the peers answer a 302.
  const landing = done.status === 200 && /http-equiv="refresh" content="0;url=(?:[^"]*)?\/home"/.test(done.body);
  if (!landing && (done.status !== 302 || !(done.location === '/home' || done.location === `${app}/home`))) {
    const page = done.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
    throw new Error(`callback: expected a 302 to /home, got ${done.status} ${done.location.slice(0, 80)} ${page}`);
  }
}

async function openidAtHome(app: string, jar: Jar): Promise<string | null> {
  const home = await get(`${app}/home`, jar, true);
  return (JSON.parse(home.body) as { openid: string | null }).openid;
}

interface Run {
  completed: number;
  errors: number;
  seconds: number;
  latencies: number[];
  firstError?: string;
}

/** `VUS` browsers, each doing round trips back to back, for `seconds`. */
async function load(app: string, sim: string, routes: Routes, seconds: number): Promise<Run> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const browser = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await roundTrip(app, sim, routes);
        latencies.push(performance.now() - t0);
      } catch (error) {
        firstError ??= (error as Error).message;
        if (++errors > 1000) throw new Error(`too many failed round trips; first: ${firstError}`, { cause: error });
      }
    }
  };
  await Promise.all(Array.from({ length: VUS }, browser));
  return { completed: latencies.length, errors, seconds: (performance.now() - start) / 1000, latencies: latencies.sort((a, b) => a - b), ...(firstError ? { firstError } : {}) };
}

/** Before timing: a round trip really logs the browser in as the simulator's user, and what a forged callback does. */
async function check(app: string, sim: string, routes: Routes, expectedOpenid: string): Promise<{ loginCsrf: string }> {
  const jar: Jar = new Map();
  await roundTrip(app, sim, routes, jar);
  const openid = await openidAtHome(app, jar);
  if (openid !== expectedOpenid) throw new Error(`${app}: logged in as ${openid}, expected ${expectedOpenid}`);
  // Login CSRF: an attacker gets a callback URL (their own code) and makes a victim's browser open it.
  const attackerCallback = await toCallback(app, sim, routes, new Map());
  const victim: Jar = new Map();
  const hop = await get(attackerCallback, victim);
  const victimOpenid = hop.status === 302 ? await openidAtHome(app, victim) : null;
  return { loginCsrf: victimOpenid ? `accepted (victim logged in as the attacker), ${hop.status}` : `refused, ${hop.status}` };
}

interface Measured {
  rps: number;
  cpuPerTrip: number;
  run: Run;
  exchanges: number;
  loginCsrf: string;
}

interface Contender {
  kind: Kind;
  sim: Child;
  app: Child;
  loginCsrf: string;
}

/** Fresh simulator and server processes for `kind`, checked (a real login, the CSRF probe). */
async function startContender(kind: Kind, expectedOpenid: string, prefix: string): Promise<Contender> {
  const sim = await startChild(__filename, ['sim']);
  try {
    const app = await startChild(__filename, ['serve', kind, sim.url, prefix]);
    const { loginCsrf } = await check(app.url, sim.url, ROUTES[kind], expectedOpenid);
    return { kind, sim, app, loginCsrf };
  } catch (error) {
    sim.stop();
    throw error;
  }
}

/**
 * Load every contender at once for `DURATION` (each with its own `VUS` browsers, after a
 * warm-up) and measure each one's round trips and server CPU over the same window. One
 * contender alone is the sequential mode; several at once is `BENCH_TOGETHER=1`, where a busy
 * neighbour on the host slows all of them alike, so the CPU-per-round-trip comparison holds
 * even when the absolute figures swing.
 */
async function measureAll(contenders: Contender[]): Promise<Measured[]> {
  await Promise.all(contenders.map((c) => load(c.app.url, c.sim.url, ROUTES[c.kind], WARMUP)));
  const before = await Promise.all(contenders.map(async (c) => ({ calls: await ask<{ exchange: number }>(c.sim.child, 'calls'), cpu: await ask<{ cpu: number }>(c.app.child, 'cpu') })));
  const runs = await Promise.all(contenders.map((c) => load(c.app.url, c.sim.url, ROUTES[c.kind], DURATION)));
  const after = await Promise.all(contenders.map(async (c) => ({ cpu: await ask<{ cpu: number }>(c.app.child, 'cpu'), calls: await ask<{ exchange: number }>(c.sim.child, 'calls') })));
  return contenders.map((c, i) => {
    const run = runs[i]!;
    return {
      rps: run.completed / run.seconds,
      cpuPerTrip: (after[i]!.cpu.cpu - before[i]!.cpu.cpu) / (run.completed || 1),
      run,
      exchanges: after[i]!.calls.exchange - before[i]!.calls.exchange,
      loginCsrf: c.loginCsrf,
    };
  });
}

/** Run `kinds` together (or one alone), with fresh processes, and stop them. */
async function measureRound(kinds: Kind[], expectedOpenid: string, prefix: string): Promise<Measured[]> {
  const contenders: Contender[] = [];
  try {
    for (const kind of kinds) contenders.push(await startContender(kind, expectedOpenid, prefix));
    return await measureAll(contenders);
  } finally {
    for (const c of contenders) {
      c.app.stop();
      c.sim.stop();
    }
  }
}

async function main(): Promise<void> {
  const expectedOpenid = createSimulator({ apps: [{ appid: APPID, secret: SECRET, type: 'mp' }], allowProduction: true }).openidOf(APPID, 'alice');
  const passportLabel = `passport-wechat ${peerVersion('passport-wechat')} (passport ${peerVersion('passport')}, wechat-oauth ${peerVersion('wechat-oauth')})`;
  const only = process.env.BENCH_ONLY?.split(',');
  const kinds = (
    [
      ['ours', 'express-wxauth (memory store)'],
      ['ours-redis', 'express-wxauth (Redis store)'],
      ['passport', `${passportLabel}, defaults`],
      ['passport-keepalive', `${passportLabel}, keep-alive agent via setOpts`],
    ] as Array<[Kind, string]>
  )
    .filter(([kind]) => !only || only.includes(kind))
    .sort(([a], [b]) => (only ? only.indexOf(a) - only.indexOf(b) : 0));
  console.log(
    `oauth benchmark: snsapi_base round trip (login → authorize → callback), ${VUS} browsers per contender, ${ROUNDS} rounds × ${DURATION}s ` +
      (TOGETHER ? '(all contenders loaded at the same time, ' : '(one contender at a time, order rotated every round, ') +
      `each after ${WARMUP}s warm-up, medians shown), loopback`,
  );
  console.log(machine());
  const prefix = `wxauth-bench:${randomBytes(4).toString('hex')}:`;
  const results = new Map<Kind, Measured[]>(kinds.map(([kind]) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate who goes first: a noisy neighbour or a thermal drift then hits every contender alike.
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]![0]);
    const groups = TOGETHER ? [order] : order.map((kind) => [kind]);
    for (const group of groups) {
      const measured = await measureRound(group, expectedOpenid, prefix);
      group.forEach((kind, i) => {
        const m = measured[i]!;
        results.get(kind)!.push(m);
        process.stderr.write(`  round ${round + 1}/${ROUNDS} ${kind}: ${m.rps.toFixed(0)} round trips/s, ${m.cpuPerTrip.toFixed(0)} µs server CPU\n`);
      });
    }
  }
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const [kind, label] of kinds) {
    const runs = results.get(kind)!;
    const rps = runs.map((m) => m.rps);
    const latencies = runs.flatMap((m) => m.run.latencies).sort((a, b) => a - b);
    const avg = latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1);
    rows.push([
      label,
      median(rps).toFixed(0),
      `${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}`,
      quantile(latencies, 0.5).toFixed(1),
      quantile(latencies, 0.99).toFixed(1),
      avg.toFixed(2),
      median(runs.map((m) => m.cpuPerTrip)).toFixed(0),
      String(runs.reduce((n, m) => n + m.run.errors, 0)),
      String(runs.reduce((n, m) => n + m.exchanges, 0)),
    ]);
    const completed = runs.reduce((n, m) => n + m.run.completed, 0);
    const firstError = runs.find((m) => m.run.firstError)?.run.firstError;
    notes.push(`${label}: ${completed} round trips in ${runs.length} runs; cross-browser callback (login CSRF): ${runs[0]!.loginCsrf}${firstError ? `; first error: ${firstError}` : ''}`);
  }
  console.log(
    '\n' +
      table(['server', 'round trips/s (median)', 'range', 'p50 ms', 'p99 ms', 'avg ms', 'server CPU µs / round trip (median)', 'errors', 'code exchanges'], rows),
  );
  console.log('\n' + notes.map((n) => `- ${n}`).join('\n'));
  console.log(
    '\nNot the same work: express-wxauth seals a random single-use state into a cookie bound to the browser (AES-256-GCM,\n' +
      'nothing stored), opens and removes it on the callback, checks the next URL, regenerates the session on login and\n' +
      'answers an mp callback with a landing page (no #wechat_redirect on next). passport-wechat sends a fixed (here\n' +
      'empty) state and checks nothing on the callback; passport 0.7 regenerates the session too.',
  );
  agent.destroy();
  if (kinds.some(([kind]) => kind === 'ours-redis')) await dropKeys(prefix);
}

/** States are consumed by their callbacks; drop anything a cut-off round trip left behind. */
async function dropKeys(prefix: string): Promise<void> {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    const batch = ([] as string[]).concat(keys as string | string[]);
    if (batch.length) await redis.del(batch);
  }
  await redis.quit();
}

if (process.argv[2] === 'sim') {
  serveSimulator().catch(die);
} else if (process.argv[2] === 'serve') {
  serveApp(process.argv[3] as Kind, process.argv[4]!, process.argv[5] ?? 'wxauth-bench:').catch(die);
} else {
  main().catch(die);
}

function die(error: unknown): never {
  console.error(error);
  process.exit(1);
}
