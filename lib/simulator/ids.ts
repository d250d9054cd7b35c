import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random characters from [A-Za-z0-9] (codes, tokens, tickets look like WeChat's). */
export function randomId(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps the alphabet uniform (248 = 4 × 62).
  for (let i = 0; i < bytes.length && out.length < length; i++) if (bytes[i]! < 248) out += BASE62[bytes[i]! % 62];
  return out.length === length ? out : out + randomId(length - out.length);
}

function digest(input: string): string {
  return createHash('sha256').update(input).digest('base64url');
}

/** Per-(app, user) openid: 28 characters starting with `o`, like WeChat's (`oLVPpjqs9BhvzwPj5A-vTYAX3GLc`). */
export function openidFor(appid: string, user: string): string {
  return 'o' + digest(`openid\0${appid}\0${user}`).slice(0, 27);
}

/** Per-person unionid: 28 characters starting with `o`, the same in every app. */
export function unionidFor(user: string): string {
  return 'o' + digest(`unionid\0${user}`).slice(0, 27);
}

/** A mini program session_key: base64 of 16 random bytes (the AES-128 key for encryptedData). */
export function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}
