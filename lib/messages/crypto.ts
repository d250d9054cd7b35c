import { createCipheriv, createDecipheriv } from 'node:crypto';
import { WxAuthError } from '../errors';

/**
 * WXBizMsgCrypt, the safe-mode envelope of the message server (node:crypto only):
 * AES-256-CBC, key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7 padding
 * to a multiple of 32 bytes (not AES's 16), plaintext =
 * 16 random bytes ‖ 4-byte big-endian length ‖ message ‖ appid.
 * https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
 */

/** WeChat's block size for the padding (`WXBizMsgCrypt`'s PKCS7Encoder.block_size). */
const BLOCK = 32;

/** The 32-byte AES key of an EncodingAESKey (43 characters of base64 without its `=`). */
export function messageAesKey(encodingAESKey: string): Buffer {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (encodingAESKey.length !== 43 || key.length !== 32) {
    throw new WxAuthError('config_error', '"mp.messages.encodingAESKey" must be 43 characters of base64', { field: 'mp.messages.encodingAESKey' });
  }
  return key;
}

/** Encrypt `message` (the reply XML) for `appid`; `random16` is the 16-byte random prefix. */
export function encryptMessage(key: Buffer, message: string, appid: string, random16: Buffer): string {
  if (random16.length !== 16) throw new WxAuthError('args_error', 'the random prefix must be 16 bytes');
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  const plain = Buffer.concat([random16, length, body, Buffer.from(appid, 'utf8')]);
  const pad = BLOCK - (plain.length % BLOCK);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** What an `Encrypt` text decrypts to. */
export interface DecryptedMessage {
  /** The message XML. */
  message: string;
  /** The appid WeChat appended: it must be ours (checked by the caller, which knows it). */
  appid: string;
}

/**
 * Decrypt an `Encrypt` text. Refused with `decrypt_error` (no detail that could serve as a
 * padding oracle): not base64 of whole AES blocks, bad padding, a length past the end.
 */
export function decryptMessage(key: Buffer, encrypted: string): DecryptedMessage {
  const data = Buffer.from(encrypted, 'base64');
  if (!data.length || data.length % 16 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) throw refused();
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (cause) {
    throw refused(cause);
  }
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > BLOCK || pad > plain.length) throw refused();
  for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) throw refused();
  const content = plain.subarray(0, plain.length - pad);
  if (content.length < 20) throw refused();
  const length = content.readUInt32BE(16);
  if (20 + length > content.length) throw refused();
  return {
    message: content.subarray(20, 20 + length).toString('utf8'),
    appid: content.subarray(20 + length).toString('utf8'),
  };
}

function refused(cause?: unknown): WxAuthError {
  return new WxAuthError('decrypt_error', 'the encrypted message does not decrypt', { status: 400, ...(cause === undefined ? {} : { cause }) });
}
