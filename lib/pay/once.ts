import { randomBytes } from 'node:crypto';
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
 * A processing lock (SET NX with a TTL and an owner) keeps two deliveries from running it at the
 * same time; a done mark, written only after `fn` resolved, makes later deliveries skip it. When
 * `fn` throws, no mark is written and the lock is released, so the next delivery runs it again.
 */
export async function runOnce(store: Store, key: string, options: OnceOptions, fn: () => Promise<void>): Promise<OnceOutcome> {
  const doneKey = `${key}:done`;
  const lockKey = `${key}:lock`;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  if (await store.get(doneKey)) return 'already';

  const owner = randomBytes(12).toString('hex');
  const deadline = now() + options.waitMs;
  while (!(await store.setIfAbsent(lockKey, owner, options.lockSeconds))) {
    if (now() >= deadline) return 'busy';
    await sleep(options.pollMs ?? 25);
    if (await store.get(doneKey)) return 'already';
  }
  try {
    // The holder we waited for may have finished between our first look and taking the lock.
    if (await store.get(doneKey)) return 'already';
    await fn();
    try {
      await store.set(doneKey, String(now()), options.rememberSeconds);
      return 'ran';
    } catch {
      return 'ran_unmarked';
    }
  } finally {
    await store.delIfEquals(lockKey, owner).catch(() => undefined);
  }
}
