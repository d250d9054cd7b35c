import { WxAuthError } from '../errors';

/**
 * The Redis clients `RedisStore` drives, by family. Each has its own way to send a raw command:
 *
 * - node-redis v4+ client (and `createClientPool()`): `sendCommand(args, options)`
 * - node-redis `createCluster()`: `sendCommand(firstKey, isReadonly, args, options)`
 * - node-redis `createSentinel()` (v5+): `sendCommand(isReadonly, args, options)`
 * - ioredis `Redis` (also with `sentinels`) and `Cluster`: `call(command, ...args)` — their
 *   `sendCommand` takes an ioredis `Command` object, so it must not be mistaken for node-redis's.
 *
 * Every command we send names one key (EVAL with `numkeys` 1 and the key as `KEYS[1]`), so a
 * cluster client routes each to the key's master and no hash tags are needed. Reads are sent as
 * not read-only: a replica may lag, and a `take` must not be followed by a stale `get`.
 */

/** node-redis v4+ standalone client or client pool. */
export interface NodeRedisClientLike {
  // node-redis v5+ honours `{ timeout }` (an unsent command is dropped from its offline queue); v4 ignores it.
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>;
}

/** node-redis `createCluster()`. */
export interface NodeRedisClusterLike {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[], options?: { timeout?: number }): Promise<unknown>;
  getSlotMaster(slot: number): unknown;
}

/** node-redis `createSentinel()`. */
export interface NodeRedisSentinelLike {
  sendCommand(isReadonly: boolean | undefined, args: string[], options?: { timeout?: number }): Promise<unknown>;
  getMasterNode(): unknown;
}

/** ioredis `Redis` (standalone or with `sentinels`) or `Cluster`. */
export interface IoredisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/**
 * The slice of a Redis client we use. Raw commands keep us independent of each client's
 * option-object API, which changed between node-redis v4 and v5.
 */
export type RedisLikeClient = NodeRedisClientLike | NodeRedisClusterLike | NodeRedisSentinelLike | IoredisLike;

export type RedisClientKind = 'node-redis' | 'node-redis-cluster' | 'node-redis-sentinel' | 'ioredis' | 'ioredis-cluster';

/** Sends one command (`args[0]` is its name) about `key`, the key a cluster routes it by. */
export type RedisExec = (args: string[], key: string) => Promise<unknown>;

export const SUPPORTED_CLIENTS = 'a node-redis v4+ client, cluster or sentinel, an ioredis client or cluster, or a Store';

/** True for anything that looks like a Redis client (driven or refused by `RedisStore`). */
export function isRedisLikeClient(value: unknown): value is RedisLikeClient {
  if (!value || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  return typeof c.sendCommand === 'function' || typeof c.call === 'function' || typeof c.send_command === 'function';
}

/** Which family `client` belongs to, or why we cannot drive it. */
export function redisClientKind(client: unknown): RedisClientKind | { refused: string } {
  if (!client || typeof client !== 'object') return { refused: 'it is not an object' };
  const c = client as Record<string, unknown>;
  const fn = (name: string) => typeof c[name] === 'function';
  // ioredis first: it has a `sendCommand` too, but one that takes a `Command` object.
  if (fn('call') && (typeof c.isCluster === 'boolean' || fn('get'))) return c.isCluster === true ? 'ioredis-cluster' : 'ioredis';
  if (fn('send_command')) return { refused: 'it is a callback-style client (node-redis v3 or older)' };
  if (!fn('sendCommand')) return { refused: 'it is neither a node-redis client (sendCommand) nor an ioredis client (call, isCluster)' };
  if (isLegacyMode(c)) return { refused: 'it is a node-redis client in legacyMode (pass client.v4 or a client without legacyMode)' };
  if (fn('getSlotMaster')) return 'node-redis-cluster';
  if (fn('getMasterNode') && fn('getSentinelNode')) return 'node-redis-sentinel';
  return 'node-redis';
}

/**
 * A function that sends one raw command through `client`, or a `config_error` naming `store` and
 * what to pass when we cannot drive it. `timeoutMs` (0: none) is handed to node-redis v5+, which
 * then drops a command still waiting in its offline queue.
 */
export function redisExec(client: RedisLikeClient, timeoutMs: number): { kind: RedisClientKind; exec: RedisExec } {
  const kind = redisClientKind(client);
  if (typeof kind === 'object') {
    throw new WxAuthError('config_error', `"store" cannot be driven: ${kind.refused}. Pass ${SUPPORTED_CLIENTS}`, { field: 'store' });
  }
  const options = timeoutMs ? { timeout: timeoutMs } : undefined;
  let exec: RedisExec;
  switch (kind) {
    case 'ioredis':
    case 'ioredis-cluster': {
      const c = client as IoredisLike;
      exec = (args) => c.call(args[0]!, ...args.slice(1)); // Cluster finds the slot from the command's key
      break;
    }
    case 'node-redis-cluster': {
      const c = client as NodeRedisClusterLike;
      exec = (args, key) => (options ? c.sendCommand(key, false, args, options) : c.sendCommand(key, false, args));
      break;
    }
    case 'node-redis-sentinel': {
      const c = client as NodeRedisSentinelLike;
      exec = (args) => (options ? c.sendCommand(false, args, options) : c.sendCommand(false, args));
      break;
    }
    default: {
      const c = client as NodeRedisClientLike;
      exec = (args) => (options ? c.sendCommand(args, options) : c.sendCommand(args));
    }
  }
  return { kind, exec };
}

/** node-redis v4's `legacyMode` makes `sendCommand` callback-style (its `.v4` getter throws otherwise). */
function isLegacyMode(c: Record<string, unknown>): boolean {
  try {
    const options = c.options as { legacyMode?: unknown } | undefined;
    return options?.legacyMode === true;
  } catch {
    return false;
  }
}

/** The slice of an ioredis `Cluster` that finds a slot's master connection. */
interface IoredisClusterNodes {
  slots: string[][];
  nodes(role: 'master'): Array<IoredisLike & { options: { host?: string; port?: number } }>;
}

/**
 * Sends a keyless command (`WAIT`) on the connection that carries `key`'s writes: `WAIT` counts
 * the replicas that acknowledged this connection's writes, so it must reach the key's master over
 * the same connection. node-redis Cluster routes by the key it is given; ioredis Cluster would send
 * a keyless command to any node, so the slot's master is looked up (ioredis keeps one connection
 * per node). Other clients have one connection to the master. (A node-redis client pool has many:
 * `WAIT` there counts a random connection's writes.)
 */
export function redisExecOnKeyMaster(client: RedisLikeClient, kind: RedisClientKind, exec: RedisExec): RedisExec {
  if (kind !== 'ioredis-cluster') return exec;
  const c = client as unknown as IoredisClusterNodes;
  return (args, key) => {
    const master = c.slots?.[keySlot(key)]?.[0];
    const node = master && c.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master);
    if (!node) return Promise.reject(new Error('the slot of the key has no known master (cluster not ready?)'));
    return node.call(args[0]!, ...args.slice(1));
  };
}

/** Redis Cluster's hash slot of `key`: CRC16 (XMODEM) of the key, or of its `{hash tag}`, mod 16384. */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
