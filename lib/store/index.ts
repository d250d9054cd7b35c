import { WxAuthError } from '../errors';
import { MemoryStore } from './memory';
import { isRedisLikeClient, RedisStore } from './redis';
import { SUPPORTED_CLIENTS } from './redis-clients';
import type { Store } from './types';

export type { Store } from './types';
export { MemoryStore, type MemoryStoreOptions } from './memory';
export {
  RedisStore,
  isRedisLikeClient,
  type RedisLikeClient,
  type RedisStoreOptions,
  type RedisClientKind,
  type NodeRedisClientLike,
  type NodeRedisClusterLike,
  type NodeRedisSentinelLike,
  type IoredisLike,
} from './redis';
export { singleFlight, withLock, type LockOptions } from './lock';

/** True when `value` already implements the `Store` contract. */
export function isStore(value: unknown): value is Store {
  if (!value || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  return ['get', 'set', 'del', 'setIfAbsent', 'take', 'delIfEquals'].every((m) => typeof s[m] === 'function');
}

/**
 * `store` option → a `Store`: nothing gives the memory default (told through `logger` when it is
 * full), a node-redis / ioredis client, cluster or sentinel is wrapped in a `RedisStore` with
 * `prefix` and `commandTimeoutMs` (which refuses one it cannot drive), a `Store` is used as it is.
 */
export function resolveStore(option: unknown, prefix?: string, commandTimeoutMs?: number, logger?: { warn(message: string): void }): Store {
  if (commandTimeoutMs !== undefined && !isRedisLikeClient(option)) {
    throw new WxAuthError('config_error', '"storeTimeoutMs" applies only when "store" is a Redis client (give your own Store its own timeout)', {
      field: 'storeTimeoutMs',
    });
  }
  if (option === undefined || option === null) return new MemoryStore(logger ? { logger } : {});
  if (isStore(option)) return option;
  if (isRedisLikeClient(option)) {
    return new RedisStore(option, { ...(prefix === undefined ? {} : { prefix }), ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }) });
  }
  throw new WxAuthError('config_error', `"store" must be ${SUPPORTED_CLIENTS} { get, set, del, setIfAbsent, take, delIfEquals }`, {
    field: 'store',
  });
}
