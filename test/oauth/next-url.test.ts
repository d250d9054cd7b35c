import fc from 'fast-check';
import { safeNextUrl } from '../../lib/oauth/next-url';

const origin = 'https://shop.example.com';
const policy = { origin, allowedRedirects: ['https://m.example.com'] };

/** What a browser would do with `Location: <value>` on a page of `origin`. */
function landsOn(value: string): string {
  return new URL(value, `${origin}/oauth/wechat/callback`).origin;
}

describe('next guard: attacks land on a same-origin path', () => {
  const corpus = [
    '//evil.com',
    '///evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '\\/evil.com',
    'https://evil.com',
    'https://evil.com/profile',
    'HTTPS://EVIL.COM',
    'http:evil.com',
    'https:evil.com',
    'http:/evil.com',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '/%2F%2Fevil.com',
    '/%2f%2fevil.com',
    '/%5Cevil.com',
    '%2F%2Fevil.com',
    '/%252F%252Fevil.com',
    '/.//evil.com',
    '/a/..//evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    '/\r\nLocation: https://evil.com',
    '/%0d%0aSet-Cookie:x=1',
    '\u0000//evil.com',
    ' //evil.com',
    '//evil.com\u3000',
    'https://shop.example.com@evil.com',
    'https://shop.example.com.evil.com/',
    'https://user:pass@shop.example.com/',
    'evil.com',
    'profile',
    '',
    '/' + 'a'.repeat(3000),
  ];

  test.each(corpus)('%j → a same-origin path', (input) => {
    const out = safeNextUrl(input, policy);
    expect(out.startsWith('/')).toBe(true);
    expect(out.startsWith('//')).toBe(false);
    expect(landsOn(out)).toBe(origin);
  });

  test('the corpus of the issue becomes exactly "/"', () => {
    for (const input of ['//evil.com', '/\\evil.com', 'https://evil.com', 'javascript:alert(1)', '/%2F%2Fevil.com', 'http:evil.com']) {
      expect(safeNextUrl(input, policy)).toBe('/');
    }
  });

  test('non-strings become "/"', () => {
    for (const input of [undefined, null, 42, ['/a'], { a: 1 }]) expect(safeNextUrl(input, policy)).toBe('/');
  });

  test('a custom fallback', () => {
    expect(safeNextUrl('//evil.com', { ...policy, fallback: '/home' })).toBe('/home');
  });
});

describe('next guard: good targets survive', () => {
  test.each([
    ['/', '/'],
    ['/profile', '/profile'],
    ['/shop/cart?item=1&q=%E4%BD%A0%E5%A5%BD#top', '/shop/cart?item=1&q=%E4%BD%A0%E5%A5%BD#top'],
    ['/a/b/../c', '/a/c'],
    ['/search?next=%2F%2Fok', '/search?next=%2F%2Fok'],
    ['https://shop.example.com/orders?id=3', '/orders?id=3'],
    ['https://m.example.com/home', 'https://m.example.com/home'],
    ['https://m.example.com', 'https://m.example.com/'],
  ])('%j → %j', (input, expected) => {
    expect(safeNextUrl(input, policy)).toBe(expected);
  });

  test('an allowed origin is only that origin (scheme and port count)', () => {
    expect(safeNextUrl('http://m.example.com/home', policy)).toBe('/');
    expect(safeNextUrl('https://m.example.com:8443/home', policy)).toBe('/');
  });
});

describe('next guard: properties', () => {
  const pieces = fc.constantFrom('/', '//', '\\', '.', '..', '%2F', '%2f', '%5C', '%25', '%', 'evil.com', 'shop.example.com', 'm.example.com', 'http:', 'https:', 'javascript:', '@', ':', '?', '#', '\t', '\n', ' ', 'a', '\u0000', '\u2028', '％', '。');
  const adversarial = fc.array(pieces, { maxLength: 12 }).map((a) => a.join(''));
  const anyInput = fc.oneof(adversarial, fc.string(), fc.webUrl(), fc.webPath());

  test('whatever the input, the browser stays on our origin or an allowed one', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const out = safeNextUrl(input, policy);
        const target = new URL(out, `${origin}/x/y`).origin;
        expect([origin, 'https://m.example.com']).toContain(target);
        if (target === origin) {
          expect(out.startsWith('/')).toBe(true);
          expect(out.startsWith('//')).toBe(false);
          // eslint-disable-next-line no-control-regex
          expect(out).not.toMatch(/[\\\s\u0000-\u001f]/);
        }
      }),
      { numRuns: 5000 },
    );
  });

  test('same-origin paths made of safe characters are kept as they are', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_~-]{1,10}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        const path = '/' + segments.join('/');
        expect(safeNextUrl(path, policy)).toBe(path);
      }),
    );
  });

  test('the guard is idempotent', () => {
    fc.assert(fc.property(anyInput, (input) => {
      const once = safeNextUrl(input, policy);
      expect(safeNextUrl(once, policy)).toBe(once);
    }), { numRuns: 2000 });
  });
});
