import { WxAuthError } from '../errors';

/**
 * The first check of every XML body from outside (pay notifies, the message server), before any
 * validator or parser sees it: the size limit (`xml_error`, 413) and no DOCTYPE or ENTITY
 * declaration (`xml_error`, 400: XXE and entity expansion). An empty body is refused too.
 * Returns the text as a string.
 */
export function guardXml(text: string | Buffer, maxBytes: number): string {
  const size = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  if (size > maxBytes) throw xmlError(`XML is larger than ${maxBytes} bytes`, 413);
  const xml = typeof text === 'string' ? text : text.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw xmlError('XML with a DOCTYPE or ENTITY declaration is refused');
  if (!xml.trim()) throw xmlError('empty body');
  return xml;
}

/** A refused XML body. */
export function xmlError(message: string, status = 400, cause?: unknown): WxAuthError {
  return new WxAuthError('xml_error', message, { status, ...(cause === undefined ? {} : { cause }) });
}
