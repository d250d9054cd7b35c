import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { wxauth } from '../../lib';
import { signJssdk } from '../../lib/jssdk/sign';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, redisUrl, type TestRedis } from '../helpers/redis';
import { MP, startSimulator, type SimHarness } from '../client/harness';

let redis: TestRedis;
let h: SimHarness;
let n = 0;
const servers: http.Server[] = [];

beforeAll(async () => {
  redis = await createTestRedis('jssdk-stampede');
  h = await startSimulator();
});
afterAll(async () => {
  for (const s of servers) s.close();
  await h.close();
  await redis.close();
});
beforeEach(() => h.sim.reset());

/** A server process stand-in: its own wxauth router (own in-process caches) on the shared Redis prefix. */
async function serverInstance(prefix: string): Promise<string> {
  const router = wxauth({
    mp: MP,
    jssdk: { jsApiList: ['chooseImage'] },
    endpoints: { open: h.server.url, api: h.server.url },
    store: redis.client,
    storePrefix: prefix,
    logger: captureLogger(),
  });
  const server = express().use(router).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const PAGE = 'http://127.0.0.1/page?id=1';

function signatureOf(script: string): { nonceStr: string; timestamp: number; signature: string } {
  const json = /wx\.config\((\{.*\})\);/.exec(script)![1]!;
  return JSON.parse(json) as { nonceStr: string; timestamp: number; signature: string };
}

test('two server instances on one Redis, cold cache, 200 concurrent /weixin-config.js → 1 token fetch, 1 ticket fetch', async () => {
  const prefix = `${redis.prefix}${++n}:`;
  const bases = [await serverInstance(prefix), await serverInstance(prefix)];
  // A slow WeChat widens the race: every other request arrives while the one fetch is in flight.
  h.sim.faults.inject('/cgi-bin/stable_token', { delayMs: 300 });
  const responses = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const res = await fetch(`${bases[i % 2]}/weixin-config.js?url=${encodeURIComponent(PAGE)}`);
      return { status: res.status, text: await res.text() };
    }),
  );
  expect(responses.every((r) => r.status === 200)).toBe(true);
  expect(h.sim.calls('/cgi-bin/stable_token') + h.sim.calls('/cgi-bin/token')).toBe(1);
  expect(h.sim.calls('/cgi-bin/ticket/getticket')).toBe(1);
  const [ticket] = h.sim.ticketsOf(MP.appid);
  for (const { text } of responses) {
    const c = signatureOf(text);
    expect(signJssdk({ ticket: ticket!, nonceStr: c.nonceStr, timestamp: c.timestamp, url: PAGE })).toBe(c.signature);
  }
});

test('a real second Node process on the same Redis prefix: still exactly 1 token fetch and 1 ticket fetch', async () => {
  const prefix = `${redis.prefix}${++n}:`;
  const base = await serverInstance(prefix);
  const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
  const child = spawn(tsx, [path.join(__dirname, 'fixtures/ticket-worker.ts')], {
    env: { ...process.env, REDIS_URL: redisUrl(), PREFIX: prefix, SIM_URL: h.server.url, APPID: MP.appid, SECRET: MP.secret, COUNT: '100' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const guard = setTimeout(() => child.kill(), 15_000); // never leave a stray process behind
  for (let i = 0; i < 300 && !out.includes('ready\n') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  if (!out.includes('ready\n')) child.kill();
  expect(out).toContain('ready\n');

  // Both processes start cold at the same moment; the slow token fetch keeps the other one waiting on the lock.
  h.sim.faults.inject('/cgi-bin/stable_token', { delayMs: 500 });
  child.stdin.end('go\n');
  const ours = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const res = await fetch(`${base}/weixin-config.js?url=${encodeURIComponent(PAGE)}`);
      return { status: res.status, text: await res.text() };
    }),
  );
  expect(await exited).toBe(0);
  clearTimeout(guard);
  expect(err).toBe('');
  const theirs = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { tickets: string[] };

  expect(ours.every((r) => r.status === 200)).toBe(true);
  expect(h.sim.calls('/cgi-bin/stable_token') + h.sim.calls('/cgi-bin/token')).toBe(1);
  expect(h.sim.calls('/cgi-bin/ticket/getticket')).toBe(1);
  expect(theirs.tickets).toEqual(h.sim.ticketsOf(MP.appid));
  const c = signatureOf(ours[0]!.text);
  expect(signJssdk({ ticket: theirs.tickets[0]!, nonceStr: c.nonceStr, timestamp: c.timestamp, url: PAGE })).toBe(c.signature);
});
