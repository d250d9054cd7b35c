import fc from 'fast-check';
import { parseJsonWithIds, quoteIntegerFields } from '../../lib/wechat/json-ids';

const MSGID = new Set(['msgid']);

describe('quoteIntegerFields: 64-bit ids read as their digits', () => {
  test("WeChat's template answer keeps its msgid exactly (JSON.parse alone rounds it)", () => {
    const text = '{"errcode":0,"errmsg":"ok","msgid":271781022721654784}';
    expect((JSON.parse(text) as { msgid: number }).msgid).toBe(271781022721654800);
    expect(parseJsonWithIds(text, MSGID)).toEqual({ errcode: 0, errmsg: 'ok', msgid: '271781022721654784' });
  });

  test('any depth and whitespace; other fields and other numbers untouched', () => {
    const text = '{ "list" : [ { "msgid" :\n 9223372036854775807 , "n": 12345678901234567890 } ], "msgid":-5 }';
    expect(parseJsonWithIds(text, MSGID)).toEqual({ list: [{ msgid: '9223372036854775807', n: 12345678901234567000 }], msgid: '-5' });
  });

  test('a key spelled with escapes is the same key; a string that only looks like one is not', () => {
    expect(parseJsonWithIds('{"msg\\u0069d":271781022721654784}', MSGID)).toEqual({ msgid: '271781022721654784' });
    const inString = '{"errmsg":"\\"msgid\\":271781022721654784","msgid":"already a string"}';
    expect(parseJsonWithIds(inString, MSGID)).toEqual({ errmsg: '"msgid":271781022721654784', msgid: 'already a string' });
    expect(quoteIntegerFields('["msgid", 271781022721654784]', MSGID)).toBe('["msgid", 271781022721654784]');
  });

  test('values that are not plain integers stay as they are, so invalid JSON stays invalid', () => {
    expect(parseJsonWithIds('{"msgid":1.5}', MSGID)).toEqual({ msgid: 1.5 });
    expect(parseJsonWithIds('{"msgid":1e3}', MSGID)).toEqual({ msgid: 1000 });
    expect(parseJsonWithIds('{"msgid":null}', MSGID)).toEqual({ msgid: null });
    expect(() => parseJsonWithIds('{"msgid":0123}', MSGID)).toThrow(SyntaxError);
    expect(() => parseJsonWithIds('{"msgid":', MSGID)).toThrow(SyntaxError);
    expect(() => parseJsonWithIds('{"msgid":12', MSGID)).toThrow(SyntaxError);
    expect(() => parseJsonWithIds('{"msgid', MSGID)).toThrow(SyntaxError);
  });

  test('property: any object with bigint msgids parses to the same values, msgids as exact strings', () => {
    const id = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n });
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), leaf), id, fc.string(), (extra, msgid, text) => {
        const body = { ...extra, note: `"msgid":${msgid}`, [text]: text, msgid };
        const json = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(-?\d+)@@"/g, '$1');
        const parsed = parseJsonWithIds(json, MSGID) as Record<string, unknown>;
        expect(parsed.msgid).toBe(String(msgid));
        expect({ ...parsed, msgid: 0 }).toEqual({ ...(JSON.parse(json) as object), msgid: 0 });
      }),
    );
  });

  test('a long answer with many keys and escaped quotes: every msgid quoted', () => {
    const big = `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":"${'\\"'.repeat(3)}v","msgid":${i}`).join(',')}}`;
    const out = quoteIntegerFields(big, MSGID);
    expect(out.match(/"msgid":"\d+"/g)).toHaveLength(50_000);
  });
});
