import { WxAuthError } from '../errors';
import type { Store } from './types';

/**
 * The slice of a Redis client we use. node-redis v4+ has `sendCommand(args)`; ioredis has
 * `call(cmd, ...args)`. Raw commands keep us independent of each client's option-object API,
 * which changed between node-redis v4 and v5.
 */
export type RedisLikeClient =
  // node-redis v5+ honours `{ timeout }` (an unsent command is dropped from its offline queue); v4 ignores it.
  | { sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

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

export function isRedisLikeClient(value: unknown): value is RedisLikeClient {
  if (!value || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.sendCommand === 'function' || (typeof candidate.call === 'function' && typeof candidate.get === 'function');
}

/** A `Store` on the user's own node-redis (v4+) or ioredis client. */
export class RedisStore implements Store {
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  private readonly exec: (args: string[]) => Promise<unknown>;

  constructor(client: RedisLikeClient, options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? 'wxauth:';
    const timeout = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
    if (!(Number.isFinite(timeout) && timeout >= 0)) {
      throw new WxAuthError('config_error', '"commandTimeoutMs" must be a number of milliseconds >= 0', { field: 'commandTimeoutMs' });
    }
    this.commandTimeoutMs = timeout;
    this.exec =
      'sendCommand' in client
        ? (args) => (timeout ? client.sendCommand(args, { timeout }) : client.sendCommand(args))
        : (args) => client.call(args[0]!, ...args.slice(1));
  }

  async get(key: string): Promise<string | undefined> {
    return asString(await this.run(['GET', this.prefix + key]));
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    const args = ['SET', this.prefix + key, value];
    if (ttlSeconds && ttlSeconds > 0) args.push('PX', String(Math.ceil(ttlSeconds * 1000)));
    await this.run(args);
  }

  async del(key: string): Promise<void> {
    await this.run(['DEL', this.prefix + key]);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const fullKey = this.prefix + key;
    const reply = await this.run(['SET', fullKey, value, 'PX', String(Math.ceil(ttlSeconds * 1000)), 'NX'], (late) => {
      // Timed out, then ran after all (Redis was frozen, not gone): the caller was told it failed,
      // so take the key back — a lock nobody holds would otherwise block everyone for its TTL.
      if (late !== null && late !== undefined) this.exec(['EVAL', DEL_IF_EQUALS, '1', fullKey, value]).catch(() => undefined);
    });
    return reply !== null && reply !== undefined;
  }

  async take(key: string): Promise<string | undefined> {
    return asString(await this.run(['GETDEL', this.prefix + key]));
  }

  async delIfEquals(key: string, value: string): Promise<boolean> {
    const reply = await this.run(['EVAL', DEL_IF_EQUALS, '1', this.prefix + key, value]);
    return Number(reply) === 1;
  }

  async expireIfEquals(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.run(['EVAL', EXPIRE_IF_EQUALS, '1', this.prefix + key, value, String(ttlMs(ttlSeconds))]);
    return Number(reply) === 1;
  }

  async setIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.run(['EVAL', SET_IF_EQUALS, '1', this.prefix + key, expected, value, String(ttlMs(ttlSeconds))]);
    return Number(reply) === 1;
  }

  /**
   * One command, bounded by `commandTimeoutMs`. `onLate` sees the reply of a command that timed
   * out and then completed anyway. The key may be sensitive-adjacent (it names an openid or a
   * notify id): it never goes into an error message.
   */
  private run(args: string[], onLate?: (reply: unknown) => void): Promise<unknown> {
    const failed = (cause: unknown) => new WxAuthError('store_error', `Redis ${args[0]} failed`, { cause });
    let sent: Promise<unknown>;
    try {
      sent = this.exec(args);
    } catch (cause) {
      return Promise.reject(failed(cause)); // a client that throws instead of rejecting
    }
    const ms = this.commandTimeoutMs;
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
}

function ttlMs(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds * 1000));
}

function asString(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}
