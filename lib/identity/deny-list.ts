import type { Store } from '../store/types';

/**
 * Revocation for self-contained logins (a JWT, a signed cookie): each login carries a random id,
 * and logging out puts that id in the store until the login would have expired anyway. A copy
 * of the token or cookie taken before logout is then refused everywhere the store is shared.
 * One key per logout (`<prefix><id>` → `"1"`), gone by itself at expiry: the list never grows
 * beyond the logouts of the last `maxAge`.
 */
export interface DenyList {
  /** True when `id` was logged out (one store `get`). */
  has(id: string): Promise<boolean>;
  /** Deny `id` until `expSeconds` (seconds since the epoch); nothing to store once it is past. */
  add(id: string, expSeconds: number, nowMs: number): Promise<void>;
}

export function createDenyList(store: Store, prefix: string): DenyList {
  return {
    async has(id) {
      return (await store.get(prefix + id)) !== undefined;
    },
    async add(id, expSeconds, nowMs) {
      const remaining = expSeconds - Math.floor(nowMs / 1000);
      // +1: the login's own check is `exp > now`, so it must stay denied through its last second.
      if (remaining > 0) await store.set(prefix + id, '1', remaining + 1);
    },
  };
}
