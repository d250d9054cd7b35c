import { createPrivateKey } from 'node:crypto';
import { WxAuthError } from '../../../lib/errors';
import { loadPayV3Keys, payV3OptionsSchema } from '../../../lib/pay/v3/options';
import { validateOptions } from '../../../lib/validate';
import { v3Options } from './harness';
import { API_V3_KEY, MERCHANT_KEY, MERCHANT_PUB, PLATFORM_CERT, PLATFORM_SERIAL, PUBLIC_KEY_ID, WECHATPAY_PUB } from './keys';

function problem(v3: unknown): { field?: string; message: string } | undefined {
  try {
    validateOptions(payV3OptionsSchema, v3, 'pay.v3');
    return undefined;
  } catch (error) {
    if (!(error instanceof WxAuthError) || error.code !== 'config_error') throw error;
    return { ...(error.field ? { field: error.field } : {}), message: error.message };
  }
}

describe('pay.v3 options', () => {
  test.each(['publicKey', 'certificates', 'switch'] as const)('%s mode validates', (mode) => {
    expect(problem(v3Options(mode))).toBeUndefined();
  });

  test('the private key may be a Buffer, and so may the public key', () => {
    expect(problem({ ...v3Options(), privateKey: Buffer.from(MERCHANT_KEY), publicKey: Buffer.from(WECHATPAY_PUB) })).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a 31-byte APIv3 key', { apiV3Key: API_V3_KEY.slice(1) }, 'pay.v3.apiV3Key'],
    ['a 16-byte (AES-128) APIv3 key', { apiV3Key: API_V3_KEY.slice(16) }, 'pay.v3.apiV3Key'],
    ['32 characters that are 34 bytes', { apiV3Key: 'é' + API_V3_KEY.slice(1) + '' }, 'pay.v3.apiV3Key'],
    ['a serial that is not 40 hex', { serialNo: 'F5765756002FDD77' }, 'pay.v3.serialNo'],
    ['a private key that is not a PEM', { privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }, 'pay.v3.privateKey'],
    ['a public key as the private key', { privateKey: MERCHANT_PUB }, 'pay.v3.privateKey'],
    ['a public key id without the prefix', { publicKeyId: '0119000001234567' }, 'pay.v3.publicKeyId'],
    ['a public key id with letters after the prefix', { publicKeyId: 'PUB_KEY_ID_01AB' }, 'pay.v3.publicKeyId'],
    ['a private key as the public key', { publicKey: MERCHANT_KEY }, 'pay.v3.publicKey'],
    ['garbage as the public key', { publicKey: 'nope' }, 'pay.v3.publicKey'],
    ['a public key id without the key', { publicKey: undefined }, 'pay.v3.publicKey'],
    ['a public key without its id', { publicKeyId: undefined }, 'pay.v3.publicKeyId'],
    ['neither public key nor certificates', { publicKey: undefined, publicKeyId: undefined }, 'pay.v3.publicKey'],
    ['an unknown option', { publicKeyID: 'x' }, 'pay.v3.publicKeyID'],
  ])('%s is a config_error naming the field', (_name, change, field) => {
    const got = problem({ ...v3Options(), ...change });
    expect(got?.field).toBe(field);
    // Never the value itself.
    expect(got?.message).not.toContain(API_V3_KEY.slice(4, 20));
    expect(got?.message).not.toContain('MII');
  });

  test('a short public key id is fine: prefix and digits, not a length', () => {
    expect(problem({ ...v3Options(), publicKeyId: 'PUB_KEY_ID_1' })).toBeUndefined();
  });

  test('a certificate under another serial, or not a certificate, is refused', () => {
    expect(problem({ ...v3Options('certificates'), certificates: { ['ABCDEF0123456789ABCDEF0123456789ABCDEF01']: PLATFORM_CERT } })?.message).toContain('another serial');
    expect(problem({ ...v3Options('certificates'), certificates: { [PLATFORM_SERIAL]: WECHATPAY_PUB } })?.field).toBe(`pay.v3.certificates.${PLATFORM_SERIAL}`);
  });

  test('the APIv3 key never appears in a message', () => {
    const got = problem({ ...v3Options(), apiV3Key: 'secret-apiv3-key-that-is-too-long!!' });
    expect(got?.message).not.toContain('secret-apiv3');
  });
});

describe('loadPayV3Keys', () => {
  test('public-key mode: verifier by id, encrypt under the public key, serial upper-cased', () => {
    const keys = loadPayV3Keys({ ...v3Options(), serialNo: v3Options().serialNo.toLowerCase() });
    expect([...keys.verifiers.keys()]).toEqual([PUBLIC_KEY_ID]);
    expect(keys.encryptSerial).toBe(PUBLIC_KEY_ID);
    expect(keys.publicKeyId).toBe(PUBLIC_KEY_ID);
    expect(keys.serialNo).toMatch(/^[0-9A-F]{40}$/);
  });

  test('a switch: both verifiers, encryption under the public key', () => {
    const keys = loadPayV3Keys(v3Options('switch'));
    expect(new Set(keys.verifiers.keys())).toEqual(new Set([PUBLIC_KEY_ID, PLATFORM_SERIAL]));
    expect(keys.encryptSerial).toBe(PUBLIC_KEY_ID);
  });

  test('certificates only: no public key id, encryption under the certificate', () => {
    const keys = loadPayV3Keys(v3Options('certificates'));
    expect(keys.publicKeyId).toBeUndefined();
    expect(keys.encryptSerial).toBe(PLATFORM_SERIAL);
  });

  test('the private key may be a KeyObject already', () => {
    const key = createPrivateKey(MERCHANT_KEY);
    expect(loadPayV3Keys({ ...v3Options(), privateKey: key as unknown as string }).privateKey).toBe(key);
  });
});
