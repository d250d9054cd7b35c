import fc from 'fast-check';
import { charLength, messageData, valueProblem, valueTypeOf, VALUE_RULES, type ValueType } from '../../lib/client/message-values';

/**
 * WeChat's value rules for typed template keys (订阅消息参数值内容限制), checked before the call.
 * Lengths are in code points: 20 Chinese characters are a valid `thing`, and so are 20 emoji
 * (40 UTF-16 units).
 */
const han = fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCodePoint(c));
const emoji = fc.integer({ min: 0x1f600, max: 0x1f64f }).map((c) => String.fromCodePoint(c));
const letter = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');
const digit = fc.constantFrom(...'0123456789');
const symbol = fc.constantFrom(...'!#$%&*+-./:;<=>?@[]^_{|}~，。！？、·');
const text = (chars: fc.Arbitrary<string>, min: number, max: number) => fc.array(chars, { minLength: min, maxLength: max }).map((a) => a.join(''));

describe('valueTypeOf: the key’s prefix without its number', () => {
  test.each([
    ['thing1', 'thing'],
    ['thing01', 'thing'],
    ['number2', 'number'],
    ['phone_number3', 'phone_number'],
    ['car_number4', 'car_number'],
    ['character_string12', 'character_string'],
    ['amount5', 'amount'],
    ['const3', 'const'],
  ])('%s is a %s', (key, type) => expect(valueTypeOf(key)).toBe(type));

  test.each(['keyword1', 'first', 'remark', 'thing', 'thingX1', 'short_thing1', 'Thing1'])('%s is untyped (not checked)', (key) => expect(valueTypeOf(key)).toBeUndefined());
});

describe('lengths, in characters (code points)', () => {
  test.each<[ValueType, number]>([
    ['thing', 20],
    ['number', 32],
    ['letter', 32],
    ['symbol', 5],
    ['character_string', 32],
    ['phone_number', 17],
    ['car_number', 8],
    ['phrase', 5],
    ['const', 20],
  ])('%s: at most %i', (type, max) => expect(VALUE_RULES[type].max).toBe(max));

  test('a thing of up to 20 characters of any script passes, emoji counted once; 21 and more are refused with the count', () => {
    const any = fc.oneof(han, emoji, letter, digit, symbol, fc.constant(' '));
    fc.assert(fc.property(text(any, 1, 20), (v) => valueProblem('thing', v) === undefined));
    fc.assert(
      fc.property(text(any, 21, 40), (v) => {
        const problem = valueProblem('thing', v);
        return problem !== undefined && problem.endsWith(`it has ${charLength(v)} characters`);
      }),
    );
  });

  test('charLength counts code points, not UTF-16 units', () => {
    fc.assert(fc.property(text(fc.oneof(emoji, han, letter), 0, 50), (v) => charLength(v) === Array.from(v).length && charLength(v) <= v.length));
    expect(charLength('😀😀')).toBe(2);
    expect('😀😀'.length).toBe(4);
  });

  test('no value of any type may carry a line break or another control character', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(VALUE_RULES) as ValueType[])), fc.constantFrom('\n', '\r', '\t', '\u0000', '\u007f', '\u0085'), (type, control) => {
        return valueProblem(type, `A${control}1`)!.includes('control characters');
      }),
    );
  });

  test('only a const may be empty', () => {
    for (const type of Object.keys(VALUE_RULES) as ValueType[]) expect(valueProblem(type, '') === undefined).toBe(type === 'const');
  });
});

describe('the shape each type allows', () => {
  test('number: digits with an optional decimal part, up to 32', () => {
    fc.assert(fc.property(text(digit, 1, 16), fc.option(text(digit, 1, 15)), (int, frac) => valueProblem('number', frac ? `${int}.${frac}` : int) === undefined));
    fc.assert(fc.property(text(digit, 1, 10), fc.constantFrom('a', '-', ' ', '1.2.3', '元', ','), (int, bad) => valueProblem('number', `${int}${bad}`) !== undefined));
    expect(valueProblem('number', '1'.repeat(33))).toMatch(/it has 33 characters/);
  });

  test('letter: letters only', () => {
    fc.assert(fc.property(text(letter, 1, 32), (v) => valueProblem('letter', v) === undefined));
    fc.assert(fc.property(text(letter, 0, 10), fc.oneof(digit, han, symbol), (v, bad) => valueProblem('letter', v + bad) !== undefined));
  });

  test('symbol: up to 5 symbols, no letters, digits or spaces', () => {
    fc.assert(fc.property(text(symbol, 1, 5), (v) => valueProblem('symbol', v) === undefined));
    fc.assert(fc.property(text(symbol, 0, 4), fc.oneof(letter, digit, han, fc.constant(' ')), (v, bad) => valueProblem('symbol', v + bad) !== undefined));
  });

  test('character_string: letters, digits and ASCII symbols, never Chinese or a space', () => {
    const ascii = fc.oneof(letter, digit, fc.constantFrom(...'!#$%&*+-./:;<=>?@[]^_{|}~'));
    fc.assert(fc.property(text(ascii, 1, 32), (v) => valueProblem('character_string', v) === undefined));
    fc.assert(fc.property(text(ascii, 0, 20), fc.oneof(han, fc.constant(' '), emoji), (v, bad) => valueProblem('character_string', v + bad) !== undefined));
  });

  test('phrase: up to 5 Chinese characters only', () => {
    fc.assert(fc.property(text(han, 1, 5), (v) => valueProblem('phrase', v) === undefined));
    fc.assert(fc.property(text(han, 6, 12), (v) => valueProblem('phrase', v) !== undefined));
    fc.assert(fc.property(text(han, 0, 4), fc.oneof(letter, digit, symbol), (v, bad) => valueProblem('phrase', v + bad) !== undefined));
  });

  test('name: up to 10 characters when it has Chinese, else up to 20 letters or symbols; never digits', () => {
    fc.assert(fc.property(text(han, 1, 10), (v) => valueProblem('name', v) === undefined));
    fc.assert(fc.property(text(han, 1, 5), text(letter, 0, 5), (a, b) => valueProblem('name', a + b) === undefined));
    fc.assert(fc.property(text(han, 1, 5), text(letter, 10, 15), (a, b) => valueProblem('name', a + b) !== undefined));
    fc.assert(fc.property(text(fc.oneof(letter, fc.constantFrom(' ', '.', '·')), 1, 20), (v) => valueProblem('name', v) === undefined));
    fc.assert(fc.property(text(letter, 1, 10), digit, (v, d) => valueProblem('name', v + d) !== undefined));
  });

  test('amount: an optional currency sign, at most 10 digits and 2 decimals, optionally 元', () => {
    const sign = fc.constantFrom('', '¥', '￥', '$', '€', '£');
    fc.assert(
      fc.property(sign, text(digit, 1, 10), fc.option(text(digit, 1, 2)), fc.boolean(), (s, int, frac, yuan) => {
        return valueProblem('amount', `${s}${int}${frac ? `.${frac}` : ''}${yuan ? '元' : ''}`) === undefined;
      }),
    );
    for (const bad of ['¥12345678901', '¥1.234', '¥¥1', 'CNY 12', '-¥5', '12,000.00', '¥']) expect([bad, valueProblem('amount', bad)]).toEqual([bad, expect.any(String)]);
  });

  test('time and date: WeChat’s formats, and periods joined by ~', () => {
    for (const ok of ['15:01', '9:05', '15:01:59', '2019年10月1日 15:01', '2019-10-01 15:01', '2019/10/01 15:01:30', '15:01~16:00', '2019-10-01 15:01 ~ 2019-10-01 17:00']) {
      expect([ok, valueProblem('time', ok)]).toEqual([ok, undefined]);
    }
    for (const ok of ['2019年10月1日', '10月1日', '2019-10-01', '2019.10.01', '2019年10月1日 15:01', '2019-10-01~2019-10-07']) expect([ok, valueProblem('date', ok)]).toEqual([ok, undefined]);
    for (const bad of ['25:00', '15:60', 'tomorrow', '2019-10-01', '3pm', '15:01~']) expect([bad, valueProblem('time', bad)]).toEqual([bad, expect.any(String)]);
    for (const bad of ['15:01', '2019-10', 'yesterday', '2019年10月']) expect([bad, valueProblem('date', bad)]).toEqual([bad, expect.any(String)]);
  });

  test('phone_number: up to 17 digits and symbols; car_number: up to 8, Chinese only first or last', () => {
    expect(valueProblem('phone_number', '+86-0766-66888866')).toBeUndefined();
    expect(valueProblem('phone_number', '+86-0766-668888660')).toMatch(/it has 18 characters/);
    expect(valueProblem('phone_number', '400-ABC')).toBeDefined();
    expect(valueProblem('car_number', '粤A8Z888挂')).toBeUndefined();
    expect(valueProblem('car_number', '粤A8Z88挂8')).toBeDefined();
    expect(valueProblem('car_number', '粤A8Z8888挂')).toMatch(/it has 9 characters/);
  });

  test('messages never echo the value', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(VALUE_RULES) as ValueType[])), text(fc.oneof(han, letter, digit, symbol), 6, 40), (type, v) => {
        const problem = valueProblem(type, `secret${v}`);
        return problem === undefined || !problem.includes(`secret${v}`);
      }),
    );
  });
});

describe('messageData', () => {
  test('takes plain values and { value }, gives WeChat’s shape, skips undefined', () => {
    expect(messageData({ thing1: 'Tea', number2: 2, amount3: { value: '¥1.00' }, thing4: undefined })).toEqual({ thing1: { value: 'Tea' }, number2: { value: '2' }, amount3: { value: '¥1.00' } });
  });

  test('refuses values that are neither text nor a finite number, and a data that is not an object', () => {
    expect(() => messageData({ thing1: null as never })).toThrow(expect.objectContaining({ code: 'args_error', field: 'data.thing1' }));
    expect(() => messageData({ number1: Number.NaN })).toThrow(expect.objectContaining({ field: 'data.number1' }));
    expect(() => messageData([] as never)).toThrow(expect.objectContaining({ field: 'data' }));
  });
});
