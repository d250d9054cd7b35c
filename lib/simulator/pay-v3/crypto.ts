/**
 * WeChat Pay v3's primitives, WeChat's side, written from the protocol (not shared with lib/pay/v3,
 * so a mistake in one shows up as a failure against the other). node:crypto only.
 */
import { constants, createCipheriv, createPrivateKey, createPublicKey, createSign, createVerify, privateDecrypt, type KeyObject } from 'node:crypto';
import { randomId } from '../ids';

export type KeyInput = string | Buffer | KeyObject;

/** base64 RSA-SHA256 (PKCS#1 v1.5) over `message`. */
export function rsaSign(message: string | Buffer, privateKey: KeyInput): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

/** Does `signature` (base64) verify over `message`? Anything malformed is simply `false`. */
export function rsaVerify(message: string | Buffer, signature: string, publicKey: KeyInput): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return createVerify('RSA-SHA256').update(message).verify(publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** The string a request is signed over: `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n`. */
export function requestMessage(method: string, url: string, timestamp: string, nonce: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${method}\n${url}\n${timestamp}\n${nonce}\n`), body, Buffer.from('\n')]);
}

/** The string answers and notifies are signed over: `TIMESTAMP\nNONCE\nBODY\n`. */
export function answerMessage(timestamp: string, nonce: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), body, Buffer.from('\n')]);
}

/** A GCM resource as WeChat sends it: 12-character nonce, base64(ciphertext ‖ 16-byte tag). */
export interface GcmResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
}

/** AES-256-GCM under the APIv3 key (its 32 bytes as text), IV = the nonce's bytes, AAD as given. */
export function gcmEncrypt(plaintext: string, apiV3Key: string, associatedData: string, nonce = randomId(12)): GcmResource {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: body.toString('base64'), associated_data: associatedData, nonce };
}

/**
 * RSA-OAEP (SHA-1, MGF1-SHA-1: what WeChat uses for sensitive fields such as `user_name`) with
 * WeChat's private key. `undefined` when it does not decrypt or is not UTF-8 text.
 */
export function oaepDecrypt(base64: string, privateKey: KeyInput): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  try {
    const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(base64, 'base64'));
    const text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
    return text;
  } catch {
    return undefined;
  }
}

/** A public key from SPKI PEM (or a certificate), refusing anything that is not RSA. */
export function rsaPublicKey(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
  return key;
}

export function rsaPrivateKey(pem: string | Buffer): KeyObject {
  return createPrivateKey(pem);
}
