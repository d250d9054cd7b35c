import type { Store } from './types';

interface Entry {
  value: string;
  expiresAt: number; // ms epoch; Infinity when no TTL
}

export interface MemoryStoreOptions {
  /** Clock in ms, injectable for tests. */
  now?: () => number;
  /** Upper bound on entries; the oldest expiring ones go first. Default 100 000. */
  maxEntries?: number;
}

let warnedProduction = false;

/**
 * The default store: one process only. Like express-session's MemoryStore it warns once in
 * production, because state, tokens and notify marks cannot be shared between processes.
 * Expired entries are dropped lazily and by a sweep on writes, so memory stays bounded.
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  private writesSinceSweep = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 100_000;
    if (process.env.NODE_ENV === 'production' && !warnedProduction) {
      warnedProduction = true;
      console.warn(
        'express-wxauth: the in-memory store is not designed for production; pass `store` (a node-redis client) so every process shares state, tokens and notify marks.',
      );
    }
  }

  /** Number of live entries (for tests and monitoring). */
  get size(): number {
    this.sweep();
    return this.entries.size;
  }

  async get(key: string): Promise<string | undefined> {
    return this.read(key)?.value;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    this.write(key, value, ttlSeconds);
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.read(key)) return false;
    this.write(key, value, ttlSeconds);
    return true;
  }

  async take(key: string): Promise<string | undefined> {
    const entry = this.read(key);
    this.entries.delete(key);
    return entry?.value;
  }

  async delIfEquals(key: string, value: string): Promise<boolean> {
    const entry = this.read(key);
    if (!entry || entry.value !== value) return false;
    this.entries.delete(key);
    return true;
  }

  private read(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, value: string, ttlSeconds?: number): void {
    const expiresAt = ttlSeconds && ttlSeconds > 0 ? this.now() + ttlSeconds * 1000 : Infinity;
    this.entries.delete(key); // re-insert so Map order follows write time
    this.entries.set(key, { value, expiresAt });
    // Over the bound: drop the oldest write (O(1); Map order is write order). Sweeping expired
    // entries walks them all, so it runs once per `size` writes: amortised O(1) per write.
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    if (++this.writesSinceSweep >= Math.max(1000, this.entries.size)) this.sweep();
  }

  private sweep(): void {
    this.writesSinceSweep = 0;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Still over the bound: evict in write order (oldest first).
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
