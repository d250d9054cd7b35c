import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { WxAuthError } from '../errors';

/**
 * Refund notifies carry their details in `req_info`: base64 of AES-256-ECB with PKCS#7 padding,
 * keyed with the lower-case hex MD5 of the API key (32 ASCII bytes = a 256-bit key).
 * https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_16
 */
function refundKey(apiKey: string): Buffer {
  return Buffer.from(createHash('md5').update(apiKey, 'utf8').digest('hex').toLowerCase(), 'utf8');
}

/** Decrypt `req_info` to its XML text; anything that does not decrypt is a `decrypt_error`. */
export function decryptRefundInfo(reqInfo: string, apiKey: string): string {
  if (!reqInfo || !/^[A-Za-z0-9+/]+={0,2}$/.test(reqInfo)) throw new WxAuthError('decrypt_error', 'req_info is not base64');
  try {
    const decipher = createDecipheriv('aes-256-ecb', refundKey(apiKey), null);
    decipher.setAutoPadding(true);
    return Buffer.concat([decipher.update(Buffer.from(reqInfo, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // A wrong key almost always shows up as bad padding; never say more than that.
    throw new WxAuthError('decrypt_error', 'req_info could not be decrypted with the API key', { cause: new Error('bad decrypt'), status: 400 });
  }
}

/** The inverse, as WeChat does it: used by the simulator and by tests. */
export function encryptRefundInfo(xml: string, apiKey: string): string {
  const cipher = createCipheriv('aes-256-ecb', refundKey(apiKey), null);
  cipher.setAutoPadding(true);
  return Buffer.concat([cipher.update(xml, 'utf8'), cipher.final()]).toString('base64');
}
