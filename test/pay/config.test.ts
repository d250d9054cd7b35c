import { WxAuthError } from '../../lib/errors';
import { createPay } from '../../lib/pay/pay';
import { wxauth } from '../../lib';
import { makeTestCerts, type TestCerts } from './certs';
import { MCHID, PAY } from './helpers';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts(MCHID);
});
afterAll(() => certs.cleanup());

function configError(fn: () => unknown): WxAuthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WxAuthError);
    expect((error as WxAuthError).code).toBe('config_error');
    return error as WxAuthError;
  }
  throw new Error('expected a config_error');
}

describe('pay options are validated at construction', () => {
  test('pay.key must be 32 characters, and the message never shows it', () => {
    const e = configError(() => createPay({ ...PAY, key: 'short-secret-value' }));
    expect(e.field).toBe('pay.key');
    expect(e.message).toContain('32 characters');
    expect(e.message).not.toContain('short-secret-value');
  });

  test('pay.mchid must be digits', () => {
    expect(configError(() => createPay({ ...PAY, mchid: '19000x0109' })).message).toBe('"pay.mchid" must be a string of digits');
  });

  test('pay.appid must look like an AppID; missing fields are named', () => {
    expect(configError(() => createPay({ ...PAY, appid: 'not an appid' })).field).toBe('pay.appid');
    expect(configError(() => createPay({ mchid: MCHID, key: PAY.key } as never)).message).toBe('"pay.appid" is required');
  });

  test('an unknown option suggests the known one', () => {
    expect(configError(() => createPay({ ...PAY, mchId: '1' } as never)).message).toMatch(/did you mean "mchid"/);
  });

  test('signType, clientIp, notifyUrl and notify settings are checked', () => {
    expect(configError(() => createPay({ ...PAY, signType: 'SHA1' as never })).field).toBe('pay.signType');
    expect(configError(() => createPay({ ...PAY, clientIp: '300.1.1.1' })).field).toBe('pay.clientIp');
    expect(configError(() => createPay({ ...PAY, notifyUrl: 'wxpay/callback' })).field).toBe('pay.notifyUrl');
    expect(configError(() => createPay({ ...PAY, notify: { lockSeconds: -1 } })).field).toBe('pay.notify.lockSeconds');
    expect(createPay({ ...PAY, clientIp: '2001:db8::1' })).toBeDefined();
  });

  describe('pay.cert is loaded once, at start-up', () => {
    test('a p12 with the default passphrase (the mch_id) loads', () => {
      expect(createPay({ ...PAY, cert: { pfx: certs.clientPfx } })).toBeDefined();
    });

    test('PEM cert + key load', () => {
      expect(createPay({ ...PAY, cert: { cert: certs.client.cert, key: certs.client.key.toString() } })).toBeDefined();
    });

    test('a wrong passphrase is a config_error naming pay.cert, without the passphrase', () => {
      const e = configError(() => createPay({ ...PAY, cert: { pfx: certs.clientPfx, passphrase: 'guess-123' } }));
      expect(e.field).toBe('pay.cert');
      expect(e.message).toMatch(/passphrase/);
      expect(e.message).not.toContain('guess-123');
    });

    test('a file that is not a certificate is a config_error', () => {
      expect(configError(() => createPay({ ...PAY, cert: { pfx: Buffer.from('not a p12 file') } })).field).toBe('pay.cert');
      expect(configError(() => createPay({ ...PAY, cert: { cert: 'garbage', key: 'garbage' } })).field).toBe('pay.cert');
    });

    test('a key that does not belong to the certificate is a config_error', () => {
      const e = configError(() => createPay({ ...PAY, cert: { cert: certs.client.cert, key: certs.rogue.key } }));
      expect(e.field).toBe('pay.cert');
      expect(e.message).toMatch(/does not match/);
    });

    test('a cert object of neither shape is refused by the schema', () => {
      expect(configError(() => createPay({ ...PAY, cert: { pem: 'x' } as never })).field).toBe('pay.cert');
    });

    test('pay.ca must be PEM', () => {
      expect(configError(() => createPay({ ...PAY, ca: 'not pem' })).field).toBe('pay.ca');
    });
  });

  test('wxauth({ pay }) validates the same way', () => {
    expect(configError(() => wxauth({ pay: { ...PAY, key: 'x' } })).field).toBe('pay.key');
    expect(configError(() => wxauth({ pay: { ...PAY, cert: { pfx: certs.clientPfx, passphrase: 'nope' } } })).field).toBe('pay.cert');
  });

  test('router.pay is a config_error when pay is not configured', () => {
    const router = wxauth({ mp: { appid: 'wxmp000000000001', secret: 's' } });
    expect(configError(() => router.pay).field).toBe('pay');
  });
});
