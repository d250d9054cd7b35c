import fc from 'fast-check';
import { pooledRandomHex } from '../lib/random';

test('pooled random hex: the length asked for, lower-case hex, no repeats over many pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const hex = pooledRandomHex(8); // 5000 × 8 bytes = ~10 refills of the 4 KiB pool
    expect(hex).toMatch(/^[0-9a-f]{16}$/);
    seen.add(hex);
  }
  expect(seen.size).toBe(5000);
});

test('any size, pooled or not, gives exactly 2 hex characters per byte', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1024 }), (bytes) => {
      expect(pooledRandomHex(bytes)).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
    }),
  );
});

test('a request that does not fit in what is left of the pool gets fresh bytes, not a short answer', () => {
  // Drain to an odd offset so the next 256-byte request straddles the pool's end.
  for (let i = 0; i < 37; i++) pooledRandomHex(13);
  const values = Array.from({ length: 40 }, () => pooledRandomHex(256));
  for (const v of values) expect(v).toHaveLength(512);
  expect(new Set(values).size).toBe(values.length);
});
