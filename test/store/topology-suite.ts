/**
 * What multi-process deployments rely on, on one real Redis topology through node-redis and
 * ioredis: the Store contract, the token stampede (one token + one ticket for 4 processes), a
 * native-app session shared across processes, and a notify handled exactly once. Each "process"
 * is a wxauth() router with its own client connection, on its own HTTP port, sharing one prefix.
 * The topology starts once per test file (see test/helpers/redis-topologies.ts).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { wxauth, type WxAuthRouter } from '../../lib';
import { signJssdk } from '../../lib/jssdk/sign';
import { createSimulator, type SimServer, type Simulator } from '../../lib/simulator';
import { RedisStore, type RedisClientKind } from '../../lib/store';
import { captureLogger } from '../helpers/logs';
import {
  connectClient,
  startTopology,
  skipWithoutTopology,
  type ClientFamily,
  type Topology,
  type TopologyClient,
  type TopologyKind,
} from '../helpers/redis-topologies';
import { MCHID, PAY, payNotify, SUCCESS_XML } from '../pay/helpers';
import { storeContract } from './contract';

const MP = { appid: PAY.appid, secret: 'mp-secret-never-logged' };
const MOBILE = { appid: 'wxmo000000000001', secret: 'mobile-secret-0123456789ab' };
const ANDROID = { 'X-Client-Type': 'android', 'X-Client-Version': '1.2.0', 'X-App-Id': MOBILE.appid };
const PAGE = 'http://127.0.0.1/page?id=1';
const PROCESSES = 4;

const KINDS: Record<TopologyKind, Record<ClientFamily, RedisClientKind>> = {
  standalone: { 'node-redis': 'node-redis', ioredis: 'ioredis' },
  cluster: { 'node-redis': 'node-redis-cluster', ioredis: 'ioredis-cluster' },
  sentinel: { 'node-redis': 'node-redis-sentinel', ioredis: 'ioredis' }, // ioredis with `sentinels` is a plain client
};

interface Process {
  router: WxAuthRouter;
  url: string;
}

export function topologySuite(kind: TopologyKind): void {
  if (skipWithoutTopology(kind)) return;

  let topology: Topology;
  let sim: Simulator;
  let simServer: SimServer;
  const servers: http.Server[] = [];

  beforeAll(async () => {
    topology = await startTopology(kind);
    sim = createSimulator({
      apps: [
        { ...MP, type: 'mp' },
        { ...MOBILE, type: 'mobile' },
      ],
    });
    simServer = await sim.listen();
  }, 60_000);
  afterAll(async () => {
    await simServer?.close();
    await topology?.close();
  });
  beforeEach(() => sim.reset());
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  describe.each<ClientFamily>(['node-redis', 'ioredis'])(`Redis ${kind} through %s`, (family) => {
    const clients: TopologyClient[] = [];
    const run = randomBytes(4).toString('hex');
    let n = 0;
    const freshPrefix = () => `wxauth-topo:${family}:${run}:${++n}:`;

    beforeAll(async () => {
      for (let i = 0; i < PROCESSES; i++) clients.push(await connectClient(topology, family));
    }, 30_000);
    afterAll(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });

    /** `count` app processes on one key space, each on its own connection and in-process caches. */
    async function processes(prefix: string, count = PROCESSES): Promise<Process[]> {
      const started: Process[] = [];
      for (let i = 0; i < count; i++) {
        const app = express();
        const server = http.createServer(app);
        servers.push(server);
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const router = wxauth({
          mp: MP,
          jssdk: { jsApiList: ['chooseImage'] },
          mobile: MOBILE,
          pay: PAY,
          baseUrl: url,
          endpoints: { open: simServer.url, api: simServer.url, pay: simServer.url },
          store: clients[i]!.client,
          storePrefix: prefix,
          logger: captureLogger(),
        });
        app.use(router);
        started.push({ router, url });
      }
      return started;
    }

    test(`wxauth() drives it as ${KINDS[kind][family]}`, () => {
      expect(new RedisStore(clients[0]!.client).clientKind).toBe(KINDS[kind][family]);
    });

    describe('Store contract', () => {
      const prefix = freshPrefix();
      storeContract(() => new RedisStore(clients[0]!.client, { prefix }));
    });

    test(`${PROCESSES} processes, cold cache, 400 concurrent /weixin-config.js → exactly 1 token and 1 ticket fetched`, async () => {
      const procs = await processes(freshPrefix());
      sim.faults.inject('/cgi-bin/stable_token', { delayMs: 300 }); // every other request arrives while the fetch is in flight
      const responses = await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          const res = await fetch(`${procs[i % PROCESSES]!.url}/weixin-config.js?url=${encodeURIComponent(PAGE)}`);
          return { status: res.status, text: await res.text() };
        }),
      );
      expect(responses.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
      expect(sim.calls('/cgi-bin/stable_token') + sim.calls('/cgi-bin/token')).toBe(1);
      expect(sim.calls('/cgi-bin/ticket/getticket')).toBe(1);
      const [ticket] = sim.ticketsOf(MP.appid);
      for (const { text } of responses) {
        const c = JSON.parse(/wx\.config\((\{.*\})\);/.exec(text)![1]!) as { nonceStr: string; timestamp: number; signature: string };
        expect(signJssdk({ ticket: ticket!, nonceStr: c.nonceStr, timestamp: c.timestamp, url: PAGE })).toBe(c.signature);
      }
    }, 30_000);

    test('a native-app session created on one process is used, refreshed and ended on others', async () => {
      const [a, b, c] = await processes(freshPrefix(), 3);
      const login = await fetch(`${a!.url}/wx/oauth/login`, {
        method: 'POST',
        headers: { ...ANDROID, 'Content-Type': 'application/json' },
        body: JSON.stringify({ code: sim.issueCode(MOBILE.appid, { user: 'alice' }) }),
      });
      expect(login.status).toBe(200);
      const first = (await login.json()) as { sessionId: string; unionId: string };
      expect(first.unionId).toBe(sim.unionidOf('alice'));

      // Process b knows the session without a code: it read it from the shared store.
      const again = await fetch(`${b!.url}/wx/oauth/login`, {
        method: 'POST',
        headers: { ...ANDROID, 'Content-Type': 'application/json', 'X-Session-Id': first.sessionId },
        body: '{}',
      });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(first);
      expect(sim.calls('/sns/oauth2/access_token')).toBe(1);

      const session = { 'X-App-Id': MOBILE.appid, 'X-Session-Id': first.sessionId };
      expect((await fetch(`${c!.url}/wx/oauth/refresh`, { method: 'PUT', headers: session })).status).toBe(204);
      expect(sim.calls('/sns/oauth2/refresh_token')).toBe(1);
      expect((await fetch(`${b!.url}/wx/oauth/session`, { method: 'DELETE', headers: session })).status).toBe(204);
      expect((await fetch(`${a!.url}/wx/oauth/refresh`, { method: 'PUT', headers: session })).status).toBe(400);
    });

    test('50 concurrent copies of one pay notify over two processes → the handler runs once, all answered SUCCESS', async () => {
      const prefix = freshPrefix();
      const [a, b] = await processes(prefix, 2);
      let runs = 0;
      const handler = async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 100)); // every copy arrives while the first is being handled
      };
      a!.router.pay.onNotify(handler);
      b!.router.pay.onNotify(handler);
      const { xml, fields } = payNotify();
      const post = (url: string) =>
        fetch(`${url}/wxpay/pay/callback`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xml }).then(async (r) => ({ status: r.status, text: await r.text() }));
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => post((i % 2 ? b : a)!.url)));
      expect(runs).toBe(1);
      expect(replies.filter((r) => r.status !== 200 || r.text !== SUCCESS_XML)).toEqual([]);
      expect((await post(b!.url)).text).toBe(SUCCESS_XML); // WeChat's repeat, later
      expect(runs).toBe(1);
      const mark = await new RedisStore(clients[2]!.client, { prefix }).get(`wxpay:${MCHID}:pay:${String(fields.transaction_id)}:once`);
      expect(mark).toMatch(/^done:\d+$/);
    }, 30_000);
  });
}
