import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { WxAuthError } from '../errors';
import type { PayParams } from './sign';

/** Default size limit of a parsed message: WeChat Pay v2 messages are a few hundred bytes. */
export const DEFAULT_MAX_XML_BYTES = 64 * 1024;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `<xml><k><![CDATA[v]]></k>…</xml>`, the shape WeChat Pay v2 expects. Empty and missing values
 * are left out (they are not signed either). A `]]>` inside a value is split across two CDATA
 * sections, so no value can close its section and inject elements.
 */
export function buildPayXml(params: PayParams, root = 'xml'): string {
  if (!KEY.test(root)) throw new WxAuthError('args_error', 'invalid root element name');
  let out = `<${root}>`;
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (!KEY.test(k)) throw new WxAuthError('args_error', `"${k}" is not a valid WeChat Pay field name`);
    out += `<${k}><![CDATA[${String(v).replace(/]]>/g, ']]]]><![CDATA[>')}]]></${k}>`;
  }
  return `${out}</${root}>`;
}

// One parser, configured once: every value stays a string (`0100` must not become 100, or the
// signature breaks), attributes are ignored, only XML's five built-in entities are decoded.
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export interface ParseXmlOptions {
  /** Refuse longer input (bytes, UTF-8). Default 64 KB. */
  maxBytes?: number;
  /** The root element. Default `xml`; a refund notify's decrypted `req_info` uses `root`. */
  root?: string;
}

/**
 * Parse a flat WeChat Pay v2 message into `{ field: value }`.
 * Refused with `xml_error`, before the parser sees it: anything over the size limit and any
 * DOCTYPE or ENTITY declaration (XXE, entity expansion). Refused after: malformed or truncated
 * XML, a root other than `<xml>`, nested elements and repeated fields (which would let a message
 * mean one thing to the signature and another to the handler).
 */
export function parsePayXml(text: string | Buffer, options: ParseXmlOptions = {}): Record<string, string> {
  const max = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const size = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  if (size > max) throw xmlError(`XML is larger than ${max} bytes`, 413);
  const xml = typeof text === 'string' ? text : text.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw xmlError('XML with a DOCTYPE or ENTITY declaration is refused');
  if (!xml.trim()) throw xmlError('empty body');
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

function safeName(k: string): string {
  return k.slice(0, 40).replace(/[^A-Za-z0-9_]/g, '?');
}

function xmlError(message: string, status = 400, cause?: unknown): WxAuthError {
  return new WxAuthError('xml_error', message, { status, ...(cause === undefined ? {} : { cause }) });
}
