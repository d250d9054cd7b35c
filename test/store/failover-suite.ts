/**
 * Marks that survive a failover, on a real topology: a master killed while a notify handler runs
 * (the done mark is retried until the promoted replica takes it, and a repeat does not run the
 * handler), and durable marks (`WAIT` on the key's master: ≥ 1 with a healthy replica, 0 within
 * the timeout and logged when the master has none). The tests run in order on one topology: the
 * kill in the second leaves the key's new master without a replica, which the third relies on.
 */
import { randomBytes } from 'node:crypto';
import { runOnce, settleMarks, type OnceOptions } from '../../lib/pay/once';
import { RedisStore } from '../../lib/store';
import { keySlot } from '../../lib/store/redis-clients';
import { captureLogger } from '../helpers/logs';
import { command, connectClient, startTopology, skipWithoutTopology, type ClientFamily, type Topology, type TopologyClient } from '../helpers/redis-topologies';

/** The port of the master currently serving `fullKey` (cluster: by slot; sentinel: as the sentinels say). */
export async function masterOf(topology: Topology, fullKey: string): Promise<number> {
  if (topology.kind === 'standalone') return topology.node.port;
  if (topology.kind === 'sentinel') {
    const addr = (await command(topology.sentinels[0]!.port, ['SENTINEL', 'get-master-addr-by-name', topology.name])) as string[];
    return Number(addr[1]);
  }
  const slot = keySlot(fullKey);
  for (const node of topology.nodes) {
    const nodes = await command(node.port, ['CLUSTER', 'NODES']).catch(() => undefined);
    if (typeof nodes !== 'string') continue;
    for (const line of nodes.split('\n')) {
      const [, addr, flags, , , , , , ...slots] = line.split(' ');
      if (!flags?.includes('master') || flags.includes('fail')) continue;
      for (const range of slots) {
        const [from, to = from] = range.split('-').map(Number);
        if (slot >= from! && slot <= to!) return Number(addr!.split('@')[0]!.split(':')[1]);
      }
    }
  }
  throw new Error(`no master serves slot ${slot} (${topology.nodes.map((n) => n.port).join(', ')})`);
}

/** Wait until every master's replica is in sync (`state=online`), at most 30 s. */
async function replicasOnline(topology: Topology): Promise<void> {
  const ports = topology.kind === 'cluster' ? topology.nodes.map((n) => n.port) : topology.kind === 'sentinel' ? [topology.master.port] : [];
  const deadline = Date.now() + 30_000;
  for (const port of ports) {
    for (;;) {
      const info = String(await command(port, ['INFO', 'replication']).catch(() => ''));
      if (!info.includes('role:master') || /slave0:[^\r\n]*state=online/.test(info)) break;
      if (Date.now() > deadline) throw new Error(`the replica of ${port} did not come online`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export function failoverSuite(kind: 'cluster' | 'sentinel', family: ClientFamily): void {
  if (skipWithoutTopology(kind)) return;

  let topology: Topology;
  let conn: TopologyClient;
  let store: RedisStore;
  const prefix = `wxauth-failover:${randomBytes(4).toString('hex')}:`;
  const txKey = () => `wxpay:1900000109:pay:4200000${randomBytes(6).toString('hex')}`;
  let promoted: number | undefined; // the master the failover promoted (second test)

  beforeAll(async () => {
    topology = await startTopology(kind);
    await replicasOnline(topology); // a new cluster's replicas finish their first sync ~5 s later
    conn = await connectClient(topology, family);
    store = new RedisStore(conn.client, { prefix });
  }, 60_000);
  afterAll(async () => {
    await conn?.close();
    await topology?.close();
  });

  describe(`Redis ${kind} through ${family}`, () => {
    test('durable marks: WAIT on the key\'s master counts its healthy replica; the notify runs once and nothing is logged', async () => {
      const key = txKey();
      expect(await store.waitReplicas(`${key}:once`, 1, 2000)).toBeGreaterThanOrEqual(1);
      const logger = captureLogger();
      let runs = 0;
      const outcome = await runOnce(store, key, { lockSeconds: 10, waitMs: 0, rememberSeconds: 600, logger, durable: { replicas: 1, timeoutMs: 2000 } }, async () => {
        runs++;
      });
      expect([outcome, runs]).toEqual(['ran', 1]);
      expect(logger.lines).toEqual([]);
    }, 30_000);

    test('the master killed while the handler runs: the done mark is retried until the promoted replica takes it, and a repeat does not run the handler', async () => {
      const key = txKey();
      const onceKey = `${key}:once`;
      const master = await masterOf(topology, prefix + onceKey);
      const logger = captureLogger();
      const options: OnceOptions = { lockSeconds: 40, waitMs: 0, rememberSeconds: 600, logger };
      let runs = 0;
      const outcome = await runOnce(store, key, options, async () => {
        runs++;
        // The lock must be on the replica before its master dies (replication is asynchronous).
        expect(await store.waitReplicas(onceKey, 1, 10_000)).toBeGreaterThanOrEqual(1);
        await topology.kill(master);
      });
      // The handler's work is done: SUCCESS to WeChat, while the mark is retried in the background.
      expect(outcome).toBe('ran_unmarked');
      await settleMarks();
      // Each sentinel learns of the failover on its own: ask until the one we ask has heard of it.
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        promoted = await masterOf(topology, prefix + onceKey);
        if (promoted !== master) break;
      }
      expect(promoted).not.toBe(master);
      expect(await store.get(onceKey)).toMatch(/^done:\d+$/);
      expect(logger.text()).toContain('the done mark was stored after the store came back');
      expect(logger.text()).not.toContain('gave up');
      // WeChat's repeat, after the failover: recognised, not run again.
      expect(await runOnce(store, key, options, async () => void runs++)).toBe('already');
      expect(runs).toBe(1);
    }, 60_000);

    test('durable marks on a master left without a replica: WAIT answers 0 within its timeout, and the lock and the done mark are logged as not replicated', async () => {
      // The previous test killed a master: the replica it promoted has no replica of its own.
      expect(promoted).toBeDefined();
      let key = txKey();
      while ((await masterOf(topology, `${prefix}${key}:once`)) !== promoted) key = txKey();
      const logger = captureLogger();
      let runs = 0;
      const outcome = await runOnce(store, key, { lockSeconds: 10, waitMs: 0, rememberSeconds: 600, logger, durable: { replicas: 1, timeoutMs: 300 } }, async () => {
        runs++;
      });
      expect([outcome, runs]).toEqual(['ran', 1]); // the handler ran: still answered SUCCESS
      expect(await store.get(`${key}:once`)).toMatch(/^done:\d+$/);
      expect(await store.waitReplicas(`${key}:once`, 1, 300)).toBe(0);
      expect(logger.text()).toContain('the lock reached 0 of 1 replicas within 300 ms');
      expect(logger.text()).toContain('the done mark reached 0 of 1 replicas within 300 ms');
      expect(logger.text()).not.toContain(key); // the kind only, never the transaction id
    }, 30_000);
  });
}
