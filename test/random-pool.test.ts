/**
 * The pool hands out each CSPRNG byte at most once and in order. `randomFillSync` is replaced by
 * a counter (fill k writes k, k+1, k+2, … mod 256 from a running position) so the test can check
 * the exact bytes of every answer; the real source is covered in random.test.ts.
 */
let written = 0;
const fills: Buffer[] = [];
jest.mock('node:crypto', () => ({
  ...jest.requireActual<typeof import('node:crypto')>('node:crypto'),
  randomFillSync: (buffer: Buffer) => {
    for (let i = 0; i < buffer.length; i++) buffer[i] = (written + i) & 0xff;
    written += buffer.length;
    fills.push(Buffer.from(buffer));
    return buffer;
  },
}));

import { pooledRandomHex } from '../lib/random';

const POOL = 4096;

test('answers are consecutive slices of the fills: no byte twice, none skipped within a fill', () => {
  const out = Array.from({ length: 1024 }, () => pooledRandomHex(8)).join(''); // exactly two pools
  expect(fills).toHaveLength(2);
  expect(out).toBe(Buffer.concat(fills).toString('hex'));
});

test('a request that does not fit in the rest of the pool gets the start of a fresh fill; the rest is dropped, never reused', () => {
  fills.length = 0;
  // 315 × 13 = 4095 bytes fit in one pool; the 316th needs a refill and the last byte is dropped.
  const answers = Array.from({ length: 316 * 2 }, () => pooledRandomHex(13));
  const perPool = Math.floor(POOL / 13);
  const expected = fills.flatMap((fill) => Array.from({ length: perPool }, (_, i) => fill.subarray(i * 13, i * 13 + 13).toString('hex')));
  expect(answers).toEqual(expected.slice(0, answers.length));
});

test.each([0, -1, 1.5, Number.NaN, 2 ** 60])('refuses a size of %p instead of handing bytes out twice', (bytes) => {
  expect(() => pooledRandomHex(bytes)).toThrow(RangeError);
});
