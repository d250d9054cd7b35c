import type { Store } from '../store/types';
import { scanKey } from './scene';

/**
 * How a poll learns that its scene was scanned, without a busy loop:
 * - the scan event landed in this process: `wake(id)` resolves the waiting poll at once;
 * - it landed in another process (several app servers behind one message URL): the poll reads the
 *   store on a backed-off schedule (0.25 s, 0.5 s, 1 s, then every 2 s, and once more at the end), so a 25 s poll
 *   makes at most 16 reads and a cross-process login completes within 2 s of the scan. Reads, never writes.
 * The `Store` contract has no publish/subscribe (a memory store, a Redis client or the app's own
 * store all fit it), which is why the cross-process path is a bounded check rather than a push.
 */
export const CHECK_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000];

export class ScanWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Wake every poll of this process that waits for scene `id`. */
  wake(id: string): void {
    const set = this.waiting.get(id);
    if (!set) return;
    this.waiting.delete(id);
    for (const fn of set) fn();
  }

  /** Polls waiting right now (tests and leak checks). */
  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  /**
   * The scan record of scene `id` (the store's value) once it is there, or undefined when `budgetMs`
   * of real time has passed or `signal` aborted (the browser went away) first.
   */
  async wait(store: Store, id: string, budgetMs: number, signal: AbortSignal): Promise<string | undefined> {
    const until = Date.now() + budgetMs;
    for (let attempt = 0; ; attempt++) {
      const value = await store.get(scanKey(id));
      if (value !== undefined) return value;
      const left = until - Date.now();
      if (left <= 0 || signal.aborted) return undefined;
      await this.pause(id, Math.min(CHECK_DELAYS_MS[Math.min(attempt, CHECK_DELAYS_MS.length - 1)]!, left), signal);
      if (signal.aborted) return undefined;
    }
  }

  /** Sleep `ms`, or less when the scene is woken or the signal aborts. */
  private pause(id: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiting.get(id);
      if (!set) this.waiting.set(id, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        const current = this.waiting.get(id);
        current?.delete(done);
        if (current && !current.size) this.waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
