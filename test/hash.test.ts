import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { hexEqual, md5Hex, sha256Hex } from '../lib/hash';

test('property: one-shot MD5 and SHA-256 equal createHash over UTF-8 for any string', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (text) => {
      expect(md5Hex(text)).toBe(createHash('md5').update(text, 'utf8').digest('hex'));
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }),
    { numRuns: 300 },
  );
});

test('published vectors', () => {
  expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

describe('hexEqual: the constant-time comparison of a received sign', () => {
  const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));

  test('property: equal to exact comparison after lower-casing the received side', () => {
    fc.assert(
      fc.property(hex(64), hex(64), fc.boolean(), (a, b, upper) => {
        const received = upper ? a.toUpperCase() : a;
        return hexEqual(received, b) === (a === b) && hexEqual(received, a);
      }),
    );
  });

  test('property: one changed character anywhere is refused', () => {
    fc.assert(
      fc.property(hex(32), fc.nat(31), fc.constantFrom(...'0123456789abcdefg-Z '), (a, i, c) => {
        fc.pre(a[i] !== c);
        return !hexEqual(a.slice(0, i) + c + a.slice(i + 1), a);
      }),
    );
  });

  test('refuses other lengths, and non-ASCII look-alikes of hex digits', () => {
    const expected = 'a'.repeat(31) + '0';
    expect(hexEqual(expected.slice(1), expected)).toBe(false);
    expect(hexEqual(expected + '0', expected)).toBe(false);
    expect(hexEqual('', expected)).toBe(false);
    // U+0161 and U+0130 have 0x61 ('a') and 0x30 ('0') as their low byte; İ also lower-cases to two chars.
    expect(hexEqual('\u0161'.repeat(31) + '0', expected)).toBe(false);
    expect(hexEqual('a'.repeat(31) + '\u0130', expected)).toBe(false);
    expect(hexEqual('Ａ'.repeat(31) + '0', expected)).toBe(false); // full-width A
  });
});
