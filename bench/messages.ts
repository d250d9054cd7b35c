/**
 * Verified safe-mode messages per second: our message server (`POST /wechat/message`) vs node-webot
 * `wechat` (the `wechat` package's Express middleware), in the same run, on loopback, with
 * autocannon (same duration and connections).
 *
 *   node_modules/.bin/tsx bench/messages.ts          (REDIS_URL, default redis://127.0.0.1:6379; BENCH_ROUNDS,
 *                                                     default 3; BENCH_DURATION s, default 10; BENCH_WARMUP s, default 3)
 *
 * Each server runs in its own child process. Every request is a text message with a new MsgId,
 * encrypted (AES-256-CBC) and signed (`msg_signature`) with a fresh timestamp and nonce, as WeChat
 * sends them in safe mode; each server verifies, decrypts, parses, runs an echo handler and answers
 * with the encrypted, signed passive reply. Scenarios:
 *   - distinct: a new message per request — ours also checks the timestamp window, writes the nonce,
 *     takes the once-only lock, writes the done mark and keeps the reply for retries; `wechat` has no
 *     replay or retry handling (the app must add its own).
 *   - retry: 1 000 messages already handled, delivered again freshly signed (WeChat's retries) —
 *     ours answers the stored reply without running the handler; `wechat` runs it again.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import express from 'express';
import { createClient } from 'redis';
import { ask, cpuMicros, deleteRedisKeys, machine, median, peerVersion, requireBench, startChild, table } from './_shared';
import { wxauth } from '../lib';

const APPID = 'wxbench000000001';
const TOKEN = 'benchtoken';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const PATH = '/wechat/message';

type Kind = 'ours-redis' | 'ours-memory' | 'wechat';

// ---- child: one server --------------------------------------------------------------------------

async function serve(kind: Kind, prefix: string): Promise<void> {
  const app = express();
  app.disable('x-powered-by');
  let handled = 0;
  if (kind === 'wechat') {
    type Info = { Content?: string };
    type Res = express.Response & { reply(content: string): void };
    const wechat = requireBench('wechat') as (config: Record<string, string>, handler: (req: express.Request & { weixin: Info }, res: Res) => void) => express.RequestHandler;
    app.use(PATH, wechat({ token: TOKEN, appid: APPID, encodingAESKey: AES_KEY }, (req, res) => {
      handled++;
      res.reply(`echo: ${req.weixin.Content ?? ''}`);
    }));
  } else {
    const redis = kind === 'ours-redis' ? createClient({ url: REDIS_URL }) : undefined;
    await redis?.connect();
    const router = wxauth({
      mp: { appid: APPID, secret: 'bench-secret', messages: { token: TOKEN, encodingAESKey: AES_KEY, mode: 'safe' } },
      baseUrl: 'http://127.0.0.1', // NODE_ENV=production: the JSSDK route that mp turns on wants it
      ...(redis ? { store: redis, storePrefix: prefix } : {}),
      logger: { warn: () => undefined, error: () => undefined },
    });
    router.onMessage((message) => {
      handled++;
      return { type: 'text', content: `echo: ${String(message.content)}` };
    });
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

// ---- parent: WeChat's side ----------------------------------------------------------------------

const KEY = Buffer.from(`${AES_KEY}=`, 'base64');
const sha1 = (...parts: string[]) => createHash('sha1').update(parts.sort().join('')).digest('hex');

/** WXBizMsgCrypt, written out here so both servers get exactly what WeChat would send. */
function encrypt(xml: string): string {
  const body = Buffer.from(xml);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const plain = Buffer.concat([randomBytes(16), len, body, Buffer.from(APPID)]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

let seq = 0;
/** A new text message, encrypted: its Encrypt text. */
function newMessage(msgId?: string): string {
  seq++;
  const time = Math.floor(Date.now() / 1000);
  return encrypt(
    `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[oBENCH${String(seq % 1000).padStart(22, '0')}]]></FromUserName><CreateTime>${time}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello ${seq}]]></Content><MsgId>${msgId ?? `${7_000_000_000_000 + seq}${process.pid}`}</MsgId></xml>`,
  );
}

/** A POST of `encrypted`, freshly signed (new timestamp and nonce), as each WeChat delivery is. */
function delivery(encrypted: string): { path: string; body: string } {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = `${++seq}${randomBytes(4).readUInt32BE(0)}`;
  const query = new URLSearchParams({ signature: sha1(TOKEN, timestamp, nonce), timestamp, nonce, openid: 'oBENCH', encrypt_type: 'aes', msg_signature: sha1(TOKEN, timestamp, nonce, encrypted) });
  return { path: `${PATH}?${query.toString()}`, body: `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>` };
}

interface Result {
  requests: { average: number; total: number };
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;

async function load(url: string, next: () => { path: string; body: string }, duration = DURATION): Promise<Result> {
  const autocannon = requireBench('autocannon') as Autocannon;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    requests: [{ method: 'POST', headers: { 'content-type': 'text/xml' }, setupRequest: (req: Record<string, unknown>) => ({ ...req, ...next() }) }],
  });
}

async function post(url: string, d: { path: string; body: string }): Promise<string> {
  const res = await fetch(url + d.path, { method: 'POST', body: d.body, headers: { 'content-type': 'text/xml' } });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('<Encrypt>')) throw new Error(`${url} did not answer a valid message with an encrypted reply: ${res.status} ${text.slice(0, 200)}`);
  return text;
}

interface Counts {
  handled: number;
  cpu: number;
}

type Scenario = 'distinct' | 'retry';
interface Measured {
  rps: number;
  p99: number;
  avg: number;
  errors: number;
  /** Server CPU per answered message, µs: steadier than req/s when a neighbour takes the CPU. */
  cpuPerRequest: number;
  note: string;
}

/** One server, once: a fresh process, a check, a warm-up, then both scenarios. */
async function measure(kind: Kind, prefix: string): Promise<Record<Scenario, Measured>> {
  const { child, url } = await startChild(__filename, ['serve', kind, prefix]);
  try {
    await post(url, delivery(newMessage()));
    await load(url, () => delivery(newMessage()), WARMUP).catch(() => undefined); // JIT, connections
    const run = async (next: () => { path: string; body: string }, note: (handled: number, r: Result) => string): Promise<Measured> => {
      const before = await ask<Counts>(child, 'count');
      const r = await load(url, next);
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
    const distinct = await run(() => delivery(newMessage()), (handled, r) => `handler calls ${handled}, answered ${r.requests.total}`);
    const handledOnce = Array.from({ length: 1000 }, (_, i) => newMessage(`8${String(i).padStart(4, '0')}${Date.now()}${kind.length}`));
    for (const encrypted of handledOnce) await post(url, delivery(encrypted));
    let i = 0;
    const retry = await run(() => delivery(handledOnce[i++ % handledOnce.length]!), (handled, r) => `handler calls ${handled}, answered ${r.requests.total}`);
    return { distinct, retry };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const prefix = `wxauth-bench:${randomBytes(4).toString('hex')}:`;
  const kinds: Array<[Kind, string]> = [
    ['ours-redis', 'express-wxauth (Redis store: replay memory, once-only)'],
    ['ours-memory', 'express-wxauth (memory store: replay memory, once-only)'],
    ['wechat', `wechat ${peerVersion('wechat')} (node-webot; no replay or retry handling)`],
  ];
  console.log(
    `message-server benchmark (safe mode): ${ROUNDS} rounds × ${DURATION}s per server and scenario (order rotated every round, medians shown), ` +
      `${CONNECTIONS} connections, loopback`,
  );
  console.log(machine());
  const results = new Map<Kind, Array<Record<Scenario, Measured>>>(kinds.map(([kind]) => [kind, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < kinds.length; k++) {
      const [kind] = kinds[(k + round) % kinds.length]!;
      const m = await measure(kind, prefix);
      results.get(kind)!.push(m);
      process.stderr.write(`  round ${round + 1}/${ROUNDS} ${kind}: distinct ${m.distinct.rps.toFixed(0)}/s (${m.distinct.cpuPerRequest.toFixed(0)} µs), retry ${m.retry.rps.toFixed(0)}/s\n`);
    }
  }
  const rows: string[][] = [];
  for (const [kind, label] of kinds) {
    for (const scenario of ['distinct', 'retry'] as const) {
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
  const head = ['server', 'scenario', 'req/s (median)', 'range', 'p99 ms', 'avg ms', 'server CPU µs / message', 'errors', 'notes (per round)'];
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
