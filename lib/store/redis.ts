import { WxAuthError } from '../errors';
import type { Store } from './types';

/**
 * The slice of a Redis client we use. node-redis v4+ has `sendCommand(args)`; ioredis has
 * `call(cmd, ...args)`. Raw commands keep us independent of each client's option-object API,
 * which changed between node-redis v4 and v5.
 */
export type RedisLikeClient =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

export interface RedisStoreOptions {
  /** Prefix of every key. Default `wxauth:`. */
  prefix?: string;
}

// Delete only while we still own the key (lock release, compare-and-delete).
const DEL_IF_EQUALS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

export function isRedisLikeClient(value: unknown): value is RedisLikeClient {
  if (!value || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.sendCommand === 'function' || (typeof candidate.call === 'function' && typeof candidate.get === 'function');
}

/** A `Store` on the user's own node-redis (v4+) or ioredis client. */
export class RedisStore implements Store {
  readonly prefix: string;
  private readonly exec: (args: string[]) => Promise<unknown>;

  constructor(client: RedisLikeClient, options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? 'wxauth:';
    this.exec =
      'sendCommand' in client
        ? (args) => client.sendCommand(args)
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
    const reply = await this.run(['SET', this.prefix + key, value, 'PX', String(Math.ceil(ttlSeconds * 1000)), 'NX']);
    return reply !== null && reply !== undefined;
  }

  async take(key: string): Promise<string | undefined> {
    return asString(await this.run(['GETDEL', this.prefix + key]));
  }

  async delIfEquals(key: string, value: string): Promise<boolean> {
    const reply = await this.run(['EVAL', DEL_IF_EQUALS, '1', this.prefix + key, value]);
    return Number(reply) === 1;
  }

  private async run(args: string[]): Promise<unknown> {
    try {
      return await this.exec(args);
    } catch (cause) {
      // The key may be sensitive-adjacent (it names an openid or notify id): keep it out of the message.
      throw new WxAuthError('store_error', `Redis ${args[0]} failed`, { cause });
    }
  }
}

function asString(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : String(reply);
}
