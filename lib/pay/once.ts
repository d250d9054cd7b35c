import { pooledRandomHex } from '../random';
import type { Store } from '../store/types';

export interface OnceOptions {
  /** Lock lifetime (s): how long a crashed holder can block the key. */
  lockSeconds: number;
  /** How long to wait for another holder (ms) before giving up with `busy`. */
  waitMs: number;
  /** How long the done mark lives (s). */
  rememberSeconds: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `ran`: this call ran `fn` and marked it done. `ran_unmarked`: it ran, but the done mark could
 * not be written (the store failed after the work succeeded). `already`: a previous call did the
 * work. `busy`: another process is still at it after `waitMs`.
 */
export type OnceOutcome = 'ran' | 'ran_unmarked' | 'already' | 'busy';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Run `fn` at most once per `key` across every process sharing `store`, until it succeeds.
 * One key carries both marks, so the common case costs two store round trips: `SET NX` of a
 * "processing" value with a TTL and an owner (two deliveries never run `fn` at the same time, and a
 * crashed holder blocks for at most `lockSeconds`), then, only after `fn` resolved, the "done"
 * value that makes later deliveries skip it. When `fn` throws, the key is released (owner-checked),
 * so the next delivery runs it again.
 */
export async function runOnce(store: Store, key: string, options: OnceOptions, fn: () => Promise<void>): Promise<OnceOutcome> {
  const onceKey = `${key}:once`;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  // The owner token: pooled CSPRNG bytes (a `randomBytes` call per notify cost more than its MD5).
  const processing = `processing:${pooledRandomHex(12)}`;
  const deadline = now() + options.waitMs;
  while (!(await store.setIfAbsent(onceKey, processing, options.lockSeconds))) {
    const current = await store.get(onceKey);
    if (current?.startsWith('done:')) return 'already';
    if (current === undefined) continue; // released (or expired) since our SET NX: try again at once
    if (now() >= deadline) return 'busy';
    await sleep(options.pollMs ?? 25);
  }
  try {
    await fn();
  } catch (error) {
    await store.delIfEquals(onceKey, processing).catch(() => undefined);
    throw error;
  }
  try {
    await store.set(onceKey, `done:${now()}`, options.rememberSeconds);
    return 'ran';
  } catch {
    // The processing value stays until its TTL, then a redelivery runs `fn` again.
    return 'ran_unmarked';
  }
}
