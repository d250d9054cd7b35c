import type { Logger } from './log';
import { pooledRandomHex } from './random';
import type { Store } from './store/types';
import type { WechatClient } from './wechat/client';

/**
 * The injected I/O every core receives: HTTP to WeChat, the store, the clock, randomness and a
 * logger. Cores take this instead of reaching for globals, so tests swap any of them.
 */
export interface WxContext {
  http: WechatClient;
  store: Store;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** `bytes` of CSPRNG output as lower-case hex (alphanumeric, as WeChat's state/nonce require). */
  randomHex: (bytes: number) => string;
  logger: Logger;
}

/** The default `randomHex`: CSPRNG bytes from a pool (see random.ts). */
export const defaultRandomHex: (bytes: number) => string = pooledRandomHex;
