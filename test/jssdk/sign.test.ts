import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { signJssdk, stripFragment } from '../../lib/jssdk/sign';

// WeChat's published example ("JS-SDK 使用权限签名算法", appendix 1 of the JSSDK docs).
const TICKET = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg';
const NONCE = 'Wm3WZYTPz0wzccnW';
const TIMESTAMP = 1414587457;

describe('signJssdk', () => {
  test("WeChat's official example: url with a query string", () => {
    expect(signJssdk({ ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url: 'http://mp.weixin.qq.com?params=value' })).toBe(
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    );
  });

  test("WeChat's official example, older edition of the docs: bare url", () => {
    expect(signJssdk({ ticket: TICKET, nonceStr: NONCE, timestamp: String(TIMESTAMP), url: 'http://mp.weixin.qq.com' })).toBe(
      'f4d90daf4b3bca3078ab155816175ba34c443a7b',
    );
  });

  test('the #fragment is not signed', () => {
    expect(signJssdk({ ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url: 'http://mp.weixin.qq.com?params=value#/route?x=1' })).toBe(
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    );
  });

  const part = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('#'));
  const url = fc.tuple(fc.constantFrom('http://', 'https://'), fc.domain(), fc.webPath(), fc.option(fc.webQueryParameters(), { nil: undefined }), fc.option(fc.webFragments(), { nil: undefined })).map(
    ([scheme, host, path, query, fragment]) => `${scheme}${host}${path}${query === undefined ? '' : `?${query}`}${fragment === undefined ? '' : `#${fragment}`}`,
  );

  test('property: equals sha1 of the four fields in ASCII key order, url raw and without its fragment', () => {
    fc.assert(
      fc.property(part, part, fc.integer({ min: 0, max: 2 ** 31 }), url, (ticket, nonceStr, timestamp, u) => {
        const expected = createHash('sha1')
          .update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${u.split('#')[0]}`)
          .digest('hex');
        expect(signJssdk({ ticket, nonceStr, timestamp, url: u })).toBe(expected);
      }),
    );
  });

  test('property: 40 lower-case hex digits, and any change of ticket, nonce or url changes it', () => {
    fc.assert(
      fc.property(part, part, part, url, (ticket, other, nonceStr, u) => {
        const base = { ticket, nonceStr, timestamp: 1, url: u };
        const signature = signJssdk(base);
        expect(signature).toMatch(/^[0-9a-f]{40}$/);
        if (other !== ticket) expect(signJssdk({ ...base, ticket: other })).not.toBe(signature);
        if (other !== nonceStr) expect(signJssdk({ ...base, nonceStr: other })).not.toBe(signature);
        expect(signJssdk({ ...base, url: stripFragment(u) + 'x' })).not.toBe(signature);
      }),
    );
  });

  test('property: the url is signed exactly as given (no re-encoding)', () => {
    fc.assert(
      fc.property(fc.domain(), fc.string({ maxLength: 20 }).filter((s) => !s.includes('#')), (host, q) => {
        const raw = `https://${host}/p?q=${q}`;
        const encoded = `https://${host}/p?q=${encodeURIComponent(q)}`;
        const a = signJssdk({ ticket: 't', nonceStr: 'n', timestamp: 1, url: raw });
        const b = signJssdk({ ticket: 't', nonceStr: 'n', timestamp: 1, url: encoded });
        expect(a === b).toBe(raw === encoded);
      }),
    );
  });
});
