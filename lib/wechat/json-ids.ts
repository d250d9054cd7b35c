/**
 * WeChat sends some ids as JSON integers wider than a double holds: a template message's `msgid`
 * is 64-bit (`271781022721654784`), and `JSON.parse` turns it into `271781022721654800`. Node 20's
 * `JSON.parse` has no access to a number's source text, so before parsing, the integer values of
 * the named fields are put in quotes: they come out as their exact digits, strings.
 */

/**
 * `text` with every integer value of a key in `fields` (at any depth) quoted:
 * `{"errcode":0,"msgid":271781022721654784}` → `{"errcode":0,"msgid":"271781022721654784"}`.
 *
 * One linear pass over the text: strings are skipped as wholes (their escapes honoured), and
 * only a string followed by `:` is a key. A value that is not a plain JSON integer (a fraction,
 * an exponent, a leading zero, a string already) is left as it is, so invalid JSON stays
 * invalid for `JSON.parse` to refuse.
 */
export function quoteIntegerFields(text: string, fields: ReadonlySet<string>): string {
  let longest = 0;
  for (const field of fields) longest = Math.max(longest, field.length);
  const n = text.length;
  let out = '';
  let copied = 0;
  let i = text.indexOf('"');
  while (i !== -1 && i < n) {
    // A string from i: find its closing quote.
    const start = i + 1;
    let j = start;
    let escaped = false;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x22 /* " */) break;
      if (c === 0x5c /* \ */) {
        escaped = true;
        j++;
      }
    }
    if (j >= n) break; // unterminated: JSON.parse will refuse it
    const next = text.indexOf('"', j + 1);
    // Only a short string can name a field; reading its name costs at most `longest` characters.
    if (j - start > (escaped ? 6 * longest : longest) || !fields.has(keyName(text, start, j, escaped))) {
      i = next;
      continue;
    }
    let k = skipSpace(text, j + 1);
    if (text.charCodeAt(k) !== 0x3a /* : */) {
      i = next;
      continue;
    }
    k = skipSpace(text, k + 1);
    const end = integerEnd(text, k);
    if (end !== -1) {
      out += text.slice(copied, k) + '"' + text.slice(k, end) + '"';
      copied = end;
    }
    i = text.indexOf('"', Math.max(k, end));
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** `JSON.parse(text)`, with the integer values of `fields` as exact decimal strings. */
export function parseJsonWithIds(text: string, fields: ReadonlySet<string>): unknown {
  return JSON.parse(fields.size ? quoteIntegerFields(text, fields) : text);
}

function keyName(text: string, start: number, end: number, escaped: boolean): string {
  const raw = text.slice(start, end);
  if (!escaped) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** End of the JSON integer `-?(0|[1-9][0-9]*)` at `i`, not followed by a fraction or an exponent; else -1. */
function integerEnd(text: string, i: number): number {
  let k = i;
  if (text.charCodeAt(k) === 0x2d /* - */) k++;
  const first = k;
  while (k < text.length && isDigit(text.charCodeAt(k))) k++;
  if (k === first || (text.charCodeAt(first) === 0x30 && k - first > 1)) return -1;
  const after = text.charCodeAt(k);
  if (after === 0x2e /* . */ || after === 0x65 /* e */ || after === 0x45 /* E */) return -1;
  return k;
}
