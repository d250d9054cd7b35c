import { WxAuthError } from '../errors';
import type { Logger } from '../log';
import { singleFlight } from '../store/lock';
import type { Store } from '../store/types';
import type { Fetched } from './fetch';
import { pooledRandomHex } from '../random';

/** Timing knobs of a `SharedCache`; the defaults suit WeChat's 7200 s tokens. */
export interface SharedCacheTuning {
  /** Treat a value as expired this long before WeChat's expiry, so no call uses a dying token. Default 5 min. */
  refreshMarginMs?: number;
  /**
   * How long this process trusts its own copy before re-reading the store (in the background,
   * while still serving the copy). Bounds how long a value another process replaced is used here.
   * Default 30 s.
   */
  localTtlMs?: number;
  /** Lifetime of the cross-process fetch lock: a holder that dies blocks the others at most this long. Default 17 s. */
  lockTtlMs?: number;
  /** How long a process waits for another one's fetch before giving up with `token_error`. Default lockTtlMs + 2 s. */
  lockWaitMs?: number;
  /** Poll interval while waiting for the holder's value. Default 25 ms. */
  pollMs?: number;
  /** A store call slower than this counts as a failed store (a Redis client queues commands while it reconnects). Default 1 s. */
  storeTimeoutMs?: number;
  /** Injected sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
}

export interface SharedCacheDeps {
  store: Store;
  now: () => number;
  logger: Logger;
}

/** What the store and the in-process copy hold: the value and when it must no longer be used. */
interface Entry {
  /** The token or ticket. */
  v: string;
  /** Use-by time in ms (WeChat's expiry minus the refresh margin). */
  e: number;
}

interface LocalEntry extends Entry {
  /** When to re-read the store in the background. */
  checkAt: number;
}

/** How long the store is skipped after it failed. */
const STORE_RETRY_MS = 5_000;

const sleepDefault = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A value per appid (basic access token, jsapi_ticket) shared by every process through the
 * store, with a small in-process copy in front of it:
 *
 * - hot path: the in-process copy, no I/O; it is re-read from the store every `localTtlMs` in
 *   the background and never served past its use-by time;
 * - cold path: one load per process at a time (`singleFlight`); the store first; on a miss, a
 *   store lock (SET NX PX, owner-checked release) lets exactly one process fetch from WeChat
 *   while the others poll the store for the value the holder writes;
 * - store down (error or timeout): the in-process copy keeps serving while valid; a cold miss
 *   fetches from WeChat directly (one per process) rather than hanging or failing.
 */
export class SharedCache {
  private readonly local = new Map<string, LocalEntry>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly margin: number;
  private readonly localTtl: number;
  private readonly lockTtl: number;
  private readonly lockWait: number;
  private readonly poll: number;
  private readonly storeTimeout: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private storeDownUntil = 0;

  constructor(
    /** Key namespace in the store and in log lines: `token` or `ticket`. */
    readonly kind: string,
    private readonly deps: SharedCacheDeps,
    tuning: SharedCacheTuning = {},
  ) {
    this.margin = tuning.refreshMarginMs ?? 5 * 60_000;
    this.localTtl = tuning.localTtlMs ?? 30_000;
    this.lockTtl = tuning.lockTtlMs ?? 17_000;
    this.lockWait = tuning.lockWaitMs ?? this.lockTtl + 2_000;
    this.poll = tuning.pollMs ?? 25;
    this.storeTimeout = tuning.storeTimeoutMs ?? 1_000;
    this.sleep = tuning.sleep ?? sleepDefault;
  }

  /**
   * The in-process copy when it is still usable, without I/O (the hot path). Starts a background
   * re-read of the store when the copy is due for one.
   */
  peek(appid: string, fetch: () => Promise<Fetched>): string | undefined {
    const entry = this.local.get(appid);
    if (!entry) return undefined;
    const now = this.deps.now();
    if (now >= entry.e) {
      this.local.delete(appid);
      return undefined;
    }
    if (now >= entry.checkAt) {
      entry.checkAt = now + this.localTtl; // one re-read per interval, even if it fails
      this.load(appid, fetch, true).catch((error: unknown) => this.warn('background refresh failed', appid, error));
    }
    return entry.v;
  }

  /** The value of `appid`: in-process copy, else store, else one fetch across all processes. */
  get(appid: string, fetch: () => Promise<Fetched>): Promise<string> {
    const hit = this.peek(appid, fetch);
    return hit === undefined ? this.load(appid, fetch) : Promise.resolve(hit);
  }

  /**
   * Drop the value of `appid`. With `onlyIf`, only while it is still that value: after a 40001
   * the failed token goes, but a fresh one another process just wrote stays.
   * `quiet`: a store failure is logged instead of thrown (the retry path).
   */
  async invalidate(appid: string, onlyIf?: string, quiet = false): Promise<void> {
    const entry = this.local.get(appid);
    if (entry && (onlyIf === undefined || entry.v === onlyIf)) this.local.delete(appid);
    const key = this.key(appid);
    try {
      if (onlyIf === undefined) {
        await this.timed(this.deps.store.del(key));
        return;
      }
      const raw = await this.timed(this.deps.store.get(key));
      // Compare-and-delete on the exact stored string: atomic against a concurrent rewrite.
      if (raw !== undefined && parse(raw)?.v === onlyIf) await this.timed(this.deps.store.delIfEquals(key, raw));
    } catch (error) {
      if (!quiet) throw error;
      this.warn('could not drop the value from the store', appid, error);
    }
  }

  /** Forget every in-process copy (the store is untouched). */
  clearLocal(): void {
    this.local.clear();
  }

  /**
   * Store, else one fetch under the lock. `background`: a re-read while the in-process copy is
   * still valid — if the store is down then, the copy simply stays (no fetch from WeChat every
   * `localTtlMs` while Redis is away).
   */
  private load(appid: string, fetch: () => Promise<Fetched>, background = false): Promise<string> {
    return singleFlight(this.inFlight, appid, async () => {
      let stored: Entry | undefined;
      try {
        stored = await this.read(appid);
      } catch (error) {
        const copy = this.local.get(appid);
        if (background && copy && this.deps.now() < copy.e) {
          this.warn('store unavailable: keeping the in-process copy', appid, error);
          return copy.v;
        }
        return this.fetchWithoutStore(appid, fetch, error);
      }
      return stored ? this.keep(appid, stored).v : this.fetchUnderLock(appid, fetch);
    });
  }

  /** One fetch across all processes: the lock holder fetches and writes, the others poll the store. */
  private async fetchUnderLock(appid: string, fetch: () => Promise<Fetched>): Promise<string> {
    const lockKey = `${this.key(appid)}:lock`;
    const owner = pooledRandomHex(16);
    const deadline = this.deps.now() + this.lockWait;
    for (;;) {
      let acquired: boolean;
      const attempt = this.deps.store.setIfAbsent(lockKey, owner, this.lockTtl / 1000);
      try {
        acquired = await this.timed(attempt);
      } catch (error) {
        // A Redis client queues commands while it reconnects: if this SET NX runs later, release
        // it at once, or it would hold everyone off for a whole lock TTL.
        attempt.then((late) => late && this.deps.store.delIfEquals(lockKey, owner)).catch(() => undefined);
        return this.fetchWithoutStore(appid, fetch, error);
      }
      if (acquired) {
        try {
          return await this.fetchAsHolder(appid, fetch);
        } finally {
          await this.timed(this.deps.store.delIfEquals(lockKey, owner)).catch(() => undefined);
        }
      }
      let seen: Entry | undefined;
      try {
        seen = await this.read(appid);
      } catch (error) {
        return this.fetchWithoutStore(appid, fetch, error);
      }
      if (seen) return this.keep(appid, seen).v;
      if (this.deps.now() >= deadline) {
        throw new WxAuthError('token_error', `timed out waiting for another process to fetch the ${this.kind}`, { status: 503 });
      }
      await this.sleep(this.poll);
    }
  }

  private async fetchAsHolder(appid: string, fetch: () => Promise<Fetched>): Promise<string> {
    // The previous holder often wrote the value just before we got the lock.
    const again = await this.read(appid).catch(() => undefined);
    if (again) return this.keep(appid, again).v;
    const entry = this.entryFor(await fetch());
    try {
      await this.timed(this.deps.store.set(this.key(appid), JSON.stringify(entry), Math.max(1, (entry.e - this.deps.now()) / 1000)));
    } catch (error) {
      // We hold a good value: serve it from this process; the others fetch their own.
      this.warn('could not write the value to the store', appid, error);
    }
    return this.keep(appid, entry).v;
  }

  private async fetchWithoutStore(appid: string, fetch: () => Promise<Fetched>, cause: unknown): Promise<string> {
    this.warn('store unavailable: fetching from WeChat for this process only', appid, cause);
    return this.keep(appid, this.entryFor(await fetch())).v;
  }

  private entryFor(fetched: Fetched): Entry {
    const lifetime = fetched.expiresIn * 1000;
    // A short-lived value (tests, odd answers) keeps at least half its life.
    return { v: fetched.value, e: this.deps.now() + lifetime - Math.min(this.margin, lifetime / 2) };
  }

  private keep(appid: string, entry: Entry): Entry {
    this.local.set(appid, { v: entry.v, e: entry.e, checkAt: Math.min(entry.e, this.deps.now() + this.localTtl) });
    return entry;
  }

  private async read(appid: string): Promise<Entry | undefined> {
    const raw = await this.timed(this.deps.store.get(this.key(appid)));
    const entry = raw === undefined ? undefined : parse(raw);
    // Checked against our clock, not only the store's TTL: an injected `now` may run ahead.
    return entry && entry.e > this.deps.now() ? entry : undefined;
  }

  private key(appid: string): string {
    return `${this.kind}:${appid}`;
  }

  /**
   * A store call bounded by `storeTimeoutMs`. After a failure the store is skipped for
   * `STORE_RETRY_MS` (a small circuit breaker), so a cold miss while Redis is away costs one
   * timeout per process, not one per call.
   */
  private timed<T>(promise: Promise<T>): Promise<T> {
    if (this.deps.now() < this.storeDownUntil) {
      promise.catch(() => undefined);
      return Promise.reject(new WxAuthError('store_error', 'the store failed a moment ago', { status: 503 }));
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WxAuthError('store_error', 'the store did not answer in time', { status: 503 })), this.storeTimeout);
      timer.unref();
    });
    return Promise.race([promise, timeout])
      .catch((error: unknown) => {
        this.storeDownUntil = this.deps.now() + STORE_RETRY_MS;
        throw error;
      })
      .finally(() => clearTimeout(timer));
  }

  private warn(message: string, appid: string, error: unknown): void {
    const code = error instanceof WxAuthError ? error.code : 'error';
    this.deps.logger.warn(`${this.kind} cache: ${message}`, { appid, kind: this.kind, error: code });
  }
}

function parse(raw: string): Entry | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Entry>;
    return typeof value.v === 'string' && typeof value.e === 'number' ? { v: value.v, e: value.e } : undefined;
  } catch {
    return undefined; // not ours, or corrupted: treat as a miss and overwrite
  }
}
