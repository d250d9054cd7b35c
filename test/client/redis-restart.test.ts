import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import express from 'express';
import request from 'supertest';
import { createClient, type RedisClientType } from 'redis';
import { wxauth, type WxAuthRouter } from '../../lib';
import { reachable } from '../helpers/global-setup';
import { captureLogger } from '../helpers/logs';
import { MINI, MP, startSimulator, type SimHarness } from './harness';

/**
 * Decision under test: when Redis goes away, every process keeps serving the values it holds
 * (until their use-by time); a process with a cold cache waits at most the store timeout (1 s)
 * and then fetches from WeChat itself (stable_token answers the same token, so this cannot
 * invalidate anyone's). Nothing hangs, nothing answers 5xx. When Redis is back, values are
 * shared again.
 */
let h: SimHarness;
let port: number;
let server: ChildProcess | undefined;
let client: RedisClientType;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as net.AddressInfo;
      s.close(() => resolve(p));
    });
    s.once('error', reject);
  });
}

async function startRedis(): Promise<void> {
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await reachable(`redis://127.0.0.1:${port}`)); i++) await new Promise((r) => setTimeout(r, 50));
}

async function stopRedis(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

beforeAll(async () => {
  h = await startSimulator();
  port = await freePort();
  await startRedis();
  client = createClient({ url: `redis://127.0.0.1:${port}` }) as RedisClientType;
  client.on('error', () => undefined); // reconnect noise while the server is down
  await client.connect();
});
afterAll(async () => {
  await client.disconnect().catch(() => undefined);
  await stopRedis();
  await h.close();
});

const routerOn = (): WxAuthRouter =>
  wxauth({
    mp: MP,
    miniprogram: MINI,
    jssdk: { jsApiList: ['chooseImage'] },
    endpoints: { open: h.server.url, api: h.server.url },
    store: client,
    storePrefix: 'restart-test:',
    logger: captureLogger(),
  });
const appWith = (router: WxAuthRouter) => express().use(router);
const config = (app: express.Express) => request(app).get('/weixin-config.js').query({ url: 'http://127.0.0.1/page' }).set('Host', '127.0.0.1');

test('Redis stopped and started mid-test: /weixin-config.js keeps answering', async () => {
  const warm = routerOn();
  const warmApp = appWith(warm);
  expect((await config(warmApp)).status).toBe(200);
  expect(h.sim.calls('/cgi-bin/ticket/getticket')).toBe(1);

  await stopRedis();

  // A warm process serves from its own copy.
  const during = await config(warmApp);
  expect(during.status).toBe(200);
  expect(during.text).toContain('wx.config(');
  // A cold process (just started) waits for the store timeout, then fetches for itself.
  const coldApp = appWith(routerOn());
  const cold = await config(coldApp);
  expect(cold.status).toBe(200);
  // stable_token: the same token, so the warm process's copy is still good upstream.
  expect(new Set(h.sim.ticketsOf(MP.appid)).size).toBe(1);
  // Other calls too: a token for an app nobody has cached yet.
  await expect(warm.client.getAccessToken(MINI.appid)).resolves.toEqual(expect.any(String));

  await startRedis();
  for (let i = 0; i < 100 && !client.isReady; i++) await new Promise((r) => setTimeout(r, 50));
  expect(client.isReady).toBe(true);

  // Back to sharing: a new process finds nothing (the restart lost the data), fetches under the
  // lock, writes; the next new process takes it from Redis without calling WeChat.
  const ticketCalls = h.sim.calls('/cgi-bin/ticket/getticket');
  expect((await config(appWith(routerOn()))).status).toBe(200);
  expect(await client.get('restart-test:ticket:' + MP.appid)).toEqual(expect.any(String));
  const afterWrite = h.sim.calls('/cgi-bin/ticket/getticket');
  expect(afterWrite).toBe(ticketCalls + 1);
  expect((await config(appWith(routerOn()))).status).toBe(200);
  expect(h.sim.calls('/cgi-bin/ticket/getticket')).toBe(afterWrite);
  expect((await config(warmApp)).status).toBe(200);
});
