import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { checkRawDataSignature, decryptMiniProgramData, WxAuthError } from '../../lib';

// WeChat's published example (小程序「开放数据校验与解密」, demo code WXBizDataCrypt), verbatim.
const DEMO_TIME = 1477314187_000 + 30_000; // 30 s after its watermark: fresh
const DEMO = {
  now: () => DEMO_TIME,
  appid: 'wx4f4bc4dec97d474b',
  sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
  iv: 'r7BXXKkLb8qrSNn05n0qiA==',
  encryptedData:
    'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==',
};
const DEMO_PLAIN = {
  openId: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE',
  nickName: 'Band',
  gender: 1,
  language: 'zh_CN',
  city: 'Guangzhou',
  province: 'Guangdong',
  country: 'CN',
  avatarUrl:
    'http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4WgMEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0',
  unionId: 'ocMvos6NjeKLIBqg5Mr9QjxrP1FA',
  watermark: { timestamp: 1477314187, appid: 'wx4f4bc4dec97d474b' },
};

// WeChat's published signature example (「数据签名校验」): sha1(rawData + session_key).
const SIGNATURE_DEMO = {
  rawData:
    '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}',
  sessionKey: 'HyVFkGl5F5OQWJZZaNzBBg==',
  signature: '75e81ceda165f4ffa64f4068af58c64b8f54b88c',
};

/** What WeChat does on its side: AES-128-CBC, PKCS#7, base64. */
function encrypt(data: unknown, key: Buffer, iv: Buffer): string {
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]).toString('base64');
}

function decryptError(fn: () => unknown): WxAuthError {
  try {
    fn();
  } catch (error) {
    return error as WxAuthError;
  }
  throw new Error('expected a decrypt_error');
}

describe('decryptMiniProgramData', () => {
  test("decrypts WeChat's published example to nickName Band with its watermark", () => {
    expect(decryptMiniProgramData(DEMO)).toEqual(DEMO_PLAIN);
  });

  test('refuses data whose watermark names another mini program', () => {
    const error = decryptError(() => decryptMiniProgramData({ ...DEMO, appid: 'wx0000000000000000' }));
    expect(error).toBeInstanceOf(WxAuthError);
    expect(error.code).toBe('decrypt_error');
    expect(error.status).toBe(400);
  });

  test('a wrong session key, a wrong iv or edited ciphertext all fail with one and the same error', () => {
    const wrongKey = decryptError(() => decryptMiniProgramData({ ...DEMO, sessionKey: 'HyVFkGl5F5OQWJZZaNzBBg==' }));
    const wrongIv = decryptError(() => decryptMiniProgramData({ ...DEMO, iv: 'AAAAAAAAAAAAAAAAAAAAAA==' }));
    const bytes = Buffer.from(DEMO.encryptedData, 'base64');
    bytes[bytes.length - 1]! ^= 0x01; // breaks the PKCS#7 padding
    const edited = decryptError(() => decryptMiniProgramData({ ...DEMO, encryptedData: bytes.toString('base64') }));
    for (const error of [wrongKey, wrongIv, edited]) {
      expect(error.code).toBe('decrypt_error');
      // One message for every cause: no padding oracle.
      expect(error.message).toBe(wrongKey.message);
    }
  });

  test.each([
    ['session key not base64', { sessionKey: 'not base64!' }],
    ['session key of 24 bytes', { sessionKey: randomBytes(24).toString('base64') }],
    ['iv of 8 bytes', { iv: randomBytes(8).toString('base64') }],
    ['empty encryptedData', { encryptedData: '' }],
    ['encryptedData not a whole number of blocks', { encryptedData: randomBytes(20).toString('base64') }],
  ])('malformed input (%s) is a decrypt_error, not a crash', (_name, patch) => {
    expect(decryptError(() => decryptMiniProgramData({ ...DEMO, ...patch })).code).toBe('decrypt_error');
  });

  test('plaintext that is not a JSON object, or has no watermark, is refused', () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const base = { sessionKey: key.toString('base64'), iv: iv.toString('base64'), appid: 'wxmini00000000001' };
    expect(decryptError(() => decryptMiniProgramData({ ...base, encryptedData: encrypt([1, 2], key, iv) })).code).toBe('decrypt_error');
    expect(decryptError(() => decryptMiniProgramData({ ...base, encryptedData: encrypt({ nickName: 'x' }, key, iv) })).code).toBe('decrypt_error');
  });

  test('property: whatever WeChat encrypts for our appid decrypts to the same object', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.dictionary(fc.string(), fc.jsonValue()), (k, i, fields) => {
        const key = Buffer.from(k);
        const iv = Buffer.from(i);
        const data = { ...fields, watermark: { appid: 'wxmini00000000001', timestamp: 1700000000 } };
        const out = decryptMiniProgramData({
          sessionKey: key.toString('base64'),
          iv: iv.toString('base64'),
          encryptedData: encrypt(data, key, iv),
          appid: 'wxmini00000000001',
          now: () => 1700000000_000,
        });
        expect(out).toEqual(JSON.parse(JSON.stringify(data)));
      }),
    );
  });

  test('property: data encrypted for another appid never decrypts for ours', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^wx[0-9a-f]{16}$/), (other) => {
        fc.pre(other !== 'wxmini00000000001');
        const key = randomBytes(16);
        const iv = randomBytes(16);
        const encryptedData = encrypt({ openId: 'o1', watermark: { appid: other, timestamp: 1700000000 } }, key, iv);
        const error = decryptError(() =>
          decryptMiniProgramData({ sessionKey: key.toString('base64'), iv: iv.toString('base64'), encryptedData, appid: 'wxmini00000000001', now: () => 1700000000_000 }),
        );
        expect(error.code).toBe('decrypt_error');
      }),
    );
  });
});

describe('decryptMiniProgramData: watermark.timestamp', () => {
  const APPID = 'wxmini00000000001';
  const NOW = 1717234215_000;
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const sealed = (timestamp: unknown, extra: Record<string, unknown> = {}) => ({
    sessionKey: key.toString('base64'),
    iv: iv.toString('base64'),
    encryptedData: encrypt({ openId: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE', nickName: 'Band', watermark: { timestamp, appid: APPID } }, key, iv),
    appid: APPID,
    now: () => NOW,
    ...extra,
  });

  test('fresh data (within 10 minutes, or up to a minute ahead of our clock) decrypts', () => {
    expect(decryptMiniProgramData(sealed(NOW / 1000 - 599)).nickName).toBe('Band');
    expect(decryptMiniProgramData(sealed(NOW / 1000)).nickName).toBe('Band');
    expect(decryptMiniProgramData(sealed(NOW / 1000 + 30)).nickName).toBe('Band');
  });

  test('stale data (older than 10 minutes) is a decrypt_error with the one message', () => {
    const error = decryptError(() => decryptMiniProgramData(sealed(NOW / 1000 - 601)));
    expect(error.code).toBe('decrypt_error');
    expect(error.status).toBe(400);
    expect(error.message).toBe(decryptError(() => decryptMiniProgramData({ ...DEMO, appid: 'wx0000000000000000' })).message);
  });

  test('future-dated data (more than a minute ahead) is a decrypt_error', () => {
    expect(decryptError(() => decryptMiniProgramData(sealed(NOW / 1000 + 120))).code).toBe('decrypt_error');
  });

  test.each([['missing', undefined], ['a string', String(NOW / 1000)], ['null', null]])('a timestamp that is %s is a decrypt_error', (_name, timestamp) => {
    expect(decryptError(() => decryptMiniProgramData(sealed(timestamp))).code).toBe('decrypt_error');
  });

  test('maxAgeSeconds sets the window', () => {
    expect(decryptMiniProgramData(sealed(NOW / 1000 - 3000, { maxAgeSeconds: 3600 })).nickName).toBe('Band');
    expect(decryptError(() => decryptMiniProgramData(sealed(NOW / 1000 - 120, { maxAgeSeconds: 60 }))).code).toBe('decrypt_error');
  });

  test.each([0, -5, Number.NaN, Infinity, '600'])('maxAgeSeconds %p is a config_error naming it', (maxAgeSeconds) => {
    const error = decryptError(() => decryptMiniProgramData(sealed(NOW / 1000, { maxAgeSeconds })));
    expect([error.code, error.field]).toEqual(['config_error', 'maxAgeSeconds']);
  });

  test('the iv rewrites the first 16 bytes at will, yet cannot make stale data fresh: the watermark is out of its reach', () => {
    const plain = Buffer.from('{"openId":"oGZUI', 'utf8'); // the first block of the plaintext
    const forged = Buffer.from('{"openId":"XXXXX', 'utf8');
    const tamperedIv = Buffer.from(iv.map((b, i) => b ^ plain[i]! ^ forged[i]!)).toString('base64');
    // Fresh: decrypts, padding and all, to the forged openId — the reason the router compares openId to the session.
    expect(decryptMiniProgramData({ ...sealed(NOW / 1000), iv: tamperedIv }).openId).toBe('XXXXX0egBJY1zhBYw2KhdUfwVJJE');
    // Stale: the timestamp sits in a later block, so the same trick cannot get it through.
    expect(decryptError(() => decryptMiniProgramData({ ...sealed(NOW / 1000 - 3600), iv: tamperedIv })).code).toBe('decrypt_error');
  });
});

describe('checkRawDataSignature', () => {
  test("accepts WeChat's published rawData / session_key / signature example", () => {
    expect(checkRawDataSignature(SIGNATURE_DEMO.rawData, SIGNATURE_DEMO.sessionKey, SIGNATURE_DEMO.signature)).toBe(true);
  });

  test('refuses edited rawData, another session key, or a different signature', () => {
    expect(checkRawDataSignature(SIGNATURE_DEMO.rawData.replace('Band', 'Bend'), SIGNATURE_DEMO.sessionKey, SIGNATURE_DEMO.signature)).toBe(false);
    expect(checkRawDataSignature(SIGNATURE_DEMO.rawData, DEMO.sessionKey, SIGNATURE_DEMO.signature)).toBe(false);
    expect(checkRawDataSignature(SIGNATURE_DEMO.rawData, SIGNATURE_DEMO.sessionKey, '0'.repeat(40))).toBe(false);
  });

  test.each(['', 'abc', '75e81ceda165f4ffa64f4068af58c64b8f54b88', 'z'.repeat(40), `${SIGNATURE_DEMO.signature}00`])(
    'a malformed signature %p is false, never an exception',
    (signature) => {
      expect(checkRawDataSignature(SIGNATURE_DEMO.rawData, SIGNATURE_DEMO.sessionKey, signature)).toBe(false);
    },
  );

  test('property: sha1(rawData + key) verifies, and any other rawData does not', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.base64String({ minLength: 24, maxLength: 24 }), (raw, other, key) => {
        const signature = createHash('sha1').update(raw + key, 'utf8').digest('hex');
        expect(checkRawDataSignature(raw, key, signature)).toBe(true);
        if (other !== raw) expect(checkRawDataSignature(other, key, signature)).toBe(false);
      }),
    );
  });
});
