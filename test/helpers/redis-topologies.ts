/**
 * Real Redis topologies for the tests, started on free ports in a temporary folder: a standalone
 * server, a 6-node Cluster (3 masters, 3 replicas) and a Sentinel group (1 master, 1 replica,
 * 3 sentinels, quorum 2). `close()` kills every process it started and removes the folder; a
 * process exit does the same for whatever is still running. Where `redis-server` (or, for the
 * cluster, `redis-cli`) is missing, `topologySkipReason()` says so and the suites skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis as IORedis, Cluster as IORedisCluster } from 'ioredis';
import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisLikeClient } from '../../lib/store';

const HOST = '127.0.0.1';

function binary(name: string): string | undefined {
  const dirs = ['/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')];
  for (const dir of dirs) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

export const REDIS_SERVER = binary('redis-server');
export const REDIS_CLI = binary('redis-cli');

export type TopologyKind = 'standalone' | 'cluster' | 'sentinel';
export type ClientFamily = 'node-redis' | 'ioredis';

/** Why the topology tests of `kind` cannot run here, or undefined when they can. */
/**
 * In a test file's top level: when `kind` cannot be started here, say why once and register a
 * skipped suite; true then, and the caller registers nothing else.
 */
export function skipWithoutTopology(kind: TopologyKind): boolean {
  const skip = topologySkipReason(kind);
  if (!skip) return false;
  console.warn(`\n[tests] ${skip}\n`);
  describe.skip(skip, () => test('skipped', () => undefined));
  return true;
}

export function topologySkipReason(kind: TopologyKind): string | undefined {
  if (!REDIS_SERVER) return `redis-server not found (PATH, /usr/bin, /usr/local/bin): skipping the Redis ${kind} tests. Install Redis to run them.`;
  if (kind === 'cluster' && !REDIS_CLI) return 'redis-cli not found: skipping the Redis Cluster tests (it creates the cluster). Install Redis to run them.';
  return undefined;
}

export interface RedisNode {
  host: string;
  port: number;
}

interface Base {
  dir: string;
  /** Kill one process of the topology by its port (failover tests). */
  kill(port: number): Promise<void>;
  close(): Promise<void>;
}
export interface StandaloneTopology extends Base {
  kind: 'standalone';
  node: RedisNode;
}
export interface ClusterTopology extends Base {
  kind: 'cluster';
  /** All six nodes; which are masters is the cluster's business (`CLUSTER NODES`). */
  nodes: RedisNode[];
}
export interface SentinelTopology extends Base {
  kind: 'sentinel';
  /** The name the sentinels monitor the master under. */
  name: string;
  master: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
}
export type Topology = StandaloneTopology | ClusterTopology | SentinelTopology;

// ---------------------------------------------------------------------------------------------
// Processes

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

class Processes {
  private readonly byPort = new Map<number, ChildProcess>();
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'wxauth-redis-'));

  start(port: number, args: string[]): void {
    const child = spawn(REDIS_SERVER!, args, { stdio: 'ignore' });
    child.once('exit', () => running.delete(child));
    child.on('error', () => undefined); // reported by waitReady's timeout, with the log path
    running.add(child);
    this.byPort.set(port, child);
  }

  async kill(port: number): Promise<void> {
    const child = this.byPort.get(port);
    this.byPort.delete(port);
    if (child) await stop(child);
  }

  async close(): Promise<void> {
    await Promise.all([...this.byPort.values()].map(stop));
    this.byPort.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Arguments every server of ours gets: loopback only, nothing written to disk but the log. */
function serverArgs(p: Processes, port: number): string[] {
  return ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', p.dir, '--logfile', path.join(p.dir, `redis-${port}.log`)];
}

// ---------------------------------------------------------------------------------------------
// Topologies

export async function startStandalone(): Promise<StandaloneTopology> {
  const p = new Processes();
  try {
    const [port] = await freePorts(1);
    p.start(port!, serverArgs(p, port!));
    await waitFor(`redis-server on ${port} (log in ${p.dir})`, async () => (await command(port!, ['PING'])) === 'PONG');
    return { kind: 'standalone', dir: p.dir, node: { host: HOST, port: port! }, kill: (x) => p.kill(x), close: () => p.close() };
  } catch (error) {
    await p.close();
    throw error;
  }
}

export async function startCluster(): Promise<ClusterTopology> {
  const p = new Processes();
  try {
    const ports = await freePorts(6, true); // each also needs its cluster bus port (+10000)
    for (const port of ports) {
      p.start(port, [...serverArgs(p, port), '--cluster-enabled', 'yes', '--cluster-config-file', path.join(p.dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000']);
    }
    for (const port of ports) await waitFor(`cluster node on ${port} (log in ${p.dir})`, async () => (await command(port, ['PING'])) === 'PONG');
    await promisify(execFile)(REDIS_CLI!, ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      timeout: 30_000,
    });
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => String(await command(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok'));
    }
    return { kind: 'cluster', dir: p.dir, nodes: ports.map((port) => ({ host: HOST, port })), kill: (x) => p.kill(x), close: () => p.close() };
  } catch (error) {
    await p.close();
    throw error;
  }
}

export async function startSentinel(): Promise<SentinelTopology> {
  const p = new Processes();
  const name = 'wxauth-test';
  try {
    const [master, replica, ...sentinels] = await freePorts(5);
    p.start(master!, [...serverArgs(p, master!), '--repl-diskless-sync-delay', '0']); // Redis 7 waits 5 s for more replicas by default
    p.start(replica!, [...serverArgs(p, replica!), '--replicaof', HOST, String(master)]);
    for (const port of sentinels) {
      const conf = path.join(p.dir, `sentinel-${port}.conf`); // sentinels rewrite their own file
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${p.dir}`,
          `logfile ${path.join(p.dir, `sentinel-${port}.log`)}`,
          `sentinel monitor ${name} ${HOST} ${master} 2`,
          `sentinel down-after-milliseconds ${name} 2000`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      p.start(port, [conf, '--sentinel']);
    }
    await waitFor(`replica on ${replica} in sync with ${master} (logs in ${p.dir})`, async () =>
      String(await command(replica!, ['INFO', 'replication'])).includes('master_link_status:up'),
    );
    for (const port of sentinels) {
      await waitFor(`sentinel on ${port} monitoring ${master}`, async () => {
        const addr = await command(port, ['SENTINEL', 'get-master-addr-by-name', name]);
        return Array.isArray(addr) && addr[1] === String(master);
      });
    }
    return {
      kind: 'sentinel',
      dir: p.dir,
      name,
      master: { host: HOST, port: master! },
      replica: { host: HOST, port: replica! },
      sentinels: sentinels.map((port) => ({ host: HOST, port })),
      kill: (x) => p.kill(x),
      close: () => p.close(),
    };
  } catch (error) {
    await p.close();
    throw error;
  }
}

export function startTopology(kind: TopologyKind): Promise<Topology> {
  return kind === 'standalone' ? startStandalone() : kind === 'cluster' ? startCluster() : startSentinel();
}

// ---------------------------------------------------------------------------------------------
// Clients

export interface TopologyClient {
  client: RedisLikeClient;
  close(): Promise<void>;
}

/** A connected client of `family` on `topology`, as an app would create it. */
export async function connectClient(topology: Topology, family: ClientFamily): Promise<TopologyClient> {
  return family === 'node-redis' ? connectNodeRedis(topology) : connectIoredis(topology);
}

async function connectNodeRedis(t: Topology): Promise<TopologyClient> {
  const client =
    t.kind === 'standalone'
      ? createClient({ socket: { host: t.node.host, port: t.node.port } })
      : t.kind === 'cluster'
        ? createCluster({ rootNodes: t.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })) })
        : createSentinel({ name: t.name, sentinelRootNodes: t.sentinels });
  client.on('error', () => undefined); // reconnects are the client's business; keep jest output clean
  await client.connect();
  return { client: client as unknown as RedisLikeClient, close: () => client.close().catch(() => undefined) };
}

async function connectIoredis(t: Topology): Promise<TopologyClient> {
  const client =
    t.kind === 'standalone'
      ? new IORedis({ host: t.node.host, port: t.node.port, lazyConnect: true })
      : t.kind === 'cluster'
        ? new IORedisCluster(t.nodes, { lazyConnect: true })
        : new IORedis({ sentinels: t.sentinels, name: t.name, lazyConnect: true });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    async close() {
      await client.quit().catch(() => undefined);
      client.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Plumbing: free ports, a raw RESP command (no client library between us and a starting server)

async function freePorts(count: number, withBus = false): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort(0);
    if (ports.includes(port)) continue;
    if (withBus && (port + 10000 > 65535 || !(await isFree(port + 10000)))) continue;
    ports.push(port);
  }
  return ports;
}

function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, HOST, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return freePort(port).then(
    () => true,
    () => false,
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Reply = string | number | null | Reply[];

/** One command over a fresh connection: +simple, -error (thrown), :integer, $bulk, *array. */
export function command(port: number, args: string[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let buffer = Buffer.alloc(0);
    const done = (error: Error | undefined, reply?: Reply) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    socket.setTimeout(2000, () => done(new Error(`no answer from ${port}`)));
    socket.once('error', (error) => done(error));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        const parsed = parse(buffer, 0);
        if (parsed) done(undefined, parsed[0]);
      } catch (error) {
        done(error as Error);
      }
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

/** [reply, next offset], or undefined while incomplete. */
function parse(buf: Buffer, at: number): [Reply, number] | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  if (type === '+') return [line, eol + 2];
  if (type === '-') throw new Error(line);
  if (type === ':') return [Number(line), eol + 2];
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return [null, eol + 2];
    if (buf.length < eol + 2 + n + 2) return undefined;
    return [buf.toString('utf8', eol + 2, eol + 2 + n), eol + 2 + n + 2];
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return [null, eol + 2];
    const items: Reply[] = [];
    let next = eol + 2;
    for (let i = 0; i < n; i++) {
      const item = parse(buf, next);
      if (!item) return undefined;
      items.push(item[0]);
      next = item[1];
    }
    return [items, next];
  }
  throw new Error(`unexpected RESP type ${type}`);
}
