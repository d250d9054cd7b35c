import { MemoryStore } from '../../lib/store/memory';
import { resolveStore, RedisStore } from '../../lib/store';
import { singleFlight } from '../../lib/store/lock';
import type { Store } from '../../lib/store/types';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { storeContract } from './contract';

let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('store-contract');
});
afterAll(async () => {
  await redis.close();
});

const cases: Array<[string, () => Store]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => redis.store],
];

describe.each(cases)('%s contract', (_name, make) => storeContract(make));

test('MemoryStore stays bounded by maxEntries, refusing new keys rather than dropping live ones', async () => {
  const store = new MemoryStore({ maxEntries: 100, logger: { warn: () => undefined } });
  let refused = 0;
  for (let i = 0; i < 1000; i++) await store.set(`k${i}`, 'v', 60).catch(() => refused++);
  expect(store.size).toBe(100);
  expect(refused).toBe(900);
  expect(await store.get('k0')).toBe('v');
});

test('singleFlight shares one call among concurrent callers', async () => {
  const inFlight = new Map<string, Promise<number>>();
  let calls = 0;
  const fn = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 10));
    return 42;
  };
  const values = await Promise.all(Array.from({ length: 50 }, () => singleFlight(inFlight, 'k', fn)));
  expect(values.every((v) => v === 42)).toBe(true);
  expect(calls).toBe(1);
  expect(inFlight.size).toBe(0);
});

test('resolveStore wraps a node-redis client and names the field for anything else', () => {
  expect(resolveStore(redis.client, 'p:')).toBeInstanceOf(RedisStore);
  expect(resolveStore(undefined)).toBeInstanceOf(MemoryStore);
  expect(() => resolveStore({ nope: true })).toThrow(/"store"/);
});
