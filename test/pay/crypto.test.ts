import fc from 'fast-check';
import { decryptRefundInfo, encryptRefundInfo } from '../../lib/pay/crypto';
import { WxAuthError } from '../../lib/errors';
import { KEY } from './helpers';

// Produced independently with the openssl CLI:
//   K=$(echo -n $API_KEY | md5sum | cut -d' ' -f1)        # lower-case hex, used as 32 ASCII bytes
//   echo -n '<root>…</root>' | openssl enc -aes-256-ecb -K $(echo -n $K | xxd -p -c 64) | base64
const PLAIN =
  '<root><out_refund_no><![CDATA[R1]]></out_refund_no><refund_id><![CDATA[50000000382019052709732678859]]></refund_id><refund_status><![CDATA[SUCCESS]]></refund_status></root>';
const CIPHER =
  'BUJiM6E8bQQDBpKBrRQneA12FkbIAngbb5X5JZANYGG5tV1n0v/WLJp9jukVmJU1v064Ydg0KwyQ//uSDgkhMqNZQV568dvvCkLH8AkFP6vBJF4mkL92gt0AoJEJQgQxw28ma49drlSo+rRsQIMUfDAdXG5vYzbqnptEBC3T8cND8VP9R0NoanBTFROvmhI1SS0whr4NQcWRS3TYNnPJUd681umk8RngLPwIKvt0RE8=';

describe('refund notify req_info (AES-256-ECB, key = md5(API key) hex)', () => {
  test('decrypts a vector made with openssl', () => {
    expect(decryptRefundInfo(CIPHER, KEY)).toBe(PLAIN);
  });

  test('encrypts to the same vector (ECB is deterministic)', () => {
    expect(encryptRefundInfo(PLAIN, KEY)).toBe(CIPHER);
  });

  test('a wrong key is a decrypt_error that says nothing about the key', () => {
    let caught: unknown;
    try {
      decryptRefundInfo(CIPHER, 'x'.repeat(32));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WxAuthError);
    expect((caught as WxAuthError).code).toBe('decrypt_error');
    expect(String((caught as Error).message)).not.toContain('x'.repeat(8));
  });

  test('refuses input that is not base64 or not whole blocks', () => {
    expect(() => decryptRefundInfo('not base64!', KEY)).toThrow(expect.objectContaining({ code: 'decrypt_error' }));
    expect(() => decryptRefundInfo('', KEY)).toThrow(expect.objectContaining({ code: 'decrypt_error' }));
    expect(() => decryptRefundInfo(CIPHER.slice(0, 20), KEY)).toThrow(expect.objectContaining({ code: 'decrypt_error' }));
  });

  test('property: decrypt(encrypt(x)) returns x', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ minLength: 32, maxLength: 32 }), (text, key) => {
        expect(decryptRefundInfo(encryptRefundInfo(text, key), key)).toBe(text);
      }),
    );
  });
});
