import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { acceptedSignType, signPay, stringToSign, verifyPay, receivedSignType } from '../../lib/pay/sign';

// WeChat's published example (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3).
const EXAMPLE = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
const EXAMPLE_KEY = '192006250b4c09247ec02edce69f6a2d';

describe('WeChat Pay v2 signing', () => {
  test("builds WeChat's example string: sorted by key, k=v joined with &, then &key=", () => {
    expect(stringToSign(EXAMPLE, EXAMPLE_KEY)).toBe(
      'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d',
    );
  });

  test("MD5 matches WeChat's published signature", () => {
    expect(signPay(EXAMPLE, EXAMPLE_KEY, 'MD5')).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
    expect(signPay(EXAMPLE, EXAMPLE_KEY)).toBe('9A0A8659F005D6984697E2CA0A9CF3B7');
  });

  test("HMAC-SHA256 matches WeChat's published signature", () => {
    expect(signPay(EXAMPLE, EXAMPLE_KEY, 'HMAC-SHA256')).toBe('6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
  });

  test("verifies WeChat's example message in both algorithms", () => {
    expect(verifyPay({ ...EXAMPLE, sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, EXAMPLE_KEY)).toBe(true);
    expect(verifyPay({ ...EXAMPLE, sign: '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6' }, EXAMPLE_KEY, 'HMAC-SHA256')).toBe(true);
    expect(verifyPay({ ...EXAMPLE, sign: '9a0a8659f005d6984697e2ca0a9cf3b7' }, EXAMPLE_KEY)).toBe(true);
  });

  test('leaves out sign, empty, null and undefined values; keeps 0', () => {
    const s = stringToSign({ b: '', a: '1', sign: 'X', c: undefined, d: null, e: 0 }, 'K');
    expect(s).toBe('a=1&e=0&key=K');
  });

  test('sorts by ASCII (upper case before lower case), not by locale', () => {
    expect(stringToSign({ b: '1', B: '2', a_b: '3', aB: '4' }, 'K')).toBe('B=2&aB=4&a_b=3&b=1&key=K');
  });

  test('refuses a missing sign, a wrong-length sign and an unknown sign_type', () => {
    expect(verifyPay({ ...EXAMPLE }, EXAMPLE_KEY)).toBe(false);
    expect(verifyPay({ ...EXAMPLE, sign: '9A0A' }, EXAMPLE_KEY)).toBe(false);
    expect(verifyPay({ ...EXAMPLE, sign_type: 'SHA1', sign: '9A0A8659F005D6984697E2CA0A9CF3B7' }, EXAMPLE_KEY)).toBe(false);
  });

  test("the pay host's side (the simulator) answers a request in the algorithm its sign_type names", () => {
    expect(receivedSignType({ sign_type: 'HMAC-SHA256' }, 'MD5')).toBe('HMAC-SHA256');
    expect(receivedSignType({}, 'HMAC-SHA256')).toBe('HMAC-SHA256');
    expect(receivedSignType({ sign_type: 'RSA' }, 'MD5')).toBeUndefined();
  });

  test("a merchant verifies with its own algorithm only: a message's sign_type cannot pick another", () => {
    expect(acceptedSignType({ sign_type: 'MD5' }, 'HMAC-SHA256')).toBeUndefined();
    expect(acceptedSignType({ sign_type: 'HMAC-SHA256' }, 'MD5')).toBeUndefined();
    expect(acceptedSignType({}, 'HMAC-SHA256')).toBe('HMAC-SHA256');
    expect(acceptedSignType({ sign_type: 'HMAC-SHA256' }, 'HMAC-SHA256')).toBe('HMAC-SHA256');
    const md5 = { ...EXAMPLE, sign_type: 'MD5' };
    const hmac = { ...EXAMPLE, sign_type: 'HMAC-SHA256' };
    // Validly signed, but not in the configured algorithm: refused.
    expect(verifyPay({ ...md5, sign: signPay(md5, EXAMPLE_KEY, 'MD5') }, EXAMPLE_KEY, 'HMAC-SHA256')).toBe(false);
    expect(verifyPay({ ...hmac, sign: signPay(hmac, EXAMPLE_KEY, 'HMAC-SHA256') }, EXAMPLE_KEY)).toBe(false);
    expect(verifyPay({ ...hmac, sign: signPay(hmac, EXAMPLE_KEY, 'HMAC-SHA256') }, EXAMPLE_KEY, 'MD5')).toBe(false);
    // In it: accepted, with or without sign_type.
    expect(verifyPay({ ...hmac, sign: signPay(hmac, EXAMPLE_KEY, 'HMAC-SHA256') }, EXAMPLE_KEY, 'HMAC-SHA256')).toBe(true);
    expect(verifyPay({ ...md5, sign: signPay(md5, EXAMPLE_KEY, 'MD5') }, EXAMPLE_KEY)).toBe(true);
  });

  const key = fc.string({ minLength: 32, maxLength: 32 });
  const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/).filter((k) => k !== 'sign' && k !== 'sign_type');
  const params = fc.dictionary(fieldName, fc.string({ minLength: 1, maxLength: 40 }), { minKeys: 1, maxKeys: 12 });
  const signType = fc.constantFrom('MD5' as const, 'HMAC-SHA256' as const);

  test('property: verify(sign(x)) holds for any parameters, key and algorithm', () => {
    fc.assert(
      fc.property(params, key, signType, (p, k, t) => {
        return verifyPay({ ...p, sign: signPay(p, k, t) }, k, t);
      }),
    );
  });

  test('property: changing any field value breaks the signature', () => {
    fc.assert(
      fc.property(params, key, signType, fc.nat(), fc.string({ minLength: 1, maxLength: 10 }), (p, k, t, i, suffix) => {
        const signed: Record<string, string> = { ...p, sign: signPay(p, k, t) };
        const names = Object.keys(p);
        const name = names[i % names.length]!;
        return !verifyPay({ ...signed, [name]: signed[name] + suffix }, k, t);
      }),
    );
  });

  test('property: adding or removing a field breaks the signature', () => {
    fc.assert(
      fc.property(params, key, signType, fieldName, fc.string({ minLength: 1, maxLength: 10 }), (p, k, t, extraName, extraValue) => {
        const signed: Record<string, string> = { ...p, sign: signPay(p, k, t) };
        const removed = { ...signed };
        delete removed[Object.keys(p)[0]!];
        const added = extraName in p ? undefined : { ...signed, [extraName]: extraValue };
        return !verifyPay(removed, k, t) && (added === undefined || !verifyPay(added, k, t));
      }),
    );
  });

  test('property: another key never verifies', () => {
    fc.assert(
      fc.property(params, key, key, signType, (p, k1, k2, t) => {
        fc.pre(k1 !== k2);
        return !verifyPay({ ...p, sign: signPay(p, k1, t) }, k2, t);
      }),
    );
  });
});

describe('signing against a reference built from node:crypto directly', () => {
  /** The definition, spelled out with no caching or shortcuts. */
  const reference = (p: Record<string, string>, key: string, type: 'MD5' | 'HMAC-SHA256') => {
    const text = Object.keys(p).filter((k) => k !== 'sign' && p[k] !== '').sort().map((k) => `${k}=${p[k]}`).concat(`key=${key}`).join('&');
    const h = type === 'MD5' ? createHash('md5').update(text, 'utf8') : createHmac('sha256', key).update(text, 'utf8');
    return h.digest('hex').toUpperCase();
  };

  test('property: same signature for any parameters, any (unicode) key, either algorithm', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/), fc.string({ maxLength: 40, unit: 'grapheme' })),
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
        fc.constantFrom('MD5' as const, 'HMAC-SHA256' as const),
        (p, key, type) => signPay(p, key, type) === reference(p, key, type),
      ),
      { numRuns: 500 },
    );
  });

  test('more API keys than the per-key cache holds: each message still signs with its own key', () => {
    const p = { appid: 'wx1', total_fee: '1' };
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}-0123456789abcdefghijklmnopq`);
    for (let round = 0; round < 3; round++) {
      for (const key of keys) expect(signPay(p, key, 'HMAC-SHA256')).toBe(reference(p, key, 'HMAC-SHA256'));
    }
  });
});
