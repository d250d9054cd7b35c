/**
 * The one storage abstraction of the package: OAuth state, tokens and tickets, notify marks,
 * native-app sessions. Values are strings (callers JSON-encode); TTLs are in seconds.
 * Every method must be atomic on its own — that is what makes single-use state and
 * exactly-once notifies hold across processes.
 */
export interface Store {
  get(key: string): Promise<string | undefined>;
  /** Set with an optional TTL in seconds (none: no expiry). */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** SET NX: true when this call created the key. Used for locks and once-only marks. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Atomic get-and-delete (GETDEL): single-use values such as OAuth state. */
  take(key: string): Promise<string | undefined>;
  /** Delete only while the key still holds `value` (lock release with owner check). */
  delIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Optional. Reset the TTL (seconds, > 0) only while the key still holds `value` (an owner-checked
   * PEXPIRE): renews a lease without taking it from a new holder. True when renewed.
   * Without it, once-only notify handling cannot renew its lease (see `runOnce`).
   */
  expireIfEquals?(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Optional. Compare-and-set: replace the value (with a TTL in seconds, > 0) only while the key
   * holds `expected`. True when set. Without it, a done mark is written with a plain `set`.
   */
  setIfEquals?(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Optional. Durable writes: wait until at least `replicas` replicas acknowledged every write this
   * store made so far to `key`'s master (Redis `WAIT`), at most `timeoutMs`; resolves with how many
   * did (fewer on a timeout, not an error). Used by notify handling's `durableMarks`, after the
   * lock and after the done mark, so that an acknowledged mark survives a failover.
   */
  waitReplicas?(key: string, replicas: number, timeoutMs: number): Promise<number>;
}
