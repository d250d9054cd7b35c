/**
 * The `Store` contract, as tests: call `storeContract(make)` inside a `describe`. Every store we
 * ship (memory, Redis on each client and topology) runs it; a user's own store can too.
 */
import { withLock } from '../../lib/store/lock';
import type { Store } from '../../lib/store/types';

export function storeContract(make: () => Store): void {
  let store: Store;
  let n = 0;
  const key = (k: string) => `${k}:${n}`;
  beforeEach(() => {
    store = make();
    n++;
  });

  test('get returns what set stored, undefined for a missing key', async () => {
    await store.set(key('a'), 'one');
    expect(await store.get(key('a'))).toBe('one');
    expect(await store.get(key('missing'))).toBeUndefined();
  });

  test('del removes a key', async () => {
    await store.set(key('a'), 'one');
    await store.del(key('a'));
    expect(await store.get(key('a'))).toBeUndefined();
  });

  test('set with a TTL expires the value', async () => {
    await store.set(key('ttl'), 'x', 0.05);
    expect(await store.get(key('ttl'))).toBe('x');
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.get(key('ttl'))).toBeUndefined();
  });

  test('setIfAbsent creates once and refuses while the key lives', async () => {
    expect(await store.setIfAbsent(key('nx'), 'first', 10)).toBe(true);
    expect(await store.setIfAbsent(key('nx'), 'second', 10)).toBe(false);
    expect(await store.get(key('nx'))).toBe('first');
  });

  test('take returns the value once (single use), concurrently too', async () => {
    await store.set(key('once'), 'v', 10);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take(key('once'))));
    expect(results.filter((r) => r === 'v')).toHaveLength(1);
    expect(await store.get(key('once'))).toBeUndefined();
  });

  test('delIfEquals deletes only for the current owner', async () => {
    await store.set(key('lock'), 'owner-a', 10);
    expect(await store.delIfEquals(key('lock'), 'owner-b')).toBe(false);
    expect(await store.get(key('lock'))).toBe('owner-a');
    expect(await store.delIfEquals(key('lock'), 'owner-a')).toBe(true);
    expect(await store.get(key('lock'))).toBeUndefined();
  });

  test('expireIfEquals renews the TTL only for the current owner', async () => {
    await store.set(key('lease'), 'owner-a', 0.3);
    expect(await store.expireIfEquals!(key('lease'), 'owner-b', 10)).toBe(false);
    expect(await store.expireIfEquals!(key('missing'), 'owner-a', 10)).toBe(false);
    expect(await store.expireIfEquals!(key('lease'), 'owner-a', 10)).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // past the first TTL: only the renewal keeps it
    expect(await store.get(key('lease'))).toBe('owner-a');
    expect(await store.get(key('missing'))).toBeUndefined();
  });

  test('setIfEquals replaces the value only while it holds the expected one', async () => {
    await store.set(key('cas'), 'processing:a', 10);
    expect(await store.setIfEquals!(key('cas'), 'processing:b', 'done:b', 60)).toBe(false);
    expect(await store.get(key('cas'))).toBe('processing:a');
    expect(await store.setIfEquals!(key('cas'), 'processing:a', 'done:a', 60)).toBe(true);
    expect(await store.get(key('cas'))).toBe('done:a');
    expect(await store.setIfEquals!(key('absent'), 'processing:a', 'done:a', 60)).toBe(false);
    expect(await store.get(key('absent'))).toBeUndefined();
  });

  test('setIfEquals sets the new TTL', async () => {
    await store.set(key('cas-ttl'), 'a', 10);
    expect(await store.setIfEquals!(key('cas-ttl'), 'a', 'b', 0.05)).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.get(key('cas-ttl'))).toBeUndefined();
  });

  test('withLock lets one holder in at a time', async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withLock(store, key('mutex'), { ttlMs: 2000, waitMs: 3000, pollMs: 5 }, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 10));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });

  test('a dead holder blocks others only until the lock TTL', async () => {
    await store.setIfAbsent(key('dead'), 'ghost', 0.1);
    const value = await withLock(store, key('dead'), { ttlMs: 1000, waitMs: 2000, pollMs: 10 }, async () => 'got it');
    expect(value).toBe('got it');
  });
}
