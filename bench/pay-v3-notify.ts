/**
 * Verified WeChat Pay v3 notifies per second over HTTP: our `POST /wxpay/v3/:type/callback`
 * (memory store and Redis) vs an Express app doing what `wechatpay-node-v3`'s and
 * `wechatpay-axios-plugin`'s READMEs show, in the same run, on loopback, with autocannon.
 *
 *   node_modules/.bin/tsx bench/pay-v3-notify.ts     (REDIS_URL, default redis://127.0.0.1:6379; BENCH_ROUNDS, default 3;
 *                                                     BENCH_NOTIFIES per measurement, default 15000; BENCH_WARMUP_NOTIFIES, default 2000;
 *                                                     BENCH_CONNECTIONS, default 32; BENCH_SERVERS=ours-memory,axios runs some;
 *                                                     BENCH_CPU_PROF=<dir> profiles each server)
 *
 * Every request is a correctly signed (RSA-2048 fixture WeChat Pay key, `Wechatpay-Serial:
 * PUB_KEY_ID_…`) and encrypted (AES-256-GCM under the APIv3 key) payment notify with a
 * transaction_id of its own: a pool is generated before the runs (and again before its
 * timestamps near the 300 s window). autocannon sends a fixed number of them (no id twice within
 * a measurement); notifies/s is that number over the time from the first request to the last
 * answer. Each server runs in its own child
 * process, fresh for every measurement (a new Redis prefix too), so the pool is reused across
 * servers and rounds. Before each measurement, the server must answer 2xx to a good notify and
 * non-2xx to a probe signature (verification is on in all four).
 *
 * The servers:
 *   - ours: `wxauth({ pay: { appid, mchid, v3 } })`, `onNotify` counting; per notify it reads the
 *     raw body, checks serial, ±300 s and the signature, decrypts, checks mchid / appid / amount,
 *     takes the once-only lock, runs the handler, writes the done mark, answers 204.
 *   - wechatpay-node-v3: `express.json()`, then `await pay.verifySign({ body: req.body, … })` as its
 *     docs/verifySign.md shows (it re-serialises the parsed body; the public key seeded into
 *     `WxPay.certificates`, as it has no public-key mode; no timestamp check), then `decipher_gcm`
 *     (which never checks the GCM tag), 204. Its maintainer says notifies need no verification; it
 *     is done here anyway, with its own `verifySign`.
 *   - wechatpay-axios-plugin (its README leaves notifies to the user): `express.text()` for the raw
 *     body, the ±300 s check and serial lookup its own response verifier does, `Rsa.verify(
 *     Formatter.response(…))` under the key loaded with `Rsa.from`, then `Aes.AesGcm.decrypt`, 204.
 * Neither peer has once-only processing or checks mchid / appid: the app must add its own.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { createClient } from 'redis';
import { wxauth } from '../lib';
import { signPayV3 } from '../lib/pay/v3/crypto';
import { API_V3_KEY, APPID, MCHID, PUBLIC_KEY_ID, SERIAL_NO, v3Fixture, type AxiosPlugin, type NodeV3Pay, type SignedNotify } from './_pay-v3';
import { ask, cpuMicros, deleteRedisKeys, machine, median, peerVersion, requireBench, startChild, table } from './_shared';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NOTIFIES = Number(process.env.BENCH_NOTIFIES ?? 15000);
const WARMUP = Number(process.env.BENCH_WARMUP_NOTIFIES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PATH = '/wxpay/v3/jsapi/callback';
/** A pool older than this is signed again (WeChat's window, and ours, is 300 s). */
const POOL_MAX_AGE_MS = 200_000;

type Kind = 'ours-memory' | 'ours-redis' | 'node-v3' | 'axios';

// ---- child: one server --------------------------------------------------------------------------

async function serve(kind: Kind, prefix: string): Promise<void> {
  const fixture = v3Fixture();
  const app = express();
  app.disable('x-powered-by');
  let handled = 0;
  const fail = (res: express.Response, status: number, message: string) => void res.status(status).json({ code: 'FAIL', message });
  if (kind === 'node-v3') {
    const WxPay = requireBench('wechatpay-node-v3') as NodeV3Pay;
    const pay = new WxPay({ appid: APPID, mchid: MCHID, serial_no: SERIAL_NO, publicKey: Buffer.from(fixture.merchantPublicPem), privateKey: Buffer.from(fixture.merchantPrivatePem), key: API_V3_KEY });
    WxPay.certificates = { [PUBLIC_KEY_ID]: fixture.wechatPublicPem };
    app.post(PATH, express.json(), async (req, res) => {
      try {
        const h = req.headers as Record<string, string>;
        const ok = await pay.verifySign({ body: req.body, signature: h['wechatpay-signature']!, serial: h['wechatpay-serial']!, nonce: h['wechatpay-nonce']!, timestamp: h['wechatpay-timestamp']! });
        if (!ok) return fail(res, 401, 'bad signature');
        const r = (req.body as { resource: { ciphertext: string; associated_data: string; nonce: string } }).resource;
        const transaction = pay.decipher_gcm(r.ciphertext, r.associated_data, r.nonce, API_V3_KEY) as { transaction_id?: string };
        if (!transaction.transaction_id) return fail(res, 400, 'no transaction');
        handled++;
        res.status(204).end();
      } catch {
        fail(res, 500, 'failed');
      }
    });
  } else if (kind === 'axios') {
    const { Rsa, Formatter, Aes } = requireBench('wechatpay-axios-plugin') as AxiosPlugin;
    const certs: Record<string, unknown> = { [PUBLIC_KEY_ID]: Rsa.from(fixture.wechatPublicPem, Rsa.KEY_TYPE_PUBLIC) };
    app.post(PATH, express.text({ type: () => true }), (req, res) => {
      try {
        const h = req.headers as Record<string, string>;
        const timestamp = h['wechatpay-timestamp']!;
        if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > 300) return fail(res, 401, 'stale');
        const cert = Object.prototype.hasOwnProperty.call(certs, h['wechatpay-serial']!) ? certs[h['wechatpay-serial']!] : undefined;
        if (!cert) return fail(res, 401, 'unknown serial');
        const body = req.body as string;
        if (!Rsa.verify(Formatter.response(timestamp, h['wechatpay-nonce']!, body), h['wechatpay-signature']!, cert)) return fail(res, 401, 'bad signature');
        const r = (JSON.parse(body) as { resource: { ciphertext: string; associated_data: string; nonce: string } }).resource;
        const transaction = JSON.parse(Aes.AesGcm.decrypt(r.ciphertext, API_V3_KEY, r.nonce, r.associated_data)) as { transaction_id?: string };
        if (!transaction.transaction_id) return fail(res, 400, 'no transaction');
        handled++;
        res.status(204).end();
      } catch {
        fail(res, 500, 'failed');
      }
    });
  } else {
    const redis = kind === 'ours-redis' ? createClient({ url: REDIS_URL }) : undefined;
    await redis?.connect();
    const router = wxauth({
      pay: { appid: APPID, mchid: MCHID, v3: { apiV3Key: API_V3_KEY, serialNo: SERIAL_NO, privateKey: fixture.merchantPrivatePem, publicKeyId: PUBLIC_KEY_ID, publicKey: fixture.wechatPublicPem } },
      baseUrl: 'http://127.0.0.1',
      ...(redis ? { store: redis, storePrefix: prefix } : {}),
      logger: { warn: () => undefined, error: () => undefined, info: () => undefined },
    });
    router.pay.v3.onNotify(async () => void handled++);
    app.use(router);
  }
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`LISTENING ${port}\n`);
  });
  process.on('message', (m) => {
    if (m === 'count') process.send?.({ handled, cpu: cpuMicros(), user: process.cpuUsage().user });
  });
  process.on('SIGTERM', () => process.exit(0));
}

// ---- parent: load and compare -------------------------------------------------------------------

interface Pool {
  notifies: SignedNotify[];
  signedAt: number;
}

let generation = 0;
/** `size` notifies with transaction ids of their own (a new series each time the pool is signed again). */
function makePool(size: number): Pool {
  const fixture = v3Fixture();
  const start = Date.now();
  generation++;
  const notifies = Array.from({ length: size }, (_, i) => fixture.notify(`4200${String(generation).padStart(4, '0')}${start}${String(i).padStart(8, '0')}`, start));
  process.stderr.write(`  signed a pool of ${size} notifies in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  return { notifies, signedAt: start };
}

interface Result {
  requests: { total: number };
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;

/**
 * Send `pool[from, from + amount)` once each. The time is from the first request built to the last
 * response read (autocannon itself notices the end only at its next 1 s tick).
 */
async function load(url: string, pool: Pool, from: number, amount: number): Promise<{ r: Result; seconds: number; repeats: number }> {
  const autocannon = requireBench('autocannon') as Autocannon;
  let next = from;
  let repeats = 0;
  let first = 0;
  let last = 0;
  const r = await autocannon({
    url: url + PATH,
    connections: CONNECTIONS,
    amount,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: Record<string, unknown>) => {
          if (!first) first = performance.now();
          if (next >= pool.notifies.length) {
            repeats++;
            next = from;
          }
          const n = pool.notifies[next++]!;
          return { ...req, headers: { 'content-type': 'application/json', ...n.headers }, body: n.body };
        },
        onResponse: () => {
          last = performance.now();
        },
      },
    ],
  });
  return { r, seconds: (last - first) / 1000, repeats };
}

/** Verification is on: a good notify is acknowledged, a probe signature is not. */
async function check(url: string): Promise<void> {
  const fixture = v3Fixture();
  const post = (n: SignedNotify) => fetch(url + PATH, { method: 'POST', body: n.body, headers: { 'content-type': 'application/json', ...n.headers } });
  const good = fixture.notify(`4299${Date.now()}${randomBytes(3).toString('hex').replace(/\D/g, '0')}`);
  const ok = await post(good);
  if (ok.status < 200 || ok.status >= 300) throw new Error(`${url} refused a good notify: ${ok.status} ${await ok.text()}`);
  const probeNotify = fixture.notify(`4298${Date.now()}`);
  const probe = await post({ ...probeNotify, headers: { ...probeNotify.headers, 'wechatpay-signature': signPayV3('a probe', fixture.wechatPrivatePem) } });
  if (probe.status >= 200 && probe.status < 300) throw new Error(`${url} acknowledged a probe signature (${probe.status}): verification is off`);
}

interface Counts {
  handled: number;
  cpu: number;
  user: number;
}

interface Measured {
  rps: number;
  p99: number;
  avg: number;
  errors: number;
  /** Server CPU per answered notify, µs: steadier than req/s when a neighbour takes the CPU. */
  cpuPerRequest: number;
  /** Of which in user space (the rest is the kernel: socket writes, waking the load generator). */
  userPerRequest: number;
  handled: number;
  answered: number;
  repeats: number;
}

/** One server, once: a fresh process, the check, a warm-up, then the measured notifies. */
async function measure(kind: Kind, prefix: string, pool: Pool): Promise<Measured> {
  const { child, url } = await startChild(__filename, ['serve', kind, prefix]);
  try {
    await check(url);
    await load(url, pool, 0, WARMUP); // JIT, connections
    const before = await ask<Counts>(child, 'count');
    const { r, seconds, repeats } = await load(url, pool, WARMUP, NOTIFIES);
    const after = await ask<Counts>(child, 'count');
    return {
      rps: r.requests.total / seconds,
      p99: r.latency.p99,
      avg: r.latency.average,
      errors: r.non2xx + r.errors + r.timeouts,
      cpuPerRequest: (after.cpu - before.cpu) / (r.requests.total || 1),
      userPerRequest: (after.user - before.user) / (r.requests.total || 1),
      handled: after.handled - before.handled,
      answered: r.requests.total,
      repeats,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const base = `wxauth-bench-v3:${randomBytes(4).toString('hex')}:`;
  const all: Array<[Kind, string]> = [
    ['ours-memory', 'express-wxauth (memory store, once-only)'],
    ['ours-redis', 'express-wxauth (Redis store, once-only)'],
    ['node-v3', `wechatpay-node-v3 ${peerVersion('wechatpay-node-v3')} verifySign + decipher_gcm`],
    ['axios', `wechatpay-axios-plugin ${peerVersion('wechatpay-axios-plugin')} Rsa.verify + AesGcm.decrypt`],
  ];
  const only = process.env.BENCH_SERVERS?.split(',');
  const kinds = only ? all.filter(([kind]) => only.includes(kind)) : all;
  console.log(
    `pay v3 notify benchmark: ${ROUNDS} rounds × ${NOTIFIES} distinct signed notifies per server after ${WARMUP} warm-up ` +
      `(order rotated every round, medians shown), ${CONNECTIONS} connections, loopback; RSA-2048 fixture keys, verification on everywhere`,
  );
  console.log(machine());
  const size = WARMUP + NOTIFIES;
  let pool = makePool(size);
  const results = new Map<Kind, Measured[]>(kinds.map(([kind]) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < kinds.length; k++) {
      const [kind] = kinds[(k + round) % kinds.length]!;
      if (Date.now() - pool.signedAt > POOL_MAX_AGE_MS) pool = makePool(size);
      const m = await measure(kind, `${base}${round}:${k}:`, pool);
      results.get(kind)!.push(m);
      process.stderr.write(`  round ${round + 1}/${ROUNDS} ${kind}: ${m.rps.toFixed(0)}/s, ${m.cpuPerRequest.toFixed(0)} µs CPU / notify (user ${m.userPerRequest.toFixed(0)}), handler ${m.handled}/${m.answered}\n`);
    }
  }
  const rows: string[][] = [];
  for (const [kind, label] of kinds) {
    const runs = results.get(kind)!;
    const rps = runs.map((m) => m.rps);
    const cpu = runs.map((m) => m.cpuPerRequest);
    rows.push([
      label,
      median(rps).toFixed(0),
      `${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}`,
      median(cpu).toFixed(0),
      `${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}`,
      median(runs.map((m) => m.p99)).toFixed(1),
      median(runs.map((m) => m.avg)).toFixed(2),
      String(runs.reduce((n, m) => n + m.errors, 0)),
      runs.map((m) => `${m.handled}/${m.answered}${m.repeats ? ` (${m.repeats} repeats)` : ''}`).join('; '),
    ]);
  }
  const head = ['server', 'notifies/s (median)', 'range', 'server CPU µs / notify', 'CPU range', 'p99 ms', 'avg ms', 'errors', 'handler calls / answered (per round)'];
  console.log(`\n${table(head, rows)}`);
  await deleteRedisKeys(REDIS_URL, base);
}

if (process.argv[2] === 'serve') {
  serve(process.argv[3] as Kind, process.argv[4] ?? 'wxauth-bench-v3:').catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
