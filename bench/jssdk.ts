/**
 * `/weixin-config.js` per second, warm cache: our router (Redis store) vs a bare Express route
 * answering a constant script (the ceiling) vs the `wechat-jssdk` package doing the same job
 * (its in-memory Store, pointed at the simulator), in the same run, on loopback, with autocannon
 * (same duration and connections for each).
 *
 *   node_modules/.bin/tsx bench/jssdk.ts       (REDIS_URL, default redis://127.0.0.1:6379;
 *                                               BENCH_DURATION s per run, default 10; BENCH_CONNECTIONS, default 50;
 *                                               BENCH_ROUNDS, default 5: runs are interleaved A B C D, B C D A, …
 *                                               and the median run of each server is shown)
 *
 * Each server runs in its own child process (one core for it, one for autocannon); the simulator
 * runs in the parent and is only called while warming up. Every response is checked to be a
 * `wx.config(...)` script before the measured run. Note the jobs differ slightly: ours signs every
 * request afresh (new nonce and timestamp, page URL checked against the allowed hosts);
 * wechat-jssdk caches one signature per URL in its store and answers it again.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { createClient } from 'redis';
import { announce, ask, cpuMicros, deleteRedisKeys, machine, median, peerVersion, requireBench, startChild, table, type Child } from './_shared';
import { wxauth, type WxAuthOptions } from '../lib';
import { createApiClient } from '../lib/client';
import { defaultRandomHex, type WxContext } from '../lib/context';
import type { SurfaceDeps } from '../lib/deps';
import { mountJssdk } from '../lib/jssdk/router';
import { resolveStore } from '../lib/store';
import { WechatClient } from '../lib/wechat/client';
import { createSimulator } from '../lib/simulator';

const APPID = 'wxbench000000001';
const SECRET = 'bench-secret';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const JS_API_LIST = ['updateAppMessageShareData', 'updateTimelineShareData', 'chooseImage'];
const PAGE = 'http://127.0.0.1/product/42?from=share';
const PATH = `/weixin-config.js?url=${encodeURIComponent(PAGE)}`;

type Kind = 'ours' | 'ours-alone' | 'bare' | 'wechat-jssdk';

// ---- child: one server --------------------------------------------------------------------------

async function serve(kind: Kind, simUrl: string, prefix: string): Promise<void> {
  const app = express();
  app.disable('x-powered-by');
  if (kind === 'ours' || kind === 'ours-alone') {
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    const options: WxAuthOptions = {
      mp: { appid: APPID, secret: SECRET },
      jssdk: { jsApiList: JS_API_LIST },
      // Benchmarks run with NODE_ENV=production, where the JSSDK needs baseUrl to know our pages.
      baseUrl: 'http://127.0.0.1',
      endpoints: { open: simUrl, api: simUrl },
      store: redis,
      storePrefix: prefix,
      logger: { warn: () => undefined, error: () => undefined },
    };
    if (kind === 'ours') app.use(wxauth(options));
    else app.use(jssdkAlone(options));
  } else if (kind === 'bare') {
    const script = `wx.config(${JSON.stringify({ debug: false, appId: APPID, timestamp: 1414587457, nonceStr: 'Wm3WZYTPz0wzccnW', signature: '0f9de62fce790f9a083d5c99e95740ceb90c27ed', jsApiList: JS_API_LIST })});`;
    app.get('/weixin-config.js', (_req, res) => {
      res.set('Cache-Control', 'no-store').type('application/javascript').send(script);
    });
  } else {
    const { JSSDK, Store } = requireBench('wechat-jssdk') as {
      JSSDK: new (options: Record<string, unknown>) => { getSignature(url: string): Promise<Record<string, unknown>> };
      Store: new (options?: Record<string, unknown>) => object;
    };
    const jssdk = new JSSDK({
      appId: APPID,
      appSecret: SECRET,
      accessTokenUrl: `${simUrl}/cgi-bin/token`,
      ticketUrl: `${simUrl}/cgi-bin/ticket/getticket`,
      store: new Store({ noInterval: true }),
    });
    app.get('/weixin-config.js', async (req, res) => {
      try {
        const signature = await jssdk.getSignature(String(req.query.url));
        res.set('Cache-Control', 'no-store').type('application/javascript').send(`wx.config(${JSON.stringify({ debug: false, ...signature, jsApiList: JS_API_LIST })});`);
      } catch {
        res.status(500).type('application/javascript').send('console.error("signing failed");');
      }
    });
  }
  const server = app.listen(0, '127.0.0.1', () => announce((server.address() as { port: number }).port));
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: cpuMicros() });
  });
}

/**
 * Only the JSSDK routes (same client, cache and Redis store), without the rest of the wxauth
 * router in front of them (identity middleware, login routes): shows what the full router adds.
 */
function jssdkAlone(options: WxAuthOptions): express.Router {
  const ctx: WxContext = {
    http: new WechatClient({ endpoints: options.endpoints! }),
    store: resolveStore(options.store, options.storePrefix),
    now: Date.now,
    randomHex: defaultRandomHex,
    logger: options.logger!,
  };
  const router = express.Router();
  const client = createApiClient(ctx, options);
  mountJssdk(router, { ctx, options, client, hooks: {}, identity: undefined as unknown as SurfaceDeps['identity'] });
  return router;
}

// ---- parent: load and compare -------------------------------------------------------------------

interface Result {
  requests: { average: number; total: number };
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;

function load(url: string, duration: number): Promise<Result> {
  const autocannon = requireBench('autocannon') as Autocannon;
  return autocannon({ url: url + PATH, connections: CONNECTIONS, duration });
}

/** The server answers a signed wx.config script (this also warms its token and ticket cache). */
async function check(url: string): Promise<void> {
  const res = await fetch(url + PATH);
  const text = await res.text();
  if (res.status !== 200 || !/wx\.config\(\{.*"signature":"[0-9a-f]{40}"/.test(text)) {
    throw new Error(`${url} did not answer a signed wx.config: ${res.status} ${text.slice(0, 200)}`);
  }
}

interface Measured {
  result: Result;
  /** Server CPU per answered request, µs. */
  cpu: number;
}

async function main(): Promise<void> {
  const prefix = `wxauth-bench:${randomBytes(4).toString('hex')}:`;
  const sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET, type: 'mp' }], allowProduction: true });
  const simServer = await sim.listen();
  const kinds: Array<[Kind, string]> = [
    ['ours', 'express-wxauth /weixin-config.js (Redis store, warm)'],
    ['ours-alone', '  same, JSSDK routes alone (no login layers in front)'],
    ['bare', 'bare Express route, constant script'],
    ['wechat-jssdk', `wechat-jssdk ${peerVersion('wechat-jssdk')} getSignature (memory Store, warm)`],
  ];
  console.log(
    `jssdk benchmark: ${ROUNDS} interleaved rounds of ${DURATION}s per server (order rotated every round; medians, and "vs bare" as the median ` +
      `of each round's ratio), ${CONNECTIONS} connections, loopback`,
  );
  console.log(machine());
  const results = new Map<Kind, Measured[]>(kinds.map(([kind]) => [kind, []]));
  const started: Array<[Kind, Child]> = [];
  try {
    for (const [kind] of kinds) {
      const server = await startChild(__filename, ['serve', kind, simServer.url, prefix]);
      started.push([kind, server]);
      await check(server.url);
      await load(server.url, 2); // warm up: JIT, keep-alive connections
    }
    // Interleaved, who goes first rotating: background load on the machine hits every server alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < started.length; i++) {
        const [kind, server] = started[(i + round) % started.length]!;
        const before = await ask<{ cpu: number }>(server.child, 'cpu');
        const result = await load(server.url, DURATION);
        const after = await ask<{ cpu: number }>(server.child, 'cpu');
        results.get(kind)!.push({ result, cpu: (after.cpu - before.cpu) / (result.requests.total || 1) });
      }
    }
  } finally {
    for (const [, server] of started) server.stop();
    await simServer.close();
  }
  const bare = results.get('bare')!;
  const rows = kinds.map(([kind, label]) => {
    const runs = results.get(kind)!;
    const rps = runs.map((m) => m.result.requests.average);
    const vsBare = runs.map((m, round) => m.result.requests.average / bare[round]!.result.requests.average);
    return [
      label,
      median(rps).toFixed(0),
      `${(median(vsBare) * 100).toFixed(0)}%`,
      `${(Math.min(...vsBare) * 100).toFixed(0)}–${(Math.max(...vsBare) * 100).toFixed(0)}%`,
      median(runs.map((m) => m.result.latency.p99)).toFixed(1),
      median(runs.map((m) => m.cpu)).toFixed(0),
      String(runs.reduce((n, m) => n + m.result.non2xx + m.result.errors + m.result.timeouts, 0)),
      rps.map((x) => x.toFixed(0)).join(' / '),
    ];
  });
  const head = ['server', 'req/s (median)', 'vs bare (median of rounds)', 'vs bare range', 'p99 ms', 'server CPU µs / request', 'errors', 'req/s per round'];
  console.log(`\n${table(head, rows)}`);
  console.log(`\nupstream calls during the whole run: token ${sim.calls('/cgi-bin/token') + sim.calls('/cgi-bin/stable_token')}, ticket ${sim.calls('/cgi-bin/ticket/getticket')}`);

  await deleteRedisKeys(REDIS_URL, prefix);
}

if (process.argv[2] === 'serve') {
  serve(process.argv[3] as Kind, process.argv[4]!, process.argv[5] ?? 'wxauth-bench:').catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
