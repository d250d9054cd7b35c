import { XMLValidator } from 'fast-xml-parser';
import { guardXml, xmlError } from '../wechat/xml-guard';
import { wechatXmlParser } from '../wechat/xml-parser';
import type { RawMessage } from './types';

/** Default cap of a message body: WeChat's messages are a few hundred bytes, a news reply a few KiB. */
export const MESSAGE_MAX_BYTES = 64 * 1024;

/** Elements WeChat repeats: always arrays, even with one entry (subscribe-message lists, media-check details). */
const LISTS = new Set(['List', 'item', 'detail']);

// Unlike pay's flat messages, events nest (`SendLocationInfo`, `SubscribeMsgPopupEvent > List`),
// so this parser keeps the tree.
const parser = wechatXmlParser(LISTS);

/**
 * Parse a message-server body (`<xml>…</xml>`) into WeChat's fields. Refused with `xml_error`
 * before the parser sees it: over `maxBytes` (413), a DOCTYPE or ENTITY declaration (the guard
 * shared with pay notifies). After: malformed XML, another root, a top-level field repeated
 * (one meaning for the signature, another for the handler).
 */
export function parseMessageXml(text: string | Buffer, maxBytes = MESSAGE_MAX_BYTES): RawMessage {
  const xml = guardXml(text, maxBytes);
  // Most messages (and the safe-mode envelope) are flat: read them in one pass. Anything else —
  // nesting, entities, comments, a repeated field — goes through the validator and the parser.
  return readFlat(xml) ?? parseWithParser(xml);
}

/**
 * A safe-mode envelope (`<ToUserName>`, `<Encrypt>`), read before its signature is checked: flat
 * only, one linear pass. A body that needs the full parser is refused before it costs any: an
 * unsigned request must not be able to buy parser time.
 */
export function parseEnvelopeXml(text: string | Buffer, maxBytes = MESSAGE_MAX_BYTES): RawMessage {
  const envelope = readFlat(guardXml(text, maxBytes));
  if (!envelope) throw xmlError('a safe-mode message is a flat <xml> envelope');
  return envelope;
}

/** The validator and the parser, for any shape (exported for the test that holds `readFlat` to it). */
export function parseWithParser(xml: string): RawMessage {
  if (XMLValidator.validate(xml) !== true) throw xmlError('malformed XML');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (cause) {
    throw xmlError('malformed XML', 400, cause);
  }
  const roots = Object.keys(doc).filter((k) => k !== '#text');
  const root = doc.xml;
  if (roots.length !== 1 || roots[0] !== 'xml' || typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw xmlError('the root element must be <xml> with fields');
  }
  return clean(root as Record<string, unknown>, true) as RawMessage;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * `<xml>` holding only `<Name>text</Name>` / `<Name><![CDATA[…]]></Name>` fields (CDATA sections
 * may follow each other, as a split `]]>` does), whitespace between them: its fields, else
 * undefined. The shape is checked as strictly as it is read (names, no `<` or `&` in text, no
 * attributes, each field once), so what it accepts is well-formed XML that the parser would read
 * the same way, in a fraction of the time.
 */
function readFlat(xml: string): RawMessage | undefined {
  let i = 0;
  const end = xml.length;
  const skip = () => {
    while (i < end && isSpace(xml.charCodeAt(i))) i++;
  };
  skip();
  if (!xml.startsWith('<xml>', i)) return undefined;
  i += 5;
  const out: RawMessage = {};
  for (;;) {
    skip();
    if (xml.startsWith('</xml>', i)) {
      i += 6;
      skip();
      return i === end ? out : undefined;
    }
    if (xml.charCodeAt(i) !== 0x3c /* < */) return undefined;
    const close = xml.indexOf('>', i);
    if (close === -1 || close - i > 65) return undefined;
    const name = xml.slice(i + 1, close);
    if (!NAME.test(name) || Object.hasOwn(out, name)) return undefined;
    i = close + 1;
    let value = '';
    if (xml.startsWith('<![CDATA[', i)) {
      while (xml.startsWith('<![CDATA[', i)) {
        const stop = xml.indexOf(']]>', i + 9);
        if (stop === -1) return undefined;
        value += xml.slice(i + 9, stop);
        i = stop + 3;
      }
    } else {
      const stop = xml.indexOf('<', i);
      if (stop === -1) return undefined;
      value = xml.slice(i, stop);
      if (value.includes('&') || value.includes('>')) return undefined;
      i = stop;
    }
    const tail = `</${name}>`;
    if (!xml.startsWith(tail, i)) return undefined;
    i += tail.length;
    out[name] = value;
  }
}

/** Drop the whitespace text between elements; refuse a repeated field at the top level. */
function clean(node: Record<string, unknown>, top: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '#text') continue;
    if (top && Array.isArray(v) && !LISTS.has(k)) throw xmlError(`field "${k.slice(0, 40).replace(/[^A-Za-z0-9_]/g, '?')}" is repeated`);
    out[k] = cleanValue(v);
  }
  return out;
}

function cleanValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cleanValue);
  if (v !== null && typeof v === 'object') return clean(v as Record<string, unknown>, false);
  return v;
}

/** A CDATA section holding `text`: a `]]>` inside is split across two sections, so it cannot close it. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/** An element tree as WeChat writes it: strings in CDATA, numbers bare, arrays as repeated elements. */
export type XmlTree = { [name: string]: string | number | XmlTree | XmlTree[] | undefined };

/** `<xml>…</xml>` of `tree` (element names are ours, never user input). */
export function buildXml(tree: XmlTree, root = 'xml'): string {
  return `<${root}>${children(tree)}</${root}>`;
}

function children(tree: XmlTree): string {
  let out = '';
  for (const [name, value] of Object.entries(tree)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) out += value.map((item) => `<${name}>${children(item)}</${name}>`).join('');
    else if (typeof value === 'object') out += `<${name}>${children(value)}</${name}>`;
    else out += `<${name}>${typeof value === 'number' ? String(value) : cdata(value)}</${name}>`;
  }
  return out;
}
