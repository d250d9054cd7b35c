/**
 * Payment notifies per second: our `POST /wxpay/:type/callback` vs the `tenpay` package's Express
 * middleware, in the same run, on loopback, with autocannon (same duration and connections).
 *
 *   node_modules/.bin/tsx bench/notify.ts            (REDIS_URL, default redis://127.0.0.1:6379; BENCH_ROUNDS,
 *                                                     default 3; BENCH_DURATION s, default 10; BENCH_WARMUP s, default 3)
 *
 * Each server runs in its own child process (one core for it, one for autocannon). Every request
 * is a valid, signed notify. Scenarios:
 *   - distinct: a new transaction_id per request — ours verifies, takes the Redis lock, runs the
 *     handler and writes the done mark; tenpay verifies and calls the handler (it has no once-only
 *     processing: the app must add its own).
 *   - repeat: 1 000 notifies already processed, sent again (what WeChat's retries look like) —
 *     ours answers SUCCESS from the done mark without calling the handler.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { createClient } from 'redis';
import { ask, cpuMicros, deleteRedisKeys, machine, median, peerVersion, requireBench, startChild, table } from './_shared';
import { wxauth } from '../lib';
import { signPay } from '../lib/pay/sign';
import { buildPayXml } from '../lib/pay/xml';

const APPID = 'wxbench000000001';
const MCHID = '1900000109';
const KEY = 'benchkey0123456789abcdefghijklmn';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PATH = '/wxpay/pay/callback';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);

type Kind = 'ours-redis' | 'ours-memory' | 'tenpay';

// ---- child: one server --------------------------------------------------------------------------

async function serve(kind: Kind, prefix: string): Promise<void> {
  const app = express();
  app.disable('x-powered-by');
  let handled = 0;
  if (kind === 'tenpay') {
    const Tenpay = requireBench('tenpay') as {
      init(config: Record<string, string>): { middlewareForExpress(type: string): express.RequestHandler };
    };
    const api = Tenpay.init({ appid: APPID, mchid: MCHID, partnerKey: KEY });
    app.post(PATH, express.text({ type: () => true, limit: '64kb' }), api.middlewareForExpress('pay'), (_req, res) => {
      handled++;
      (res as express.Response & { reply(msg?: string): void }).reply();
    });
  } else {
    const redis = kind === 'ours-redis' ? createClient({ url: REDIS_URL }) : undefined;
    await redis?.connect();
    const router = wxauth({
      pay: { appid: APPID, mchid: MCHID, key: KEY },
      baseUrl: 'http://127.0.0.1',
      ...(redis ? { store: redis, storePrefix: prefix } : {}),
      logger: { warn: () => undefined, error: () => undefined },
    });
    router.pay.onNotify(async () => void handled++);
    app.use(router);
  }
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`LISTENING ${port}\n`);
  });
  process.on('message', (m) => {
    if (m === 'count') process.send?.({ handled, cpu: cpuMicros() });
  });
  process.on('SIGTERM', () => process.exit(0));
}

// ---- parent: load and compare -------------------------------------------------------------------

let seq = 0;
function notify(transactionId?: string): string {
  seq++;
  const fields: Record<string, string> = {
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    appid: APPID,
    mch_id: MCHID,
    nonce_str: randomBytes(8).toString('hex'),
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    is_subscribe: 'N',
    trade_type: 'JSAPI',
    bank_type: 'OTHERS',
    total_fee: '100',
    cash_fee: '100',
    fee_type: 'CNY',
    transaction_id: transactionId ?? `42000${Date.now()}${String(seq).padStart(9, '0')}`,
    out_trade_no: `B${seq}`,
    time_end: '20250101120000',
  };
  return buildPayXml({ ...fields, sign: signPay(fields, KEY) });
}

interface Result {
  requests: { average: number; total: number };
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;

async function load(url: string, body: () => string, duration = DURATION): Promise<Result> {
  const autocannon = requireBench('autocannon') as Autocannon;
  return autocannon({
    url: url + PATH,
    connections: CONNECTIONS,
    duration,
    requests: [{ method: 'POST', headers: { 'content-type': 'text/xml' }, setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }],
  });
}

async function check(url: string): Promise<void> {
  const res = await fetch(url + PATH, { method: 'POST', body: notify(), headers: { 'content-type': 'text/xml' } });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('SUCCESS')) throw new Error(`${url} did not accept a valid notify: ${res.status} ${text}`);
}

/** The child's handler calls so far and the CPU time (µs) it has used. */
interface Counts {
  handled: number;
  cpu: number;
}

type Scenario = 'distinct' | 'repeat';
interface Measured {
  rps: number;
  p99: number;
  avg: number;
  errors: number;
  /** Server CPU per answered notify, µs: steadier than req/s when a neighbour takes the CPU. */
  cpuPerRequest: number;
  note: string;
}

/** One server, once: a fresh process, a check, a warm-up, then both scenarios. */
async function measure(kind: Kind, prefix: string): Promise<Record<Scenario, Measured>> {
  const { child, url } = await startChild(__filename, ['serve', kind, prefix]);
  try {
    await check(url);
    await load(url, () => notify(), WARMUP).catch(() => undefined); // JIT, connections
    const run = async (body: () => string, note: (handled: number, r: Result) => string): Promise<Measured> => {
      const before = await ask<Counts>(child, 'count');
      const r = await load(url, body);
      const after = await ask<Counts>(child, 'count');
      return {
        rps: r.requests.average,
        p99: r.latency.p99,
        avg: r.latency.average,
        errors: r.non2xx + r.errors + r.timeouts,
        cpuPerRequest: (after.cpu - before.cpu) / (r.requests.total || 1),
        note: note(after.handled - before.handled, r),
      };
    };
    const distinct = await run(() => notify(), (handled, r) => `handler calls ${handled}, answered ${r.requests.total}`);
    const processed = Array.from({ length: 1000 }, (_, i) => notify(`42009${String(i).padStart(12, '0')}${kind.length}`));
    for (const xml of processed) await fetch(url + PATH, { method: 'POST', body: xml, headers: { 'content-type': 'text/xml' } });
    let i = 0;
    const repeat = await run(() => processed[i++ % processed.length]!, (handled) => `handler calls ${handled}`);
    return { distinct, repeat };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const prefix = `wxauth-bench:${randomBytes(4).toString('hex')}:`;
  const kinds: Array<[Kind, string]> = [
    ['ours-redis', 'express-wxauth (Redis store, once-only)'],
    ['ours-memory', 'express-wxauth (memory store, once-only)'],
    ['tenpay', `tenpay ${peerVersion('tenpay')} middlewareForExpress (no once-only)`],
  ];
  console.log(
    `notify benchmark: ${ROUNDS} rounds × ${DURATION}s per server and scenario (order rotated every round, medians shown), ` +
      `${CONNECTIONS} connections, loopback`,
  );
  console.log(machine());
  const results = new Map<Kind, Array<Record<Scenario, Measured>>>(kinds.map(([kind]) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < kinds.length; k++) {
      const [kind] = kinds[(k + round) % kinds.length]!;
      const m = await measure(kind, prefix);
      results.get(kind)!.push(m);
      process.stderr.write(`  round ${round + 1}/${ROUNDS} ${kind}: distinct ${m.distinct.rps.toFixed(0)}/s (${m.distinct.cpuPerRequest.toFixed(0)} µs), repeat ${m.repeat.rps.toFixed(0)}/s\n`);
    }
  }
  const rows: string[][] = [];
  for (const [kind, label] of kinds) {
    for (const scenario of ['distinct', 'repeat'] as const) {
      const runs = results.get(kind)!.map((m) => m[scenario]);
      const rps = runs.map((m) => m.rps);
      rows.push([
        label,
        scenario,
        median(rps).toFixed(0),
        `${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}`,
        median(runs.map((m) => m.p99)).toFixed(1),
        median(runs.map((m) => m.avg)).toFixed(2),
        median(runs.map((m) => m.cpuPerRequest)).toFixed(0),
        String(runs.reduce((n, m) => n + m.errors, 0)),
        runs.map((m) => m.note).join('; '),
      ]);
    }
  }
  const head = ['server', 'scenario', 'req/s (median)', 'range', 'p99 ms', 'avg ms', 'server CPU µs / notify', 'errors', 'notes (per round)'];
  console.log(`\n${table(head, rows)}`);

  await deleteRedisKeys(REDIS_URL, prefix);
}

if (process.argv[2] === 'serve') {
  serve(process.argv[3] as Kind, process.argv[4] ?? 'wxauth-bench:').catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
