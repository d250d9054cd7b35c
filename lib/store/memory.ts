import { WxAuthError } from '../errors';
import type { Store } from './types';

interface Entry {
  key: string;
  value: string;
  expiresAt: number; // ms epoch; Infinity when no TTL
}

export interface MemoryStoreOptions {
  /** Clock in ms, injectable for tests. */
  now?: () => number;
  /**
   * Upper bound on entries. Default 100 000. When it is reached, expired entries are reclaimed;
   * if none are, a write of a new key fails with `store_error` (503): an entry that has not
   * expired (a logged-out token, a processed notify, a session) is never dropped to make room.
   */
  maxEntries?: number;
  /** Told once when the store first refuses a write because it is full (no key or value in it). Default `console.warn`. */
  logger?: { warn(message: string): void };
}

let warnedProduction = false;

const FULL_MESSAGE =
  'the in-memory store is full of entries that have not expired (maxEntries); writes of new keys fail with store_error until some expire. Raise maxEntries, or pass `store` (a Redis client). Further refusals are not logged.';

/**
 * The default store: one process only. Like express-session's MemoryStore it warns once in
 * production, because state, tokens and notify marks cannot be shared between processes.
 *
 * Bounded, and fail-closed at its bound: entries leave only when deleted or expired, never to make
 * room — evicting "the oldest" would let a flood of writes push out a JWT deny-list entry (the
 * logged-out token is valid again), a notify done mark (the handler runs again) or a session.
 * Expired entries are reclaimed in expiry order from a min-heap, so a write costs O(log n)
 * amortised, and a full store refuses a new key without walking its entries.
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, Entry>();
  /** Entries with a TTL by `expiresAt` (a binary min-heap). Replaced or deleted entries stay until popped. */
  private heap: Entry[] = [];
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly logger: { warn(message: string): void };
  private warnedFull = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new WxAuthError('config_error', '"maxEntries" must be a positive integer', { field: 'maxEntries' });
    }
    this.logger = options.logger ?? { warn: (message) => console.warn(`express-wxauth: ${message}`) };
    if (process.env.NODE_ENV === 'production' && !warnedProduction) {
      warnedProduction = true;
      console.warn(
        'express-wxauth: the in-memory store is not designed for production; pass `store` (a node-redis client) so every process shares state, tokens and notify marks.',
      );
    }
  }

  /** Number of live entries (for tests and monitoring). */
  get size(): number {
    this.reclaim(this.now());
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

  async expireIfEquals(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const entry = this.read(key);
    if (!entry || entry.value !== value) return false;
    this.write(key, value, ttlSeconds); // the key exists: never refused
    return true;
  }

  async setIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean> {
    const entry = this.read(key);
    if (!entry || entry.value !== expected) return false;
    this.write(key, value, ttlSeconds);
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
    const now = this.now();
    this.reclaim(now);
    // Overwriting a live key does not grow the map, so it is allowed even when full.
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      if (!this.warnedFull) {
        this.warnedFull = true;
        this.logger.warn(FULL_MESSAGE);
      }
      throw new WxAuthError('store_error', 'the in-memory store is full', { status: 503 });
    }
    // A new object on every write: the heap tells a live node from a stale one by identity.
    const entry: Entry = { key, value, expiresAt: ttlSeconds && ttlSeconds > 0 ? now + ttlSeconds * 1000 : Infinity };
    this.entries.set(key, entry);
    if (entry.expiresAt !== Infinity) this.push(entry);
    // Nodes of replaced or deleted entries pile up when keys are rewritten without expiring
    // (lease renewals, deletes): rebuild from the live entries, O(n) once per ~n writes.
    if (this.heap.length > 2 * this.entries.size + 1024) this.rebuild();
  }

  /** Drop every expired entry: pop the heap while its top has expired. Each node is popped once. */
  private reclaim(now: number): void {
    while (this.heap.length > 0 && this.heap[0]!.expiresAt <= now) {
      const top = this.pop();
      if (this.entries.get(top.key) === top) this.entries.delete(top.key);
    }
  }

  private rebuild(): void {
    this.heap = [...this.entries.values()].filter((e) => e.expiresAt !== Infinity);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.expiresAt <= entry.expiresAt) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private down(start: number): void {
    const heap = this.heap;
    const node = heap[start]!;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1]!.expiresAt < heap[child]!.expiresAt) child++;
      if (heap[child]!.expiresAt >= node.expiresAt) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = node;
  }
}
