import { WxAuthError } from '../errors';

/**
 * WeChat's value rules for typed template keys (订阅消息 / 订阅通知 / 类目模板消息 "参数值内容限制").
 * A key's type is its name without the trailing number: `thing1` is a `thing`, `character_string3`
 * a `character_string`. WeChat refuses a value that breaks its type's rule with 47003 ("argument
 * invalid! data.thing1.value invalid"), after the call; we check the same rules before it, so the
 * error names the field, the rule and the length.
 *
 * Lengths count Unicode code points: WeChat counts one Chinese character as one (its docs say
 * "20个以内字符" and 20 Chinese characters pass), and does not say how it counts an emoji; a code
 * point count takes an emoji as one, where `String.length` (UTF-16 units) would take it as two.
 */
export type ValueType =
  | 'thing'
  | 'number'
  | 'letter'
  | 'symbol'
  | 'character_string'
  | 'time'
  | 'date'
  | 'amount'
  | 'phone_number'
  | 'car_number'
  | 'name'
  | 'phrase'
  | 'const';

export interface ValueRule {
  /** At most this many characters (code points). */
  max: number;
  /** What the rule allows, in words, for the error message and the docs' table. */
  rule: string;
  /** The shape the value must have besides its length (`undefined`: any text without control characters). */
  test?: (value: string) => boolean;
}

const HAN = /^\p{Script=Han}$/u;
const ALNUM = /^[A-Za-z0-9]$/;
/** A "symbol" as WeChat means it: not a letter or digit of any script, not a space or control character. */
const SYMBOL = /^[^\p{L}\p{N}\s\p{Cc}]$/u;
const ASCII_VISIBLE = /^[\x21-\x7e]$/;
/** C0 and C1 control characters (line breaks included): WeChat cuts a value at them or refuses it. */
const CONTROL = /\p{Cc}/u;

const chars = (value: string): string[] => Array.from(value);

/** `2019年10月1日`, `10月1日`, `2019-10-01`, `2019/10/01`, `2019.10.01`. */
const DATE = String.raw`(?:(?:\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})`;
/** 24-hour `15:01` or `15:01:30`. */
const CLOCK = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;
const TIME_POINT = `(?:(?:${DATE}\\s*)?${CLOCK})`;
const DATE_POINT = `(?:${DATE}(?:\\s*${CLOCK})?)`;
/** A point, or a period of two points joined by `~` (WeChat's 时间段). */
const period = (point: string): RegExp => new RegExp(`^${point}(?:\\s*~\\s*${point})?$`, 'u');
const TIME = period(TIME_POINT);
const DATE_VALUE = period(DATE_POINT);
/** One currency sign (optional), at most 10 digits, at most 2 decimals, optionally ending in 元. */
const AMOUNT = /^\p{Sc}?\d{1,10}(?:\.\d{1,2})?元?$/u;
const NUMBER = /^\d+(?:\.\d+)?$/;

export const VALUE_RULES: Readonly<Record<ValueType, ValueRule>> = {
  thing: { max: 20, rule: 'at most 20 characters: Chinese, letters, digits or symbols' },
  number: { max: 32, rule: 'at most 32 characters: digits, with an optional decimal part', test: (v) => NUMBER.test(v) },
  letter: { max: 32, rule: 'at most 32 characters: letters only', test: (v) => /^[A-Za-z]+$/.test(v) },
  symbol: { max: 5, rule: 'at most 5 characters: symbols only (no letters, digits or spaces)', test: (v) => chars(v).every((c) => SYMBOL.test(c)) },
  character_string: {
    max: 32,
    rule: 'at most 32 characters: letters, digits or symbols (no Chinese, no spaces)',
    test: (v) => chars(v).every((c) => ASCII_VISIBLE.test(c)),
  },
  time: { max: 64, rule: 'a 24-hour time (15:01), optionally after a date (2019年10月1日 15:01 or 2019-10-01 15:01), or two joined by ~', test: (v) => TIME.test(v) },
  date: { max: 64, rule: 'a date (2019年10月1日 or 2019-10-01), optionally with a 24-hour time, or two joined by ~', test: (v) => DATE_VALUE.test(v) },
  amount: { max: 15, rule: 'a currency sign and at most 10 digits, at most 2 decimals, optionally ending in 元 (¥12.50)', test: (v) => AMOUNT.test(v) },
  phone_number: {
    max: 17,
    rule: 'at most 17 characters: digits and symbols (+86-0766-66888866)',
    test: (v) => /\d/.test(v) && chars(v).every((c) => ASCII_VISIBLE.test(c) && !/[A-Za-z]/.test(c)),
  },
  car_number: {
    max: 8,
    rule: 'at most 8 characters: letters and digits, the first and the last may be Chinese (粤A8Z888挂)',
    test: (v) => chars(v).every((c, i, all) => ALNUM.test(c) || ((i === 0 || i === all.length - 1) && HAN.test(c))),
  },
  name: {
    max: 20,
    rule: 'at most 10 characters with Chinese, else at most 20 letters or symbols (no digits)',
    test: (v) => !/\p{N}/u.test(v) && (chars(v).some((c) => HAN.test(c)) ? chars(v).length <= 10 : true),
  },
  phrase: { max: 5, rule: 'at most 5 Chinese characters only (配送中)', test: (v) => chars(v).every((c) => HAN.test(c)) },
  const: { max: 20, rule: 'at most 20 characters: one of the values WeChat approved for the template' },
};

/** Types whose value may be the empty string (WeChat: a const may be sent empty). */
const MAY_BE_EMPTY: ReadonlySet<ValueType> = new Set(['const']);

const TYPED_KEY = new RegExp(`^(${Object.keys(VALUE_RULES).sort((a, b) => b.length - a.length).join('|')})(\\d+)$`);

/** The type of a template key (`thing1` → `thing`), or `undefined` for an untyped one (`keyword1`, `first`). */
export function valueTypeOf(key: string): ValueType | undefined {
  return TYPED_KEY.exec(key)?.[1] as ValueType | undefined;
}

/** Length in characters as WeChat's rules count them (code points). */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** Why `value` breaks the rule of `type`, or `undefined` when it keeps it. Never echoes the value. */
export function valueProblem(type: ValueType, value: string): string | undefined {
  const rule = VALUE_RULES[type];
  const length = charLength(value);
  if (length === 0) return MAY_BE_EMPTY.has(type) ? undefined : `must not be empty (${rule.rule})`;
  if (CONTROL.test(value)) return `must not contain line breaks or other control characters (${rule.rule})`;
  if (length > rule.max) return `must be ${rule.rule}; it has ${length} characters`;
  if (rule.test && !rule.test(value)) return `must be ${rule.rule}; it has ${length} characters`;
  return undefined;
}

/** One template value as given: the text, a number, or WeChat's `{ value }`. */
export type MessageValue = string | number | { value: string | number };

/**
 * `data` in WeChat's shape (`{ key: { value } }`), each value a string, each typed key's value
 * checked against its rule: an `args_error` naming `data.<key>`, the rule and the length.
 */
export function messageData(data: Record<string, MessageValue | undefined>, field = 'data'): Record<string, { value: string }> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new WxAuthError('args_error', `"${field}" must map each template key to its value ({ thing1: 'Tea' } or { thing1: { value: 'Tea' } })`, { field });
  }
  const out: Record<string, { value: string }> = {};
  for (const [key, given] of Object.entries(data)) {
    if (given === undefined) continue;
    const raw = typeof given === 'object' && given !== null ? given.value : given;
    if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) {
      throw new WxAuthError('args_error', `"${field}.${key}" must be a string or a finite number`, { field: `${field}.${key}` });
    }
    const value = String(raw);
    const type = valueTypeOf(key);
    const problem = type ? valueProblem(type, value) : undefined;
    if (type && problem) throw new WxAuthError('args_error', `"${field}.${key}" (${type}) ${problem}`, { field: `${field}.${key}` });
    out[key] = { value };
  }
  return out;
}
