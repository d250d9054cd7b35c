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
}
