import fc from 'fast-check';
import { buildPayXml, parsePayXml } from '../../lib/pay/xml';
import { WxAuthError } from '../../lib/errors';

function xmlError(fn: () => unknown): WxAuthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WxAuthError);
    expect((error as WxAuthError).code).toBe('xml_error');
    return error as WxAuthError;
  }
  throw new Error('expected an xml_error');
}

describe('Pay XML', () => {
  test('builds <xml> with CDATA values and leaves out empty ones', () => {
    expect(buildPayXml({ appid: 'wx1', total_fee: 100, empty: '', none: undefined })).toBe(
      '<xml><appid><![CDATA[wx1]]></appid><total_fee><![CDATA[100]]></total_fee></xml>',
    );
  });

  test('a "]]>" inside a value cannot close the CDATA section and inject a field', () => {
    const xml = buildPayXml({ body: 'a]]><total_fee>1</total_fee><x><![CDATA[' });
    expect(parsePayXml(xml)).toEqual({ body: 'a]]><total_fee>1</total_fee><x><![CDATA[' });
  });

  test('refuses field names that are not XML names', () => {
    expect(() => buildPayXml({ 'a b': '1' })).toThrow(WxAuthError);
  });

  test("parses WeChat's notify shape, keeping every value a string", () => {
    const xml = `<xml>
  <appid><![CDATA[wx2421b1c4370ec43b]]></appid>
  <total_fee>0100</total_fee>
  <body>a &amp; b</body>
</xml>`;
    expect(parsePayXml(xml)).toEqual({ appid: 'wx2421b1c4370ec43b', total_fee: '0100', body: 'a & b' });
  });

  test('accepts an XML declaration and an empty <xml/>', () => {
    expect(parsePayXml('<?xml version="1.0" encoding="UTF-8"?><xml><a>1</a></xml>')).toEqual({ a: '1' });
    expect(parsePayXml('<xml></xml>')).toEqual({});
  });

  test('refuses a DOCTYPE before parsing (XXE)', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>';
    expect(xmlError(() => parsePayXml(xxe)).message).toMatch(/DOCTYPE/);
  });

  test('refuses an ENTITY declaration and a lower-case doctype', () => {
    xmlError(() => parsePayXml('<!entity x "y"><xml><a>1</a></xml>'));
    xmlError(() => parsePayXml('<!doctype xml><xml><a>1</a></xml>'));
  });

  test('refuses a billion-laughs payload without expanding anything', () => {
    const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><a>&lol2;</a></xml>';
    xmlError(() => parsePayXml(lol));
  });

  test('refuses truncated and malformed XML', () => {
    xmlError(() => parsePayXml('<xml><appid>wx1</appid><total_fee>1</tot'));
    xmlError(() => parsePayXml('<xml><appid>wx1</appid>'));
    xmlError(() => parsePayXml('not xml'));
    xmlError(() => parsePayXml(''));
  });

  test('refuses a root other than <xml>, nested fields and repeated fields', () => {
    xmlError(() => parsePayXml('<root><a>1</a></root>'));
    xmlError(() => parsePayXml('<xml><a><b>1</b></a></xml>'));
    expect(xmlError(() => parsePayXml('<xml><total_fee>1</total_fee><total_fee>100</total_fee></xml>')).message).toMatch(/repeated/);
  });

  test('the root can be named (the refund notify req_info uses <root>)', () => {
    expect(parsePayXml('<root><refund_id>5</refund_id></root>', { root: 'root' })).toEqual({ refund_id: '5' });
  });

  test('refuses input over the size limit with status 413, before parsing', () => {
    const big = `<xml><a>${'x'.repeat(70 * 1024)}</a></xml>`;
    expect(xmlError(() => parsePayXml(big)).status).toBe(413);
    expect(parsePayXml(big, { maxBytes: 100 * 1024 }).a).toHaveLength(70 * 1024);
  });

  describe('maxFields: the cheap shape check for input from anyone (notifies)', () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, 'v']));
    test("maxFields fields pass, one more is refused before the validator runs; a '<' inside CDATA is not counted; DOCTYPE is still refused first", () => {
      expect(Object.keys(parsePayXml(buildPayXml(fields(10)), { maxFields: 10 }))).toHaveLength(10);
      expect(parsePayXml('\n <xml>\n<a>1</a>\n<b><![CDATA[2]]></b></xml>\r\n', { maxFields: 2 })).toEqual({ a: '1', b: '2' });
      expect(parsePayXml(buildPayXml({ attach: '<'.repeat(500) }), { maxFields: 1 })).toEqual({ attach: '<'.repeat(500) });
      expect(xmlError(() => parsePayXml(buildPayXml(fields(11)), { maxFields: 10 })).message).toBe('more than 10 fields');
      expect(xmlError(() => parsePayXml(`<xml>${'<a>'.repeat(40)}</xml>`, { maxFields: 10 })).message).toBe('more than 10 fields');
      expect(xmlError(() => parsePayXml(`<xml><a>${'&amp;'.repeat(21)}</a></xml>`, { maxFields: 10 })).message).toBe('more than 20 "&"');
      expect(xmlError(() => parsePayXml('<!DOCTYPE x><xml></xml>', { maxFields: 10 })).message).toMatch(/DOCTYPE/);
    });
    test.each([
      ['a declaration', '<?xml version="1.0"?><xml><a>1</a></xml>'],
      ['a comment', '<xml><!-- c --><a>1</a></xml>'],
      ['a processing instruction', '<xml><?pi x?><a>1</a></xml>'],
      ['attributes', '<xml><a x="1">1</a></xml>'],
      ['a self-closing tag', '<xml><a/></xml>'],
    ])('refuses %s (which the parser alone takes)', (_, text) => {
      expect(() => parsePayXml(text)).not.toThrow();
      xmlError(() => parsePayXml(text, { maxFields: 10 }));
    });
  });

  test('property: parse(build(x)) returns x for any non-empty string values', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
    // XML 1.0 cannot carry most control characters; WeChat's fields never contain them.
    const value = fc.string({ minLength: 1, maxLength: 50, unit: fc.constantFrom(...'ab<>&]]>"\'中文 \tz19'.split('')) });
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 10 }), (fields) => {
        expect(parsePayXml(buildPayXml(fields))).toEqual(fields);
      }),
    );
  });
});
