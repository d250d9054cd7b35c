import { WxAuthError } from '../../lib/errors';
import { SharedCache, type SharedCacheTuning } from '../../lib/client/token-cache';
import type { Fetched } from '../../lib/client/fetch';
import type { Store } from '../../lib/store/types';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';

let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('token-cache');
});
afterAll(async () => {
  await redis.close();
});

let seq = 0;
/** A fetcher that counts its calls and answers a new value each time, after a short delay. */
function counter(expiresIn = 7200, delayMs = 20) {
  const fetcher = {
    calls: 0,
    fn: async (): Promise<Fetched> => {
      fetcher.calls++;
      await new Promise((r) => setTimeout(r, delayMs));
      return { value: `value-${++seq}`, expiresIn };
    },
  };
  return fetcher;
}

/** A store wrapper that counts calls (to prove the hot path does no I/O). */
function counting(store: Store) {
  const calls: string[] = [];
  const wrapped: Store = {
    get: (k) => (calls.push('get'), store.get(k)),
    set: (k, v, t) => (calls.push('set'), store.set(k, v, t)),
    del: (k) => (calls.push('del'), store.del(k)),
    setIfAbsent: (k, v, t) => (calls.push('setIfAbsent'), store.setIfAbsent(k, v, t)),
    take: (k) => (calls.push('take'), store.take(k)),
    delIfEquals: (k, v) => (calls.push('delIfEquals'), store.delIfEquals(k, v)),
  };
  return { store: wrapped, calls };
}

const appid = () => `wxapp${++seq}`;
const make = (store: Store, tuning: SharedCacheTuning = {}, now: () => number = Date.now) =>
  new SharedCache('token', { store, now, logger: captureLogger() }, tuning);

describe('SharedCache (real Redis)', () => {
  test('concurrent cold gets in one process share one fetch', async () => {
    const cache = make(redis.store);
    const fetch = counter();
    const id = appid();
    const values = await Promise.all(Array.from({ length: 100 }, () => cache.get(id, fetch.fn)));
    expect(fetch.calls).toBe(1);
    expect(new Set(values).size).toBe(1);
  });

  test('two instances (as two processes) on one Redis make exactly one fetch', async () => {
    const a = make(redis.store);
    const b = make(redis.store);
    const fetchA = counter(7200, 80);
    const fetchB = counter(7200, 80);
    const id = appid();
    const values = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a.get(id, fetchA.fn) : b.get(id, fetchB.fn))));
    expect(fetchA.calls + fetchB.calls).toBe(1);
    expect(new Set(values).size).toBe(1);
  });

  test('a warm in-process copy is served without touching the store', async () => {
    const { store, calls } = counting(redis.store);
    const cache = make(store);
    const fetch = counter();
    const id = appid();
    await cache.get(id, fetch.fn);
    calls.length = 0;
    for (let i = 0; i < 50; i++) expect(cache.peek(id, fetch.fn)).toBeDefined();
    await cache.get(id, fetch.fn);
    expect(calls).toEqual([]);
  });

  test('a value is never served past its use-by time (expiry minus the 5-minute margin)', async () => {
    let now = Date.now();
    const cache = make(redis.store, {}, () => now);
    const fetch = counter(7200);
    const id = appid();
    const first = await cache.get(id, fetch.fn);
    now += (7200 - 6 * 60) * 1000; // 6 min before WeChat's expiry: still good
    expect(await cache.get(id, fetch.fn)).toBe(first);
    now += 2 * 60 * 1000; // 4 min before expiry: inside the margin
    expect(cache.peek(id, fetch.fn)).toBeUndefined();
    const second = await cache.get(id, fetch.fn);
    expect(second).not.toBe(first);
    expect(fetch.calls).toBe(2);
  });

  test('invalidate(onlyIf) keeps a fresh value another process just wrote', async () => {
    const a = make(redis.store);
    const b = make(redis.store);
    const id = appid();
    const failed = await a.get(id, counter().fn);
    // Process B replaced it meanwhile (its own refresh after a 40001).
    await b.invalidate(id);
    const fresh = await b.get(id, counter().fn);
    expect(fresh).not.toBe(failed);
    await a.invalidate(id, failed);
    const fetch = counter();
    expect(await a.get(id, fetch.fn)).toBe(fresh);
    expect(fetch.calls).toBe(0);
  });

  test('invalidate(onlyIf) drops the value when it is still the failed one', async () => {
    const cache = make(redis.store);
    const id = appid();
    const failed = await cache.get(id, counter().fn);
    await cache.invalidate(id, failed);
    expect(await redis.store.get(`token:${id}`)).toBeUndefined();
    const fetch = counter();
    expect(await cache.get(id, fetch.fn)).not.toBe(failed);
    expect(fetch.calls).toBe(1);
  });

  test('invalidate() clears the in-process copy', async () => {
    const cache = make(redis.store);
    const id = appid();
    const fetch = counter();
    await cache.get(id, fetch.fn);
    await cache.invalidate(id);
    expect(cache.peek(id, fetch.fn)).toBeUndefined();
    await cache.get(id, fetch.fn);
    expect(fetch.calls).toBe(2);
  });

  test('waiters take the value the lock holder writes instead of fetching', async () => {
    const id = appid();
    const holder = 'another-process';
    await redis.store.setIfAbsent(`token:${id}:lock`, holder, 5);
    const cache = make(redis.store);
    const fetch = counter();
    const pending = cache.get(id, fetch.fn);
    await new Promise((r) => setTimeout(r, 100));
    await redis.store.set(`token:${id}`, JSON.stringify({ v: 'from-holder', e: Date.now() + 60_000 }), 60);
    expect(await pending).toBe('from-holder');
    expect(fetch.calls).toBe(0);
  });

  test('a dead lock holder blocks others only until the lock TTL, then one of them fetches', async () => {
    const id = appid();
    await redis.store.setIfAbsent(`token:${id}:lock`, 'dead-process', 0.3); // never released
    const cache = make(redis.store);
    const fetch = counter();
    const value = await cache.get(id, fetch.fn);
    expect(value).toMatch(/^value-/);
    expect(fetch.calls).toBe(1);
  });

  test('a waiter gives up with token_error when the holder never finishes', async () => {
    const id = appid();
    await redis.store.setIfAbsent(`token:${id}:lock`, 'stuck', 30);
    const cache = make(redis.store, { lockWaitMs: 150 });
    await expect(cache.get(id, counter().fn)).rejects.toMatchObject({ code: 'token_error', status: 503 });
  });

  test('a failed fetch reaches the caller and releases the lock for the next one', async () => {
    const id = appid();
    const a = make(redis.store);
    const b = make(redis.store);
    await expect(
      a.get(id, async () => {
        throw new WxAuthError('token_error', 'WeChat answered errcode 40013', { errcode: 40013 });
      }),
    ).rejects.toMatchObject({ errcode: 40013 });
    expect(await redis.store.get(`token:${id}:lock`)).toBeUndefined();
    const fetch = counter();
    await b.get(id, fetch.fn);
    expect(fetch.calls).toBe(1);
  });

  test('after localTtl the copy is re-read from the store in the background, still serving meanwhile', async () => {
    let now = Date.now();
    const id = appid();
    const a = make(redis.store, { localTtlMs: 1000 }, () => now);
    const b = make(redis.store, {}, () => now);
    const old = await a.get(id, counter().fn);
    await b.invalidate(id);
    const replaced = await b.get(id, counter().fn);
    now += 1500;
    expect(a.peek(id, counter().fn)).toBe(old); // served while re-reading
    await new Promise((r) => setTimeout(r, 50));
    expect(a.peek(id, counter().fn)).toBe(replaced);
  });

  test('a value outlives nothing: a short expires_in keeps half its life, not a negative one', async () => {
    let now = Date.now();
    const cache = make(redis.store, {}, () => now);
    const id = appid();
    const fetch = counter(60);
    const first = await cache.get(id, fetch.fn);
    now += 29_000;
    expect(await cache.get(id, fetch.fn)).toBe(first);
    now += 2_000;
    expect(await cache.get(id, fetch.fn)).not.toBe(first);
  });
});

describe('SharedCache when the store fails', () => {
  const broken: Store = {
    get: () => Promise.reject(new WxAuthError('store_error', 'Redis GET failed')),
    set: () => Promise.reject(new WxAuthError('store_error', 'Redis SET failed')),
    del: () => Promise.reject(new WxAuthError('store_error', 'Redis DEL failed')),
    setIfAbsent: () => Promise.reject(new WxAuthError('store_error', 'Redis SET failed')),
    take: () => Promise.reject(new WxAuthError('store_error', 'Redis GETDEL failed')),
    delIfEquals: () => Promise.reject(new WxAuthError('store_error', 'Redis EVAL failed')),
  };
  const hanging: Store = {
    get: () => new Promise(() => undefined),
    set: () => new Promise(() => undefined),
    del: () => new Promise(() => undefined),
    setIfAbsent: () => new Promise(() => undefined),
    take: () => new Promise(() => undefined),
    delIfEquals: () => new Promise(() => undefined),
  };

  test('a cold miss with the store erroring fetches directly, once per process, and logs a warning', async () => {
    const logger = captureLogger();
    const cache = new SharedCache('ticket', { store: broken, now: Date.now, logger });
    const fetch = counter();
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.get('wxdown', fetch.fn)));
    expect(new Set(values).size).toBe(1);
    expect(fetch.calls).toBe(1);
    expect(logger.text()).toContain('store unavailable');
    expect(logger.text()).not.toContain(values[0]);
  });

  test('a store that never answers (client queueing while Redis is away) times out instead of hanging', async () => {
    const cache = new SharedCache('token', { store: hanging, now: Date.now, logger: captureLogger() }, { storeTimeoutMs: 50 });
    const fetch = counter();
    await expect(cache.get('wxhang', fetch.fn)).resolves.toMatch(/^value-/);
    expect(fetch.calls).toBe(1);
  });

  test('the in-process copy keeps serving while the store is down', async () => {
    let now = Date.now();
    let down = false;
    const flaky: Store = Object.fromEntries(
      (['get', 'set', 'del', 'setIfAbsent', 'take', 'delIfEquals'] as const).map((m) => [
        m,
        (...args: never[]) => (down ? Promise.reject(new WxAuthError('store_error', 'down')) : (redis.store[m] as (...a: never[]) => Promise<unknown>)(...args)),
      ]),
    ) as unknown as Store;
    const cache = new SharedCache('token', { store: flaky, now: () => now, logger: captureLogger() }, { localTtlMs: 1000 });
    const fetch = counter();
    const id = appid();
    const value = await cache.get(id, fetch.fn);
    down = true;
    now += 5000; // past localTtl: the background re-read fails, the copy stays
    expect(await cache.get(id, fetch.fn)).toBe(value);
    await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get(id, fetch.fn)).toBe(value);
    expect(fetch.calls).toBe(1);
  });

  test('invalidate() reports a store failure; the quiet form (retry path) only logs it', async () => {
    const logger = captureLogger();
    const cache = new SharedCache('token', { store: broken, now: Date.now, logger });
    await expect(cache.invalidate('wxa')).rejects.toMatchObject({ code: 'store_error' });
    await expect(cache.invalidate('wxa', 'old', true)).resolves.toBeUndefined();
    expect(logger.text()).toContain('could not drop');
  });
});
