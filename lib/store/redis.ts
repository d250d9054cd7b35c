import { WxAuthError } from '../errors';
import { redisExec, redisExecOnKeyMaster, type RedisClientKind, type RedisExec, type RedisLikeClient } from './redis-clients';
import type { Store } from './types';

export {
  isRedisLikeClient,
  type RedisLikeClient,
  type NodeRedisClientLike,
  type NodeRedisClusterLike,
  type NodeRedisSentinelLike,
  type IoredisLike,
  type RedisClientKind,
} from './redis-clients';

export interface RedisStoreOptions {
  /** Prefix of every key. Default `wxauth:`. */
  prefix?: string;
  /**
   * A command not answered within this many ms fails with `store_error` (HTTP 503). Default 1000;
   * `0` waits as long as the client does. Why: node-redis and ioredis queue commands while they
   * reconnect, and a frozen Redis never answers, so without a bound a request would hang for the
   * whole outage. A command that already reached Redis may still run after its timeout; a
   * `setIfAbsent` that does is undone (see there).
   */
  commandTimeoutMs?: number;
}

/** Default of `RedisStoreOptions.commandTimeoutMs`. */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

// Delete only while we still own the key (lock release, compare-and-delete).
const DEL_IF_EQUALS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
// Renew a lease only while we still own it (ARGV[2]: ms).
const EXPIRE_IF_EQUALS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// Compare-and-set with a TTL (ARGV[3]: ms): the done mark replaces only our own lease.
const SET_IF_EQUALS =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end";

/**
 * A `Store` on the user's own Redis client: node-redis v4+ (client, `createCluster()`,
 * `createSentinel()`) or ioredis (`Redis`, with or without `sentinels`, and `Cluster`). A client it
 * cannot drive is refused here with `config_error` (field `store`), not on the first request.
 */
export class RedisStore implements Store {
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  /** Which client family the store drives. */
  readonly clientKind: RedisClientKind;
  private readonly exec: RedisExec;
  private readonly execOnKeyMaster: RedisExec;

  constructor(client: RedisLikeClient, options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? 'wxauth:';
    const timeout = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
    if (!(Number.isFinite(timeout) && timeout >= 0)) {
      throw new WxAuthError('config_error', '"commandTimeoutMs" must be a number of milliseconds >= 0', { field: 'commandTimeoutMs' });
    }
    this.commandTimeoutMs = timeout;
    const { kind, exec } = redisExec(client, timeout);
    this.clientKind = kind;
    this.exec = exec;
    this.execOnKeyMaster = redisExecOnKeyMaster(client, kind, exec);
  }

  async get(key: string): Promise<string | undefined> {
    const fullKey = this.prefix + key;
    return asString(await this.run(['GET', fullKey], fullKey));
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    const fullKey = this.prefix + key;
    const args = ['SET', fullKey, value];
    if (ttlSeconds && ttlSeconds > 0) args.push('PX', String(Math.ceil(ttlSeconds * 1000)));
    await this.run(args, fullKey);
  }

  async del(key: string): Promise<void> {
    const fullKey = this.prefix + key;
    await this.run(['DEL', fullKey], fullKey);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const fullKey = this.prefix + key;
    const reply = await this.run(['SET', fullKey, value, 'PX', String(Math.ceil(ttlSeconds * 1000)), 'NX'], fullKey, (late) => {
      // Timed out, then ran after all (Redis was frozen, not gone): the caller was told it failed,
      // so take the key back — a lock nobody holds would otherwise block everyone for its TTL.
      if (late !== null && late !== undefined) {
        Promise.resolve()
          .then(() => this.send(['EVAL', DEL_IF_EQUALS, '1', fullKey, value], fullKey))
          .catch(() => undefined);
      }
    });
    return reply !== null && reply !== undefined;
  }

  async take(key: string): Promise<string | undefined> {
    const fullKey = this.prefix + key;
    return asString(await this.run(['GETDEL', fullKey], fullKey));
  }

  async delIfEquals(key: string, value: string): Promise<boolean> {
    const fullKey = this.prefix + key;
    const reply = await this.run(['EVAL', DEL_IF_EQUALS, '1', fullKey, value], fullKey);
    return Number(reply) === 1;
  }

  async expireIfEquals(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const fullKey = this.prefix + key;
    const reply = await this.run(['EVAL', EXPIRE_IF_EQUALS, '1', fullKey, value, String(ttlMs(ttlSeconds))], fullKey);
    return Number(reply) === 1;
  }

  async setIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean> {
    const fullKey = this.prefix + key;
    const reply = await this.run(['EVAL', SET_IF_EQUALS, '1', fullKey, expected, value, String(ttlMs(ttlSeconds))], fullKey);
    return Number(reply) === 1;
  }

  /**
   * `WAIT replicas timeoutMs` on `key`'s master, over the connection that wrote it: how many
   * replicas acknowledged this connection's writes so far. While replicas are missing, `WAIT`
   * holds that connection (other commands queue behind it) for up to `timeoutMs`, so keep it well
   * below `commandTimeoutMs`; the command is bounded by `timeoutMs + commandTimeoutMs`.
   */
  async waitReplicas(key: string, replicas: number, timeoutMs: number): Promise<number> {
    const fullKey = this.prefix + key;
    const ms = Math.max(0, Math.floor(timeoutMs));
    const reply = await this.run(['WAIT', String(replicas), String(ms || 1)], fullKey, undefined, this.commandTimeoutMs && this.commandTimeoutMs + ms, this.execOnKeyMaster);
    return Number(reply);
  }

  /**
   * One command, bounded by `commandTimeoutMs`. `onLate` sees the reply of a command that timed
   * out and then completed anyway. `key` is the one key the command names (a cluster routes by
   * it). The key may be sensitive-adjacent (it names an openid or a notify id): it never goes into
   * an error message.
   */
  private run(args: string[], key: string, onLate?: (reply: unknown) => void, timeoutMs = this.commandTimeoutMs, exec = this.exec): Promise<unknown> {
    const failed = (cause: unknown) => new WxAuthError('store_error', `Redis ${args[0]} failed`, { cause });
    let sent: Promise<unknown>;
    try {
      sent = this.send(args, key, exec);
    } catch (cause) {
      return Promise.reject(failed(cause));
    }
    const ms = timeoutMs;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = ms
        ? setTimeout(() => {
            timedOut = true;
            reject(new WxAuthError('store_error', `Redis ${args[0]} did not answer within ${ms} ms`, { status: 503 }));
          }, ms)
        : undefined;
      timer?.unref();
      sent.then(
        (reply) => {
          clearTimeout(timer);
          if (timedOut) onLate?.(reply);
          else resolve(reply);
        },
        (cause: unknown) => {
          clearTimeout(timer);
          if (!timedOut) reject(failed(cause));
        },
      );
    });
  }

  /** `exec`, with a client that throws instead of rejecting, or answers without a Promise, turned into a rejection. */
  private send(args: string[], key: string, exec = this.exec): Promise<unknown> {
    const sent = exec(args, key) as unknown;
    if (!sent || typeof (sent as Promise<unknown>).then !== 'function') {
      // A callback-style client (node-redis v5's legacy(), a wrapper): it would never answer us.
      throw new TypeError('the Redis client answered without a Promise (a callback-style client?)');
    }
    return sent as Promise<unknown>;
  }
}

function ttlMs(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}

function asString(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}
