import { WxAuthError } from '../errors';
import type { Store } from './types';
import { pooledRandomHex } from '../random';

/**
 * In-process single flight: concurrent callers with the same key share one promise, so a cold
 * cache under load makes one upstream call, not hundreds.
 */
export function singleFlight<T>(inFlight: Map<string, Promise<T>>, key: string, fn: () => Promise<T>): Promise<T> {
  const running = inFlight.get(key);
  if (running) return running;
  const started = fn().finally(() => inFlight.delete(key));
  inFlight.set(key, started);
  return started;
}

export interface LockOptions {
  /** How long the lock lives if its holder dies (ms). It must outlast the guarded work. */
  ttlMs: number;
  /** How long to wait for another holder before giving up (ms). */
  waitMs: number;
  /** Poll interval while waiting (ms). Default 25. */
  pollMs?: number;
  /** Injected sleep, for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Cross-process mutual exclusion on the store (SET NX PX + owner-checked release). A holder that
 * dies blocks others for at most `ttlMs`. `fn` receives nothing; callers usually re-check their
 * cache inside, because the previous holder has often done the work already.
 */
export async function withLock<T>(store: Store, key: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const owner = pooledRandomHex(16);
  const deadline = now() + options.waitMs;
  for (;;) {
    if (await store.setIfAbsent(key, owner, options.ttlMs / 1000)) break;
    if (now() >= deadline) throw new WxAuthError('store_error', 'timed out waiting for a lock held by another process', { status: 503 });
    await sleep(options.pollMs ?? 25);
  }
  try {
    return await fn();
  } finally {
    await store.delIfEquals(key, owner).catch(() => undefined);
  }
}
