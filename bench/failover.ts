/**
 * A master killed under load: 4 app processes (child processes) on one real Redis topology
 * (Cluster, Sentinel), through node-redis and ioredis, all on 127.0.0.1.
 *
 *   npx tsx bench/failover.ts        (BENCH_SECONDS, default 15; the master is killed at 1/3;
 *                                     BENCH_DURABLE=1 turns on pay.notify.durableMarks)
 *
 * The load loop mixes native-app logins, `/weixin-config.js` and v2 pay notifies. It plays WeChat
 * for the notifies: an id is redelivered until it is answered SUCCESS, and once more after
 * lockSeconds. Reported per topology and client: the 503 window (first → last 503), the max
 * latency, hangs (no answer within 10 s), lost notifies (answered SUCCESS, handler never ran) and
 * duplicate handler runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { wxauth } from '../lib';
import { signPay } from '../lib/pay/sign';
import { buildPayXml } from '../lib/pay/xml';
import { createSimulator } from '../lib/simulator';
import { command, connectClient, startTopology, type ClientFamily, type Topology } from '../test/helpers/redis-topologies';

const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-bench' };
const MOBILE = { appid: 'wxmo000000000001', secret: 'mobile-secret-0123456789ab' };
const MCHID = '1900000109';
const KEY = 'k3y0123456789abcdefghijklmnopqrs';
const LOCK_SECONDS = 8;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
// BENCH_DURABLE=1: done marks and locks wait for a replica (`pay.notify.durableMarks`).
const DURABLE = process.env.BENCH_DURABLE === '1';
const HANG_MS = 10_000;
const PAGE = 'http://127.0.0.1/page';

// ------------------------------------------------------------------------------------ child
async function child(): Promise<void> {
  const { topology, family, sim } = JSON.parse(process.env.FAILOVER_CHILD!) as { topology: Topology; family: ClientFamily; sim: string };
  const { client } = await connectClient(topology, family);
  const app = express();
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const router = wxauth({
    mp: MP,
    mobile: MOBILE,
    jssdk: { jsApiList: ['chooseImage'] },
    pay: { appid: MP.appid, mchid: MCHID, key: KEY, clientIp: '203.0.113.7', notify: { lockSeconds: LOCK_SECONDS, waitMs: 2000, ...(DURABLE ? { durableMarks: { replicas: 1, timeoutMs: 200 } } : {}) } },
    baseUrl: 'http://127.0.0.1',
    endpoints: { open: sim, api: sim, pay: sim },
    store: client,
    storePrefix: `bench-failover:${process.env.FAILOVER_RUN}:`,
    logger: quiet,
  });
  router.pay.onNotify(async (order) => {
    await new Promise((r) => setTimeout(r, 200)); // a master killed now is killed mid-handler
    process.send!({ ran: order.transactionId });
  });
  app.use(router);
  const server = http.createServer(app).listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
}

// ------------------------------------------------------------------------------------ parent
interface Row {
  topology: string;
  client: string;
  requests: number;
  window503: string;
  maxLatencyMs: number;
  hangs: number;
  notifies: number;
  lost: number;
  duplicates: number;
}

async function firstMaster(t: Topology): Promise<number> {
  if (t.kind === 'sentinel') return t.master.port;
  if (t.kind === 'standalone') return t.node.port;
  const nodes = String(await command(t.nodes[0]!.port, ['CLUSTER', 'NODES']));
  const line = nodes.split('\n').find((l) => / (myself,)?master /.test(l) && / 0-/.test(l))!;
  return Number(line.split(' ')[1]!.split('@')[0]!.split(':')[1]);
}

async function replicasOnline(t: Topology): Promise<void> {
  const ports = t.kind === 'cluster' ? t.nodes.map((n) => n.port) : t.kind === 'sentinel' ? [t.master.port] : [];
  for (const port of ports) {
    for (let i = 0; i < 150; i++) {
      const info = String(await command(port, ['INFO', 'replication']).catch(() => ''));
      if (!info.includes('role:master') || /slave0:[^\r\n]*state=online/.test(info)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function run(kind: 'cluster' | 'sentinel', family: ClientFamily): Promise<Row> {
  const topology = await startTopology(kind);
  await replicasOnline(topology);
  const sim = createSimulator({ apps: [{ ...MP, type: 'mp' }, { ...MOBILE, type: 'mobile' }] });
  const simServer = await sim.listen();
  const runs = new Map<string, number>();
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  const env = { ...process.env, FAILOVER_RUN: `${Date.now()}`, FAILOVER_CHILD: JSON.stringify({ topology: { ...topology, kill: undefined, close: undefined }, family, sim: simServer.url }) };
  for (let i = 0; i < 4; i++) {
    const c = fork(__filename, [], { env, execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(c);
    urls.push(
      await new Promise<string>((resolve) =>
        c.on('message', (m: { port?: number; ran?: string }) => {
          if (m.port) resolve(`http://127.0.0.1:${m.port}`);
          if (m.ran) runs.set(m.ran, (runs.get(m.ran) ?? 0) + 1);
        }),
      ),
    );
  }

  let requests = 0;
  let hangs = 0;
  let maxLatency = 0;
  let first503: number | undefined;
  let last503: number | undefined;
  const t0 = Date.now();
  const send = async (path: string, init?: RequestInit): Promise<{ status: number; text: string }> => {
    const url = urls[requests++ % urls.length]! + path;
    const start = Date.now();
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
      const text = await res.text();
      if (res.status === 503) {
        first503 ??= Date.now() - t0;
        last503 = Date.now() - t0;
      }
      return { status: res.status, text };
    } catch {
      hangs++;
      return { status: 0, text: '' };
    } finally {
      maxLatency = Math.max(maxLatency, Date.now() - start);
    }
  };

  // WeChat: every notify is redelivered until SUCCESS.
  const notifies = new Map<string, { xml: string; acked: boolean }>();
  let seq = 0;
  const notify = async (id?: string) => {
    if (!id) {
      seq++;
      id = `4200000${t0}${String(seq).padStart(6, '0')}`;
      const fields: Record<string, string> = { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: MP.appid, mch_id: MCHID, nonce_str: `n${seq}`, openid: 'oBench', trade_type: 'JSAPI', total_fee: '100', cash_fee: '100', transaction_id: id, out_trade_no: `T${t0}${seq}`, time_end: '20250101120000' };
      fields.sign = signPay(fields, KEY, 'MD5');
      notifies.set(id, { xml: buildPayXml(fields), acked: false });
    }
    const n = notifies.get(id)!;
    const r = await send('/wxpay/pay/callback', { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: n.xml });
    if (r.status === 200 && r.text.includes('SUCCESS')) n.acked = true;
  };
  const pending = () => [...notifies].filter(([, n]) => !n.acked).map(([id]) => id);

  let killedAt = 0;
  const killer = setTimeout(() => {
    killedAt = Date.now() - t0;
    void firstMaster(topology).then((port) => topology.kill(port));
  }, (SECONDS * 1000) / 3);
  const worker = async (w: number) => {
    for (let i = 0; Date.now() - t0 < SECONDS * 1000; i++) {
      const pick = (i + w) % 4;
      if (pick === 0) await send(`/weixin-config.js?url=${encodeURIComponent(PAGE)}`);
      else if (pick === 1) {
        await send('/wx/oauth/login', {
          method: 'POST',
          headers: { 'X-Client-Type': 'android', 'X-Client-Version': '1.2.0', 'X-App-Id': MOBILE.appid, 'Content-Type': 'application/json' },
          body: JSON.stringify({ code: sim.issueCode(MOBILE.appid, { user: `u${w}` }) }),
        });
      } else await notify(pending()[0]); // redeliver the oldest unanswered one, else a new one
    }
  };
  await Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));
  clearTimeout(killer);
  // WeChat keeps redelivering what was not answered SUCCESS (bounded).
  for (let round = 0; pending().length && round < 60; round++) {
    await Promise.all(pending().map((id) => notify(id)));
    await new Promise((r) => setTimeout(r, 1000));
  }
  // And may repeat any of them later, past lockSeconds.
  await new Promise((r) => setTimeout(r, (LOCK_SECONDS + 2) * 1000));
  await Promise.all([...notifies.keys()].map((id) => notify(id)));
  await new Promise((r) => setTimeout(r, 500));

  for (const c of children) c.kill('SIGKILL');
  await simServer.close();
  await topology.close();
  const ids = [...notifies.keys()];
  return {
    topology: kind,
    client: family,
    requests,
    window503: first503 === undefined ? 'none' : `${((last503! - first503) / 1000).toFixed(1)} s (kill at ${(killedAt / 1000).toFixed(1)} s, 503s from ${(first503 / 1000).toFixed(1)} s)`,
    maxLatencyMs: maxLatency,
    hangs,
    notifies: ids.length,
    lost: ids.filter((id) => notifies.get(id)!.acked && !runs.get(id)).length + pending().length,
    duplicates: ids.reduce((sum, id) => sum + Math.max(0, (runs.get(id) ?? 0) - 1), 0),
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const combos: Array<['cluster' | 'sentinel', ClientFamily]> = [
    ['sentinel', 'node-redis'],
    ['sentinel', 'ioredis'],
    ['cluster', 'node-redis'],
    ['cluster', 'ioredis'],
  ];
  for (const [kind, family] of combos) {
    const row = await run(kind, family);
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  console.log(`durable marks: ${DURABLE ? 'on (1 replica, 200 ms)' : 'off'}`);
  console.log('| topology | client | requests | 503 window | max latency | hangs | notifies | lost | duplicate runs |');
  console.log('|---|---|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.topology} | ${r.client} | ${r.requests} | ${r.window503} | ${r.maxLatencyMs} ms | ${r.hangs} | ${r.notifies} | ${r.lost} | ${r.duplicates} |`);
  process.exit(0);
}

if (process.env.FAILOVER_CHILD) void child();
else void main();
