/**
 * runOnce's lease: renewed while a slow handler runs, and a done mark that never overwrites
 * another owner. Real timers with a short lockSeconds, on the memory store and real Redis.
 */
import { runOnce, type OnceOptions } from '../../lib/pay/once';
import { MemoryStore } from '../../lib/store/memory';
import type { Store } from '../../lib/store/types';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';

let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('pay-once');
});
afterAll(async () => {
  await redis.close();
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const txKey = () => `wxpay:1900000109:pay:42000000${++n}${Date.now()}`;

const cases: Array<[string, () => Store]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => redis.store],
];

describe.each(cases)('runOnce on %s', (_name, make) => {
  test('a handler running 3× lockSeconds keeps its lease: a second delivery answers busy, a third waits for the mark, the handler runs once', async () => {
    const store = make();
    const key = txKey();
    const logger = captureLogger();
    const options: OnceOptions = { lockSeconds: 1, waitMs: 0, rememberSeconds: 60, pollMs: 50, logger };
    let runs = 0;
    const handler = async () => {
      runs++;
      await wait(3000);
    };
    const first = runOnce(store, key, options, handler);
    await wait(1500); // past lockSeconds: without renewal the lease would be gone by now
    const [second, third] = await Promise.all([
      runOnce(store, key, { ...options, waitMs: 300 }, handler),
      runOnce(store, key, { ...options, waitMs: 10_000 }, handler),
    ]);
    expect(await first).toBe('ran');
    expect(second).toBe('busy');
    expect(third).toBe('already');
    expect(runs).toBe(1);
    expect(logger.lines).toEqual([]);
  });

  test('a lease taken over mid-run: the done mark is not written over the new owner, the outcome says so, a warn names the kind only', async () => {
    const store = make();
    const key = txKey();
    const logger = captureLogger();
    const outcome = await runOnce(store, key, { lockSeconds: 1, waitMs: 0, rememberSeconds: 60, logger }, async () => {
      await store.set(`${key}:once`, 'processing:someone-else', 60);
      await wait(600); // a renewal tick (every ~333 ms) sees it is not ours any more
    });
    expect(outcome).toBe('ran_lease_lost');
    expect(await store.get(`${key}:once`)).toBe('processing:someone-else');
    expect(logger.lines.filter((l) => l.startsWith('warn') && /lease lost/.test(l))).toHaveLength(1);
    expect(logger.text()).toContain('"kind":"pay"');
    expect(logger.text()).not.toContain(key.split(':')[3]!); // no transaction id
  });

  test('a lease that vanished mid-run: nobody holds the key, so the done mark is written and a redelivery is skipped', async () => {
    const store = make();
    const key = txKey();
    const logger = captureLogger();
    const options: OnceOptions = { lockSeconds: 1, waitMs: 0, rememberSeconds: 60, logger };
    let runs = 0;
    const outcome = await runOnce(store, key, options, async () => {
      runs++;
      await store.del(`${key}:once`);
      await wait(600);
    });
    expect(outcome).toBe('ran_lease_lost');
    expect(await store.get(`${key}:once`)).toMatch(/^done:/);
    expect(logger.lines.filter((l) => /lease lost/.test(l))).toHaveLength(1);
    expect(await runOnce(store, key, options, async () => void runs++)).toBe('already');
    expect(runs).toBe(1);
  });
});

test('a store without expireIfEquals / setIfEquals: the work is done as before, and that leases cannot be renewed is logged once', async () => {
  const inner = new MemoryStore();
  const basic: Store = {
    get: (k) => inner.get(k),
    set: (k, v, t) => inner.set(k, v, t),
    del: (k) => inner.del(k),
    setIfAbsent: (k, v, t) => inner.setIfAbsent(k, v, t),
    take: (k) => inner.take(k),
    delIfEquals: (k, v) => inner.delIfEquals(k, v),
  };
  const logger = captureLogger();
  const options: OnceOptions = { lockSeconds: 1, waitMs: 0, rememberSeconds: 60, logger };
  const [a, b] = [txKey(), txKey()];
  expect(await runOnce(basic, a, options, async () => undefined)).toBe('ran');
  expect(await runOnce(basic, b, options, async () => undefined)).toBe('ran');
  expect(await runOnce(basic, a, options, async () => undefined)).toBe('already');
  expect(await inner.get(`${a}:once`)).toMatch(/^done:/);
  expect(logger.lines.filter((l) => /cannot be renewed/.test(l))).toHaveLength(1);
});

test('a renewal that fails (store error) is retried; the lease is kept and the work marked done', async () => {
  const inner = new MemoryStore();
  let calls = 0;
  const flaky: Store = {
    get: (k) => inner.get(k),
    set: (k, v, t) => inner.set(k, v, t),
    del: (k) => inner.del(k),
    setIfAbsent: (k, v, t) => inner.setIfAbsent(k, v, t),
    take: (k) => inner.take(k),
    delIfEquals: (k, v) => inner.delIfEquals(k, v),
    setIfEquals: (k, e, v, t) => inner.setIfEquals(k, e, v, t),
    expireIfEquals: (k, v, t) => (++calls === 1 ? Promise.reject(new Error('blip')) : inner.expireIfEquals(k, v, t)),
  };
  const key = txKey();
  const logger = captureLogger();
  // 1.5 s of work on a 1 s lease: the first renewal fails, a later one must keep the lease.
  expect(await runOnce(flaky, key, { lockSeconds: 1, waitMs: 0, rememberSeconds: 60, logger }, async () => void (await wait(1500)))).toBe('ran');
  expect(calls).toBeGreaterThanOrEqual(2);
  expect(await inner.get(`${key}:once`)).toMatch(/^done:/);
  expect(logger.lines).toEqual([]);
});
