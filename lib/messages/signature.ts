import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { hexEqual } from '../hash';

/**
 * WeChat's message-server signatures: SHA-1 of the parts sorted as strings and joined.
 * `signature` (the URL check and plain messages) signs `token, timestamp, nonce`;
 * `msg_signature` (safe and compatible mode) adds the `Encrypt` text.
 * https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
 */
export function messageSignature(...parts: string[]): string {
  // Code-unit order, as WeChat's samples sort (Java's Arrays.sort, PHP's sort(SORT_STRING)).
  const sorted = [...parts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = sorted.join('');
  return oneShotHash ? oneShotHash('sha1', text, 'hex') : createHash('sha1').update(text, 'utf8').digest('hex');
}

/** One-shot `crypto.hash` (Node ≥ 20.12, as lib/hash.ts uses it): no Hash object per signature. */
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Whether `received` is the SHA-1 of the sorted `parts`, compared in constant time. */
export function verifyMessageSignature(received: string | undefined, ...parts: string[]): boolean {
  if (typeof received !== 'string' || received.length !== 40) return false;
  return hexEqual(received, messageSignature(...parts));
}
