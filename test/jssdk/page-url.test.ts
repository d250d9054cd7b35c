import fc from 'fast-check';
import { checkPageUrl, createPageUrlPolicy, MAX_PAGE_URL, parseOrigin } from '../../lib/jssdk/page-url';

const sameHost = createPageUrlPolicy(undefined, ['https://m.example.com', 'http://localhost:3000']);
const withBase = createPageUrlPolicy('https://shop.example.com', []);

describe('checkPageUrl', () => {
  test.each([
    ['https://shop.example.com/p?id=1', 'shop.example.com'],
    ['http://shop.example.com:8080/p', 'shop.example.com'], // port and scheme ignored for the app's own host
    ['HTTPS://SHOP.EXAMPLE.COM/', 'shop.example.com'],
    ['https://m.example.com/a', 'other.test'], // allowedRedirects origin
    ['https://m.example.com:443/a', 'other.test'], // default port is the same origin
    ['http://localhost:3000/jssdk', 'other.test'],
  ])('accepts %s (request host %s)', (url, host) => {
    expect(checkPageUrl(url, host, sameHost)).toEqual({ ok: true, url });
  });

  test('drops the fragment and keeps everything else exactly as given', () => {
    expect(checkPageUrl('https://shop.example.com/a%20b?x=%E4%B8%AD&y=1#/spa?z', 'shop.example.com', sameHost)).toEqual({
      ok: true,
      url: 'https://shop.example.com/a%20b?x=%E4%B8%AD&y=1',
    });
  });

  test.each([
    ['https://evil.test/', 'no host match'],
    ['http://m.example.com/a', 'allowedRedirects origin with another scheme'],
    ['https://m.example.com:8443/a', 'allowedRedirects origin with another port'],
    ['https://shop.example.com.evil.test/', 'suffix trick'],
    ['https://shop.example.com@evil.test/', 'userinfo trick'],
    ['https://evil.test\\@shop.example.com/', 'backslash trick'],
    ['https://evil.test\\.shop.example.com/', 'backslash in host'],
    ['javascript:alert(1)//shop.example.com', 'not http(s)'],
    ['//shop.example.com/', 'scheme-relative'],
    ['/relative', 'relative'],
    ['https://shop.example.com/\n', 'control character'],
    ['https://shop.example.com/ a', 'space'],
  ])('refuses %s (%s)', (url) => {
    expect(checkPageUrl(url, 'shop.example.com', sameHost).ok).toBe(false);
  });

  test('refuses a missing URL, a non-string (repeated ?url=) and an oversized one with a clear reason', () => {
    expect(checkPageUrl(undefined, 'a.test', sameHost)).toMatchObject({ ok: false, reason: expect.stringContaining('no page URL') });
    expect(checkPageUrl(['https://a.test/', 'https://b.test/'], 'a.test', sameHost).ok).toBe(false);
    expect(checkPageUrl(`https://a.test/${'x'.repeat(MAX_PAGE_URL)}`, 'a.test', sameHost)).toMatchObject({ ok: false, reason: expect.stringContaining('too long') });
  });

  test('with baseUrl the request Host header is not trusted', () => {
    expect(checkPageUrl('https://shop.example.com/p', 'evil.test', withBase).ok).toBe(true);
    expect(checkPageUrl('https://evil.test/p', 'evil.test', withBase).ok).toBe(false);
  });

  test('in production without baseUrl the request host is not trusted: only allowedRedirects origins pass', () => {
    const production = createPageUrlPolicy(undefined, ['https://m.example.com'], true);
    expect(checkPageUrl('https://evil.test/p', 'evil.test', production)).toMatchObject({ ok: false, reason: expect.stringContaining('set baseUrl') });
    expect(checkPageUrl('https://shop.example.com/p', 'shop.example.com', production).ok).toBe(false);
    expect(checkPageUrl('https://m.example.com/p', 'evil.test', production).ok).toBe(true);
    // Outside production the request host is still signed (local development, tunnels).
    expect(checkPageUrl('https://shop.example.com/p', 'shop.example.com', createPageUrlPolicy(undefined, [], false)).ok).toBe(true);
  });

  test('in production with neither baseUrl nor allowedRedirects there is nothing to sign: config_error naming baseUrl', () => {
    expect(() => createPageUrlPolicy(undefined, [], true)).toThrow(expect.objectContaining({ code: 'config_error', field: 'baseUrl', message: expect.stringContaining('"baseUrl" is required in production') }));
    expect(createPageUrlPolicy('https://shop.example.com', [], true)).toMatchObject({ appHostname: 'shop.example.com', requestHost: false });
  });

  test('property: in production without baseUrl, whatever the Host header, only an allowedRedirects origin is accepted', () => {
    const production = createPageUrlPolicy(undefined, ['https://m.example.com', 'http://localhost:3000'], true);
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), fc.boolean(), (url, hostFromUrl) => {
        const origin = parseOrigin(url);
        const host = hostFromUrl && origin ? origin.hostname : 'shop.example.com';
        expect(checkPageUrl(url, host, production).ok).toBe(!!origin && production.origins.has(origin.origin));
      }),
    );
  });

  test('property: a URL on a host that is neither the app host nor an allowed origin is never accepted', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const origin = parseOrigin(url);
        const allowed = origin && (origin.hostname === 'shop.example.com' || sameHost.origins.has(origin.origin));
        if (!allowed) expect(checkPageUrl(url, 'shop.example.com', sameHost).ok).toBe(false);
      }),
    );
  });

  test('property: any path, query and fragment on the app host is accepted and returned without the fragment', () => {
    fc.assert(
      fc.property(fc.webPath(), fc.webQueryParameters(), fc.webFragments(), (path, query, fragment) => {
        const page = `https://shop.example.com${path}?${query}`;
        expect(checkPageUrl(`${page}#${fragment}`, 'shop.example.com', sameHost)).toEqual({ ok: true, url: page });
      }),
    );
  });

  test('property: whatever the input, the check never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.option(fc.string({ maxLength: 30 }), { nil: undefined }), (url, host) => {
        expect(() => checkPageUrl(url, host, sameHost)).not.toThrow();
      }),
    );
  });
});
