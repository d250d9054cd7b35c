import { XMLValidator } from 'fast-xml-parser';
import { WxAuthError } from '../errors';
import { guardXml, xmlError } from '../wechat/xml-guard';
import { wechatXmlParser } from '../wechat/xml-parser';
import type { PayParams } from './sign';

/** Default size limit of a parsed message: WeChat Pay v2 messages are a few hundred bytes. */
export const DEFAULT_MAX_XML_BYTES = 64 * 1024;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DIGITS = /^\d+$/;

/**
 * `<xml><k><![CDATA[v]]></k>…</xml>`, the shape WeChat Pay v2 expects. Empty and missing values
 * are left out (they are not signed either). A `]]>` inside a value is split across two CDATA
 * sections, so no value can close its section and inject elements.
 * `bare(field)` true writes that field's value without CDATA when it is a plain run of digits,
 * as WeChat writes some amounts (`<total_fee>1</total_fee>`); the parser reads both forms.
 */
export function buildPayXml(params: PayParams, root = 'xml', bare?: (field: string) => boolean): string {
  if (!KEY.test(root)) throw new WxAuthError('args_error', 'invalid root element name');
  let out = `<${root}>`;
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (!KEY.test(k)) throw new WxAuthError('args_error', `"${k}" is not a valid WeChat Pay field name`);
    const text = String(v);
    out += bare?.(k) && DIGITS.test(text) ? `<${k}>${text}</${k}>` : `<${k}><![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${k}>`;
  }
  return `${out}</${root}>`;
}

// One parser, configured once (see wechatXmlParser).
const parser = wechatXmlParser();

export interface ParseXmlOptions {
  /** Refuse longer input (bytes, UTF-8). Default 64 KB. */
  maxBytes?: number;
  /** The root element. Default `xml`; a refund notify's decrypted `req_info` uses `root`. */
  root?: string;
  /**
   * Input from anyone (a notify): refuse, before the validator and the parser see it, a text
   * that is not exactly `<root>…</root>` (whitespace aside: no declaration, comment or trailing
   * data), any `<!` other than `<![CDATA[`, any `<?`, a tag with attributes (or self-closing),
   * more than `maxFields` fields (counted as `<` constructs outside CDATA, three per field) and
   * more than `2 × maxFields` `&` (entity references).
   * One pass with `indexOf`, linear in the size: a hostile body costs what reading it costs, not
   * what parsing thousands of elements or attributes does.
   */
  maxFields?: number;
}

/**
 * Parse a flat WeChat Pay v2 message into `{ field: value }`.
 * Refused with `xml_error`, before the parser sees it: anything over the size limit and any
 * DOCTYPE or ENTITY declaration (XXE, entity expansion). Refused after: malformed or truncated
 * XML, a root other than `<xml>`, nested elements and repeated fields (which would let a message
 * mean one thing to the signature and another to the handler).
 */
export function parsePayXml(text: string | Buffer, options: ParseXmlOptions = {}): Record<string, string> {
  const xml = guardXml(text, options.maxBytes ?? DEFAULT_MAX_XML_BYTES);
  if (options.maxFields !== undefined) checkShape(xml, options.root ?? 'xml', options.maxFields);
  if (XMLValidator.validate(xml) !== true) throw xmlError('malformed XML');

  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (cause) {
    throw xmlError('malformed XML', 400, cause);
  }
  const rootName = options.root ?? 'xml';
  const roots = Object.keys(doc).filter((k) => k !== '#text');
  const root = doc[rootName];
  if (roots.length !== 1 || roots[0] !== rootName) throw xmlError(`the root element must be <${rootName}>`);
  if (root === '') return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw xmlError(`the root element must be <${rootName}> with fields`);

  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    if (k === '#text') continue; // whitespace between fields
    if (typeof v !== 'string') throw xmlError(Array.isArray(v) ? `field "${safeName(k)}" is repeated` : `field "${safeName(k)}" is not a plain value`);
    out[k] = v;
  }
  return out;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** The cheap shape check of `maxFields` (see there). */
function checkShape(xml: string, root: string, maxFields: number): void {
  let start = 0;
  let end = xml.length;
  while (start < end && isSpace(xml.charCodeAt(start))) start++;
  while (end > start && isSpace(xml.charCodeAt(end - 1))) end--;
  const open = `<${root}>`;
  const close = `</${root}>`;
  if (!xml.startsWith(open, start) || end - start < open.length + close.length || !xml.endsWith(close, end)) {
    throw xmlError(`the body must be <${root}>…</${root}>`);
  }
  // Entity references cost the parser several passes each; WeChat's values have next to none
  // (`attach`, at most 127 characters, is the only free text), so a few hundred is plenty.
  let amps = 0;
  for (let a = xml.indexOf('&', start); a !== -1; a = xml.indexOf('&', a + 1)) {
    if (++amps > 2 * maxFields) throw xmlError(`more than ${2 * maxFields} "&"`);
  }
  // Tags and CDATA sections between the root's: an open tag, a CDATA section and a close tag per field.
  const max = 3 * maxFields;
  let count = 0;
  let i = xml.indexOf('<', start + open.length);
  const last = end - close.length;
  while (i !== -1 && i < last) {
    if (++count > max) throw xmlError(`more than ${maxFields} fields`);
    const next = xml.charCodeAt(i + 1);
    if (next === 0x21 /* ! */) {
      if (!xml.startsWith('![CDATA[', i + 1)) throw xmlError('XML comments and declarations are refused');
      const cdataEnd = xml.indexOf(']]>', i + 9);
      if (cdataEnd === -1) throw xmlError('malformed XML');
      i = xml.indexOf('<', cdataEnd + 3);
    } else if (next === 0x3f /* ? */) {
      throw xmlError('XML processing instructions are refused');
    } else {
      // A bare `<name>` or `</name>`: no attributes, no self-closing tags (WeChat sends neither).
      const tagEnd = xml.indexOf('>', i + 1);
      const nameStart = next === 0x2f /* / */ ? i + 2 : i + 1;
      if (tagEnd === -1 || tagEnd - nameStart > 64 || !KEY.test(xml.slice(nameStart, tagEnd))) throw xmlError('malformed XML (a tag with attributes or no name)');
      i = xml.indexOf('<', tagEnd + 1);
    }
  }
}

function safeName(k: string): string {
  return k.slice(0, 40).replace(/[^A-Za-z0-9_]/g, '?');
}

