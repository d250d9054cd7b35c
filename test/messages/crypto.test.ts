import fc from 'fast-check';
import { decryptMessage, encryptMessage, messageAesKey } from '../../lib/messages/crypto';
import { messageSignature, verifyMessageSignature } from '../../lib/messages/signature';
import { isWxAuthError } from '../../lib';
import { cdata, parseMessageXml, parseWithParser } from '../../lib/messages/xml';

// WeChat's published vectors for the message encryption (WXBizMsgCrypt):
// - the official sample (cryptoDemo, Java WXBizMsgCryptTest and Python Sample.py), also in
//   WxJava's and EasyWeChat's tests: EncodingAESKey "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
// - wechatpy's tests/test_crypto.py (the same algorithm, for a WeCom corp id), with a MsgSignature.
const OFFICIAL_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

describe("WeChat's published vectors", () => {
  test('official sample (Java): "我是中文abcd123" with random "aaaabbbbccccdddd" for wxb11529c136998cb6', () => {
    const key = messageAesKey(OFFICIAL_KEY);
    const encrypted = 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==';
    expect(encryptMessage(key, '我是中文abcd123', 'wxb11529c136998cb6', Buffer.from('aaaabbbbccccdddd'))).toBe(encrypted);
    expect(decryptMessage(key, encrypted)).toEqual({ message: '我是中文abcd123', appid: 'wxb11529c136998cb6' });
  });

  test('official sample (Python): the compatible-mode text message, msg_signature 5d197aaf…, decrypts to its plaintext', () => {
    const key = messageAesKey(OFFICIAL_KEY);
    const encrypt =
      'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';
    expect(messageSignature('spamtest', '1409735669', '1320562132', encrypt)).toBe('5d197aaffba7e9b25a30732f161a50dee96bd5fa');
    expect(verifyMessageSignature('5d197aaffba7e9b25a30732f161a50dee96bd5fa', 'spamtest', '1409735669', '1320562132', encrypt)).toBe(true);
    const { message, appid } = decryptMessage(key, encrypt);
    expect(appid).toBe('wx2c2769f8efd9abc2');
    expect(message).toContain('<Content><![CDATA[abcdteT]]></Content>');
    expect(message).toContain('<MsgId>6054768590064713728</MsgId>');
  });

  test("wechatpy: the encrypted reply and its MsgSignature 407518b7… (random '1234567890123456')", () => {
    const key = messageAesKey('kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR');
    const reply = '<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>';
    const encrypted = encryptMessage(key, reply, 'wx49f0ab532d5d035a', Buffer.from('1234567890123456'));
    expect(encrypted).toBe(
      '9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3',
    );
    expect(messageSignature('123456', '1411525903', '461056294', encrypted)).toBe('407518b7649e86ef23978113f92d27afa9296533');
  });

  test('wechatpy: the encrypted message with msg_signature 74d92dfe… decrypts to Content "test"', () => {
    const key = messageAesKey('kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR');
    const encrypt =
      'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=';
    expect(verifyMessageSignature('74d92dfeb87ba7c714f89d98870ae5eb62dff26d', '123456', '1411525903', '461056294', encrypt)).toBe(true);
    const { message, appid } = decryptMessage(key, encrypt);
    expect(appid).toBe('wx49f0ab532d5d035a');
    expect(message).toContain('<Content><![CDATA[test]]></Content>');
  });
});

describe('properties', () => {
  const aesKey = fc.stringMatching(/^[A-Za-z0-9]{43}$/);
  const appid = fc.stringMatching(/^wx[0-9a-f]{16}$/);

  test('decrypt(encrypt(m)) = m and the appid, for any message (UTF-8 included) and any key', () => {
    fc.assert(
      fc.property(aesKey, appid, fc.string({ unit: 'grapheme', maxLength: 300 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (k, id, message, random) => {
        const key = messageAesKey(k);
        expect(decryptMessage(key, encryptMessage(key, message, id, Buffer.from(random)))).toEqual({ message, appid: id });
      }),
    );
  });

  test('the ciphertext is whole 32-byte blocks (WeChat pads to 32, not 16)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (message) => {
        const key = messageAesKey(OFFICIAL_KEY);
        expect(Buffer.from(encryptMessage(key, message, 'wx0', Buffer.alloc(16)), 'base64').length % 32).toBe(0);
      }),
    );
  });

  test('another key never yields the message back: it fails, or decrypts to something else', () => {
    fc.assert(
      fc.property(aesKey, aesKey, fc.string({ minLength: 1, maxLength: 100 }), (k1, k2, message) => {
        fc.pre(k1 !== k2);
        const encrypted = encryptMessage(messageAesKey(k1), message, 'wxb11529c136998cb6', Buffer.alloc(16, 7));
        try {
          expect(decryptMessage(messageAesKey(k2), encrypted)).not.toEqual({ message, appid: 'wxb11529c136998cb6' });
        } catch (error) {
          expect(isWxAuthError(error) && error.code).toBe('decrypt_error');
        }
      }),
    );
  });

  test('a signature verifies exactly for its own parts (order of the parts does not matter)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 3, maxLength: 4 }), fc.string({ minLength: 1, maxLength: 5 }), (parts, extra) => {
        const signature = messageSignature(...parts);
        expect(verifyMessageSignature(signature, ...[...parts].reverse())).toBe(true);
        expect(verifyMessageSignature(signature, ...parts.slice(0, -1), parts[parts.length - 1] + extra)).toBe(false);
        expect(verifyMessageSignature(signature.toUpperCase(), ...parts)).toBe(true);
      }),
    );
  });
});

describe('refused input', () => {
  const key = messageAesKey(OFFICIAL_KEY);
  test.each([
    ['not base64', '!!!!'],
    ['not whole AES blocks', Buffer.alloc(20).toString('base64')],
    ['bad padding', Buffer.alloc(32).toString('base64')],
    ['empty', ''],
  ])('%s → decrypt_error', (_label, text) => {
    expect(() => decryptMessage(key, text)).toThrow(expect.objectContaining({ code: 'decrypt_error' }));
  });

  test('an EncodingAESKey that is not 43 characters is a config_error naming the field', () => {
    expect(() => messageAesKey('short')).toThrow(expect.objectContaining({ code: 'config_error', field: 'mp.messages.encodingAESKey' }));
  });
});

describe('the flat-message reader', () => {
  // Flat messages are read in one pass (lib/messages/xml.ts readFlat); the result must be what
  // the full parser reads from the same text.
  const field = fc.stringMatching(/^[A-Z][A-Za-z0-9_]{0,12}$/);
  const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => [...s].every((c) => c.codePointAt(0)! >= 0x20 && c.codePointAt(0)! !== 0xfffe && c.codePointAt(0)! !== 0xffff));
  test('agrees with the parser on any flat message, CDATA or not', () => {
    fc.assert(
      fc.property(fc.dictionary(field, fc.tuple(text, fc.boolean()), { minKeys: 1, maxKeys: 8 }), fc.constantFrom('', '\n', '\n  '), (fields, gap) => {
        const body = Object.entries(fields)
          .map(([k, [v, bare]]) => (bare && !/[<&>]/.test(v) ? `<${k}>${v}</${k}>` : `<${k}>${cdata(v)}</${k}>`))
          .join(gap);
        const xml = `<xml>${gap}${body}${gap}</xml>`;
        expect(parseMessageXml(xml)).toEqual(parseWithParser(xml));
      }),
    );
  });
});
