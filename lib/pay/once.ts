import { consoleLogger, type Logger } from '../log';
import { pooledRandomHex } from '../random';
import type { Store } from '../store/types';

export interface OnceOptions {
  /**
   * Lease lifetime (s): how long a crashed holder can block the key. A live holder renews it every
   * `lockSeconds / 3` while `fn` runs (when the store has `expireIfEquals`), so a slow `fn` keeps it.
   */
  lockSeconds: number;
  /** How long to wait for another holder (ms) before giving up with `busy`. */
  waitMs: number;
  /** How long the done mark lives (s). */
  rememberSeconds: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told when a lease is lost, and once per store that cannot renew leases. Default: console. */
  logger?: Pick<Logger, 'warn'> & Partial<Pick<Logger, 'error'>>;
  /**
   * Durable marks: after the lock and after the done mark, wait until `replicas` replicas have
   * them (`store.waitReplicas`, Redis `WAIT`), at most `timeoutMs`. Fewer is logged, not failed.
   */
  durable?: { replicas: number; timeoutMs: number };
  /** What the log lines start with: the surface using the machinery. Default `wxpay` (the message server passes `wxmsg`). */
  label?: string;
}

/** Backoff of the done-mark retries: 50 ms, doubling, at most 1 s between attempts. */
export const MARK_RETRY_FIRST_MS = 50;
export const MARK_RETRY_MAX_MS = 1000;

/**
 * `ran`: this call ran `fn` and marked it done. `ran_unmarked`: it ran, but the done mark could
 * not be written yet (the store failed after the work succeeded); it is retried in the background
 * while the lease is held (up to `lockSeconds`), and a repeat meanwhile answers `busy`. `ran_lease_lost`: it ran, but its
 * lease was lost on the way (taken over or gone), so another delivery may have run `fn` at the same
 * time; the done mark was written only if no other holder had the key. `already`: a previous call
 * did the work. `busy`: another process is still at it after `waitMs`.
 */
export type OnceOutcome = 'ran' | 'ran_unmarked' | 'ran_lease_lost' | 'already' | 'busy';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** For the background retries: a timer that does not keep the process alive. */
const unrefSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** Background done-mark retries still running (see `settleMarks`). */
const pendingMarks = new Set<Promise<void>>();

/**
 * Resolves once every done mark still being retried in this process has landed or been given up
 * (at most `lockSeconds`). Await it on shutdown, after the HTTP server stopped taking requests.
 */
export async function settleMarks(): Promise<void> {
  while (pendingMarks.size) await Promise.all([...pendingMarks]);
}

/** Stores already reported as unable to renew or compare-and-set (told once each). */
const warnedStores = new WeakSet<Store>();

/** `wxpay:<mchid>:pay:<id>` → `pay`: what kind of key, without the ids. */
function kindOf(key: string): string {
  const parts = key.split(':');
  return parts.length >= 4 ? parts[2]! : 'key';
}

/**
 * Run `fn` at most once per `key` across every process sharing `store`, until it succeeds.
 * One key carries both marks, so the common case costs two store round trips: `SET NX` of a
 * "processing" value with a TTL and an owner (two deliveries never run `fn` at the same time, and a
 * crashed holder blocks for at most `lockSeconds`), then, only after `fn` resolved, the "done"
 * value that makes later deliveries skip it. When `fn` throws, the key is released (owner-checked),
 * so the next delivery runs it again.
 *
 * While `fn` runs, the lease is renewed (owner-checked PEXPIRE) every `lockSeconds / 3`: a handler
 * slower than `lockSeconds` does not let a second delivery in. The done mark replaces only our own
 * lease (compare-and-set). A store without `expireIfEquals` / `setIfEquals` gets the behaviour
 * without them (a lease of `lockSeconds` at most, a plain `set` of the mark), reported once.
 */
export async function runOnce(store: Store, key: string, options: OnceOptions, fn: () => Promise<void>): Promise<OnceOutcome> {
  const onceKey = `${key}:once`;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const logger = options.logger ?? consoleLogger;
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
  if ((!store.expireIfEquals || !store.setIfEquals) && !warnedStores.has(store)) {
    warnedStores.add(store);
    try {
      logger.warn(`${options.label ?? 'wxpay'}: the store has no expireIfEquals / setIfEquals: once-only leases cannot be renewed, so a handler slower than lockSeconds may run twice at once`);
    } catch {
      // A logger that throws must not change the outcome.
    }
  }
  const warnLost = () => {
    try {
      logger.warn(`${options.label ?? 'wxpay'}: once-only lease lost while the handler ran; another delivery may run it too`, { kind: kindOf(key) });
    } catch {
      // A logger that throws must not change the outcome.
    }
  };
  await waitDurable(store, onceKey, options, logger, 'lock');
  const lease = renewLease(store, onceKey, processing, options.lockSeconds, warnLost);
  try {
    await fn();
  } catch (error) {
    await lease.stop();
    await store.delIfEquals(onceKey, processing).catch(() => undefined);
    throw error;
  }
  await lease.stop();
  const done = `done:${now()}`;
  const markDeadline = now() + options.lockSeconds * 1000;
  const mark = async (retry: boolean): Promise<OnceOutcome> => {
    if (!store.setIfEquals) {
      await store.set(onceKey, done, options.rememberSeconds);
      return lease.lost ? 'ran_lease_lost' : 'ran';
    }
    if (!lease.lost && (await store.setIfEquals(onceKey, processing, done, options.rememberSeconds))) return 'ran';
    // A retry after an attempt that failed on the way back (timed out, then ran): already ours.
    if (retry && (await store.get(onceKey)) === done) return 'ran';
    // Not ours any more. Write the mark only where nobody holds the key: never over another owner.
    if (!lease.lost) warnLost();
    await store.setIfAbsent(onceKey, done, options.rememberSeconds);
    return 'ran_lease_lost';
  };
  try {
    const outcome = await mark(false);
    if (outcome === 'ran') await waitDurable(store, onceKey, options, logger, 'done mark');
    return outcome;
  } catch {
    // The work is done and the reply is SUCCESS (see "Notifies: exactly once" in docs/pay-v2.md): keep the lease
    // and retry the mark in the background, so a Redis that fails over in a few seconds still
    // gets it and WeChat's repeat finds it. Given up after lockSeconds, as the lease would be.
    if (lease.lost) return 'ran_lease_lost';
    const retrying = retryMark(store, onceKey, processing, options, logger, markDeadline, mark).finally(() => pendingMarks.delete(retrying));
    pendingMarks.add(retrying);
    return 'ran_unmarked';
  }
}

/** Retry `mark` with backoff until it lands or `deadline`; renew the lease in between. Never rejects. */
async function retryMark(
  store: Store,
  onceKey: string,
  processing: string,
  options: OnceOptions,
  logger: NonNullable<OnceOptions['logger']>,
  deadline: number,
  mark: (retry: boolean) => Promise<OnceOutcome>,
): Promise<void> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? unrefSleep;
  const renewEvery = (options.lockSeconds * 1000) / 3;
  let lastRenewal = now();
  let delay = MARK_RETRY_FIRST_MS;
  for (let attempt = 1; ; attempt++) {
    await sleep(Math.min(delay, Math.max(0, deadline - now())));
    delay = Math.min(delay * 2, MARK_RETRY_MAX_MS);
    if (store.expireIfEquals && now() - lastRenewal >= renewEvery) {
      // Keep the lease while we retry; a failure is the outage itself, the next round tries again.
      if (await Promise.resolve().then(() => store.expireIfEquals!(onceKey, processing, options.lockSeconds)).catch(() => false)) lastRenewal = now();
    }
    try {
      const outcome = await mark(true);
      if (outcome === 'ran') await waitDurable(store, onceKey, options, logger, 'done mark');
      tell(logger, 'warn', `${options.label ?? 'wxpay'}: the done mark was stored after the store came back`, { kind: kindOf(onceKey), attempts: attempt + 1, outcome });
      return;
    } catch {
      if (now() >= deadline) {
        tell(logger, 'error', `${options.label ?? 'wxpay'}: gave up storing the done mark after lockSeconds; a repeat may run the handler again`, { kind: kindOf(onceKey), attempts: attempt + 1 });
        return;
      }
    }
  }
}

/** Tell the logger; a logger that throws changes nothing. */
function tell(logger: NonNullable<OnceOptions['logger']>, level: 'warn' | 'error', message: string, meta: Record<string, unknown>): void {
  try {
    (level === 'error' && logger.error ? logger.error.bind(logger) : logger.warn.bind(logger))(message, meta);
  } catch {
    // A logger that throws must not change the outcome.
  }
}

/** Stores already reported as lacking `waitReplicas` while durable marks are on. */
const warnedNotDurable = new WeakSet<Store>();

/**
 * Durable marks: wait until `options.durable.replicas` replicas acknowledged `key`'s last write.
 * Fewer (or a store error) is logged and otherwise ignored: the lock still guards this process,
 * and a done mark that did not replicate is still on the master; only a failover in the next
 * moments could lose it, which is what the log is for. Failing the notify would not help: the
 * handler ran, and a FAIL makes WeChat deliver again.
 */
async function waitDurable(store: Store, key: string, options: OnceOptions, logger: NonNullable<OnceOptions['logger']>, what: 'lock' | 'done mark'): Promise<void> {
  const durable = options.durable;
  if (!durable) return;
  if (!store.waitReplicas) {
    if (!warnedNotDurable.has(store)) {
      warnedNotDurable.add(store);
      tell(logger, 'warn', `${options.label ?? 'wxpay'}: durableMarks is set but the store has no waitReplicas: marks are not waited for`, {});
    }
    return;
  }
  const acked = await Promise.resolve()
    .then(() => store.waitReplicas!(key, durable.replicas, durable.timeoutMs))
    .catch(() => -1);
  if (acked >= durable.replicas) return;
  tell(logger, what === 'lock' ? 'warn' : 'error', `${options.label ?? 'wxpay'}: the ${what} reached ${Math.max(0, acked)} of ${durable.replicas} replicas within ${durable.timeoutMs} ms; a failover now may lose it`, {
    kind: kindOf(key),
    replicas: Math.max(0, acked),
    ...(acked < 0 ? { storeError: true } : {}),
  });
}

interface Lease {
  /** True once a renewal found the key no longer ours. */
  readonly lost: boolean;
  /** Stop renewing; resolves after a renewal in flight has settled. */
  stop(): Promise<void>;
}

/**
 * Renew `key` (still holding `owner`) every `lockSeconds / 3` until stopped. A renewal that fails
 * (store error) is tried again at the next tick; one that finds another value marks the lease lost.
 * Real timers, unref'd and cleared on stop, so nothing outlives the call.
 */
function renewLease(store: Store, key: string, owner: string, lockSeconds: number, onLost: () => void): Lease {
  const state = { lost: false, stopped: false };
  const expire = store.expireIfEquals?.bind(store);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(tick, Math.max(1, (lockSeconds * 1000) / 3));
    timer.unref?.();
  };
  const tick = () => {
    // Through a promise: a custom store that throws instead of rejecting counts as a failed renewal.
    inFlight = Promise.resolve()
      .then(() => expire!(key, owner, lockSeconds))
      .then(
      (renewed) => {
        if (state.stopped) return;
        if (!renewed) {
          state.lost = true;
          onLost();
          return;
        }
        schedule();
      },
      () => {
        if (!state.stopped) schedule();
      },
    );
  };
  if (expire) schedule();
  return {
    get lost() {
      return state.lost;
    },
    async stop() {
      state.stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
