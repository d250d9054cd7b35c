import { generateKeyPairSync, privateDecrypt, constants, createPrivateKey, createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { WxAuthError } from '../../../lib/errors';
import {
  decryptPayV3Resource,
  encryptPayV3Resource,
  encryptPayV3Sensitive,
  privateKeyOf,
  publicKeyOf,
  signPayV3,
  verifyPayV3,
} from '../../../lib/pay/v3/crypto';
import { goPubkeyVerifier, goSigner, javaAeadAes } from './fixtures/vectors';
import { API_V3_KEY, FOREIGN_PUB, MERCHANT_KEY, MERCHANT_PUB, PLATFORM_CERT, PLATFORM_KEY } from './keys';

describe('published vectors', () => {
  test('wechatpay-go signer: the test key signs "source" to the published signature', () => {
    expect(signPayV3(goSigner.message, goSigner.privateKey)).toBe(goSigner.signature);
  });

  test('the same, with the key as a Buffer and as a KeyObject', () => {
    expect(signPayV3(goSigner.message, Buffer.from(goSigner.privateKey))).toBe(goSigner.signature);
    expect(signPayV3(goSigner.message, createPrivateKey(goSigner.privateKey))).toBe(goSigner.signature);
  });

  test('wechatpay-go public-key verifier: verifies "source", refuses "wrong source", empty and non-base64', () => {
    const { publicKey, signature } = goPubkeyVerifier;
    expect(verifyPayV3(goPubkeyVerifier.message, signature, publicKey)).toBe(true);
    expect(verifyPayV3(goPubkeyVerifier.wrongMessage, signature, publicKey)).toBe(false);
    expect(verifyPayV3('', signature, publicKey)).toBe(false);
    expect(verifyPayV3('source', '', publicKey)).toBe(false);
    expect(verifyPayV3('source', goPubkeyVerifier.invalidBase64Signature, publicKey)).toBe(false);
    for (const bad of [`${signature.slice(0, 10)} ${signature.slice(10)}`, `${signature.slice(0, 10)}!!${signature.slice(10)}`, `${signature}\n`, `=${signature}`]) expect(verifyPayV3(goPubkeyVerifier.message, bad, publicKey)).toBe(false);
  });

  test('wechatpay-java AeadAesCipherTest: decrypts to "message"', () => {
    const v = javaAeadAes;
    expect(decryptPayV3Resource({ ciphertext: v.ciphertext, nonce: v.nonce, associated_data: v.associatedData, algorithm: 'AEAD_AES_256_GCM' }, v.apiV3Key)).toBe(v.plaintext);
  });

  test('wechatpay-java AeadAesCipherTest: encrypts "message" to the published ciphertext', () => {
    const v = javaAeadAes;
    expect(encryptPayV3Resource(v.plaintext, v.apiV3Key, v.nonce, v.associatedData).ciphertext).toBe(v.ciphertext);
  });
});

describe('verifyPayV3 never throws', () => {
  test.each([
    ['a non-string signature', () => verifyPayV3('m', 42 as unknown as string, MERCHANT_PUB)],
    ['a non-string message', () => verifyPayV3(undefined as unknown as string, 'AAAA', MERCHANT_PUB)],
    ['a key that is not a PEM', () => verifyPayV3('m', 'AAAA', 'not a key')],
    ['a huge signature', () => verifyPayV3('m', 'A'.repeat(100_000), MERCHANT_PUB)],
    ['a signature of the wrong length', () => verifyPayV3('m', 'AAAA', MERCHANT_PUB)],
  ])('%s is false', (_name, run) => {
    expect(run()).toBe(false);
  });

  test('a platform certificate verifies as its public key', () => {
    const sig = signPayV3('hello\n', PLATFORM_KEY);
    expect(verifyPayV3('hello\n', sig, PLATFORM_CERT)).toBe(true);
    expect(verifyPayV3('hello\n', sig, FOREIGN_PUB)).toBe(false);
  });
});

describe('decryptPayV3Resource refuses', () => {
  const good = encryptPayV3Resource('{"a":1}', API_V3_KEY, 'abcdefghijkl', 'transaction');
  const refused = (resource: unknown, key: string | Buffer = API_V3_KEY) => {
    try {
      decryptPayV3Resource(resource as never, key);
    } catch (error) {
      return error instanceof WxAuthError ? error.code : 'other';
    }
    return 'decrypted';
  };

  test('the good one decrypts', () => {
    expect(decryptPayV3Resource(good, API_V3_KEY)).toBe('{"a":1}');
  });
  test('a wrong APIv3 key', () => expect(refused(good, 'X'.repeat(32))).toBe('decrypt_error'));
  test('a key that is not 32 bytes (AES-128 keys are not APIv3 keys)', () => expect(refused(good, API_V3_KEY.slice(0, 16))).toBe('decrypt_error'));
  test('another associated_data', () => expect(refused({ ...good, associated_data: 'refund' })).toBe('decrypt_error'));
  test('a missing associated_data when one was used', () => expect(refused({ ...good, associated_data: undefined })).toBe('decrypt_error'));
  test('another nonce', () => expect(refused({ ...good, nonce: 'abcdefghijkm' })).toBe('decrypt_error'));
  test('another algorithm', () => expect(refused({ ...good, algorithm: 'AEAD_AES_128_GCM' })).toBe('decrypt_error'));
  test('a ciphertext shorter than the tag', () => expect(refused({ ...good, ciphertext: 'AAAA' })).toBe('decrypt_error'));
  test('no ciphertext', () => expect(refused({ nonce: 'x' })).toBe('decrypt_error'));
  test('a ciphertext with characters outside base64 (checked by its decoded length), padded or not', () => {
    const unpadded = encryptPayV3Resource('{"a":12}', API_V3_KEY, 'abcdefghijkl', 'transaction'); // 24 bytes: no "="
    expect(unpadded.ciphertext).not.toContain('=');
    for (const { ciphertext } of [good, unpadded]) {
      for (const bad of [`${ciphertext.slice(0, 8)}!${ciphertext.slice(8)}`, `${ciphertext.slice(0, 8)} ${ciphertext.slice(8)}`, `${ciphertext}\n`, `=${ciphertext}`, `${ciphertext.slice(0, 4)}é${ciphertext.slice(4)}`]) {
        expect(() => decryptPayV3Resource({ ...good, ciphertext: bad }, API_V3_KEY)).toThrow('malformed');
      }
    }
  });
  test('a Buffer key that is not 32 bytes', () => expect(refused(good, Buffer.from(API_V3_KEY.slice(0, 16)))).toBe('decrypt_error'));
  test('a Buffer key of the right bytes decrypts', () => expect(decryptPayV3Resource(good, Buffer.from(API_V3_KEY))).toBe('{"a":1}'));
  test('not an object', () => expect(refused(null)).toBe('decrypt_error'));
  test('the error names nothing secret', () => {
    try {
      decryptPayV3Resource(good, 'Y'.repeat(32));
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('Y'.repeat(8));
    }
  });
});

describe('encryptPayV3Sensitive', () => {
  test('RSA-OAEP with SHA-1: the private key holder decrypts it', () => {
    const out = encryptPayV3Sensitive('张三', MERCHANT_PUB);
    const plain = privateDecrypt({ key: MERCHANT_KEY, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(out, 'base64'));
    expect(plain.toString('utf8')).toBe('张三');
  });
  test('it is not SHA-256 OAEP', () => {
    const out = encryptPayV3Sensitive('张三', MERCHANT_PUB);
    expect(() => privateDecrypt({ key: MERCHANT_KEY, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(out, 'base64'))).toThrow();
  });
  test('encrypts under a platform certificate', () => {
    const out = encryptPayV3Sensitive('李四', PLATFORM_CERT);
    expect(privateDecrypt({ key: PLATFORM_KEY, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(out, 'base64')).toString()).toBe('李四');
  });
});

describe('key cache', () => {
  test('one KeyObject per PEM string and per Buffer', () => {
    expect(privateKeyOf(MERCHANT_KEY)).toBe(privateKeyOf(MERCHANT_KEY));
    const buf = Buffer.from(MERCHANT_PUB);
    expect(publicKeyOf(buf)).toBe(publicKeyOf(buf));
    expect(publicKeyOf(MERCHANT_PUB)).toBe(publicKeyOf(MERCHANT_PUB));
  });
  test('a non-RSA key is refused', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => privateKeyOf(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toThrow();
    expect(() => publicKeyOf(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string)).toThrow();
  });
});

describe('properties', () => {
  const priv = createPrivateKey(MERCHANT_KEY);
  test('sign → verify roundtrip for any message', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (message) => verifyPayV3(message, signPayV3(message, priv), MERCHANT_PUB)), { numRuns: 50 });
  });
  test('any bit flip in the signature fails', () => {
    const sig = Buffer.from(signPayV3('1700000000\nnonce\n{"a":1}\n', priv), 'base64');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sig.length * 8 - 1 }), (bit) => {
        const flipped = Buffer.from(sig);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        return !verifyPayV3('1700000000\nnonce\n{"a":1}\n', flipped.toString('base64'), MERCHANT_PUB);
      }),
      { numRuns: 100 },
    );
  });
  test('any bit flip in the message fails', () => {
    const message = '1700000000\nnonce\n{"a":1}\n';
    const sig = signPayV3(message, priv);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: message.length * 8 - 1 }), (bit) => {
        const bytes = Buffer.from(message, 'latin1');
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        return !verifyPayV3(bytes.toString('latin1'), sig, MERCHANT_PUB);
      }),
      { numRuns: 100 },
    );
  });
  test('encrypt → decrypt roundtrip; any flipped bit of the ciphertext fails', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 12, maxLength: 12, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789') }), fc.string(), fc.nat(), (text, nonce, aad, bitSeed) => {
        const resource = encryptPayV3Resource(text, API_V3_KEY, nonce, aad);
        if (decryptPayV3Resource(resource, API_V3_KEY) !== text) return false;
        const bytes = Buffer.from(resource.ciphertext, 'base64');
        const bit = bitSeed % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => decryptPayV3Resource({ ...resource, ciphertext: bytes.toString('base64') }, API_V3_KEY)).toThrow(WxAuthError);
        return true;
      }),
      { numRuns: 100 },
    );
  });
});
