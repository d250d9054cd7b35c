import { XMLParser } from 'fast-xml-parser';

/**
 * The one way this package parses WeChat's XML (pay notifies and answers, the message server),
 * always after `guardXml`: every value stays a string (`0100` must not become 100, or a signature
 * breaks; a MsgId is 64 bits), attributes are ignored, only XML's five built-in entities are decoded.
 * `lists` names the elements WeChat repeats, parsed as arrays even with one entry.
 */
export function wechatXmlParser(lists: ReadonlySet<string> = new Set()): XMLParser {
  return new XMLParser({
    ignoreAttributes: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (name) => lists.has(name),
  });
}
