import { X509Certificate } from 'node:crypto';
import { createSimMerchantV3, createSimulator } from '../../lib/simulator';
import { APPID, MCHID, decrypt, jsapiOrder, sign, startV3Sim, verifySigned, type V3Sim } from './pay-v3-client';

const NOTIFY = 'http://127.0.0.1:9/wxpay/v3/jsapi/callback';

describe('simulator v3 pay host: requests and signed answers', () => {
  let h: V3Sim;
  beforeEach(async () => {
    h = await startV3Sim();
  });
  afterEach(() => h.close());

  const prepay = (no: string, opts = {}) => h.call('POST', '/v3/pay/transactions/jsapi', jsapiOrder(no, NOTIFY, h.sim), opts);

  it('answers a signed JSAPI prepay with a prepay_id, signed under the public key id, with a Request-ID', async () => {
    const res = await prepay('order000001');
    expect(res.status).toBe(200);
    expect(res.json.prepay_id).toMatch(/^wx\d{14}[a-z0-9]{20}$/);
    expect(res.headers['wechatpay-serial']).toBe(h.sim.payV3.publicKeyId);
    expect(h.sim.payV3.publicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
    expect(res.headers['request-id']).toBeTruthy();
    expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
    // The signature covers the body: one changed byte and it no longer verifies.
    expect(verifySigned(h.sim, res.headers, Buffer.from(res.text.replace('wx', 'wy')))).toBe(false);
  });

  it('accepts the Authorization fields in any order', async () => {
    const body = JSON.stringify(jsapiOrder('order000002', NOTIFY, h.sim));
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = sign(`POST\n/v3/pay/transactions/jsapi\n${ts}\nabc123\n${body}\n`, h.merchant.privateKey);
    const auth = `WECHATPAY2-SHA256-RSA2048 serial_no="${h.merchant.serialNo}", timestamp="${ts}", signature="${signature}", nonce_str="abc123", mchid="${MCHID}"`;
    const res = await h.call('POST', '/v3/pay/transactions/jsapi', undefined, { rawBody: body, headers: { authorization: auth } });
    expect(res.status).toBe(200);
    expect(res.json.prepay_id).toBeDefined();
  });

  it('a bad request signature is 401 SIGN_ERROR (signed too)', async () => {
    const res = await prepay('order000003', { signOver: 'something else' });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'SIGN_ERROR' });
    expect(typeof res.json.message).toBe('string');
    expect(res.headers['request-id']).toBeTruthy();
    expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
    expect(h.sim.payV3.orders).toHaveLength(0);
  });

  it('a request signed by another key, a wrong serial_no or a stale timestamp is SIGN_ERROR', async () => {
    const other = createSimMerchantV3();
    const foreign = await prepay('order000004', { merchant: { mchid: MCHID, serialNo: h.merchant.serialNo, privateKey: other.privateKey } });
    expect([foreign.status, foreign.json.code]).toEqual([401, 'SIGN_ERROR']);
    const serial = await prepay('order000004', { merchant: { ...h.merchant, serialNo: other.serialNo } });
    expect([serial.status, serial.json.code]).toEqual([401, 'SIGN_ERROR']);
    const stale = await prepay('order000004', { skewSeconds: -301 });
    expect([stale.status, stale.json.code]).toEqual([401, 'SIGN_ERROR']);
    const future = await prepay('order000004', { skewSeconds: 301 });
    expect([future.status, future.json.code]).toEqual([401, 'SIGN_ERROR']);
    expect((await prepay('order000004', { skewSeconds: -200 })).status).toBe(200);
  });

  it('no Authorization, or another scheme, is 401 SIGN_ERROR; an unknown mchid is MCH_NOT_EXISTS', async () => {
    expect((await prepay('order000005', { omit: ['authorization'] })).json.code).toBe('SIGN_ERROR');
    const basic = await prepay('order000005', { headers: { authorization: 'Basic eDp5' } });
    expect([basic.status, basic.json.code]).toEqual([401, 'SIGN_ERROR']);
    const unknown = await prepay('order000005', { merchant: { ...h.merchant, mchid: '1234567' } });
    expect([unknown.status, unknown.json.code]).toEqual([400, 'MCH_NOT_EXISTS']);
  });

  it('missing User-Agent or Accept is 400 INVALID_REQUEST "Http头缺少Accept或User-Agent"', async () => {
    for (const omit of ['user-agent', 'accept'] as const) {
      const res = await prepay('order000006', { omit: [omit] });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ code: 'INVALID_REQUEST', message: 'Http头缺少Accept或User-Agent' });
    }
  });

  it('a JSON null is 400 PARAM_ERROR naming the field; so are a missing openid and a bad amount', async () => {
    const withNull = { ...jsapiOrder('order000007', NOTIFY, h.sim), attach: null };
    const res = await h.call('POST', '/v3/pay/transactions/jsapi', withNull);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'PARAM_ERROR', detail: { field: '/attach', location: 'body' } });
    const noOpenid = await h.call('POST', '/v3/pay/transactions/jsapi', { ...jsapiOrder('order000007', NOTIFY, h.sim), payer: {} });
    expect([noOpenid.status, noOpenid.json.code]).toEqual([400, 'PARAM_ERROR']);
    for (const total of [0, 1.5, '100']) {
      const bad = await h.call('POST', '/v3/pay/transactions/jsapi', { ...jsapiOrder('order000007', NOTIFY, h.sim), amount: { total } });
      expect([bad.status, bad.json.code]).toEqual([400, 'PARAM_ERROR']);
    }
    const query = await h.call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('order000007', `${NOTIFY}?x=1`, h.sim));
    expect([query.status, query.json.code]).toEqual([400, 'PARAM_ERROR']);
  });

  it('another appid than the merchant’s is APPID_MCHID_NOT_MATCH; a body mchid not the caller’s is PARAM_ERROR', async () => {
    const appid = await h.call('POST', '/v3/pay/transactions/jsapi', { ...jsapiOrder('order000008', NOTIFY, h.sim), appid: 'wxother0000000001' });
    expect([appid.status, appid.json.code]).toEqual([400, 'APPID_MCHID_NOT_MATCH']);
    const mchid = await h.call('POST', '/v3/pay/transactions/jsapi', { ...jsapiOrder('order000008', NOTIFY, h.sim), mchid: '1900000999' });
    expect([mchid.status, mchid.json.code]).toEqual([400, 'PARAM_ERROR']);
  });

  it('an unknown v3 path is a signed JSON 404', async () => {
    const res = await h.call('GET', '/v3/nothing/here');
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('NOT_FOUND');
    expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
  });

  it('/v3/certificates is 404 RESOURCE_NOT_EXISTS for a public-key merchant', async () => {
    const res = await h.call('GET', '/v3/certificates');
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('RESOURCE_NOT_EXISTS');
    expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
  });

  describe('faults', () => {
    it('probe: the answer carries a WECHATPAY/SIGNTEST/ signature that does not verify; the next is real', async () => {
      h.sim.payV3.faults.inject('/v3/pay/transactions/jsapi', { probe: true });
      const probed = await prepay('order000010');
      expect(probed.status).toBe(200);
      expect(String(probed.headers['wechatpay-signature'])).toMatch(/^WECHATPAY\/SIGNTEST\//);
      expect(verifySigned(h.sim, probed.headers, probed.raw)).toBe(false);
      const real = await prepay('order000010');
      expect(verifySigned(h.sim, real.headers, real.raw)).toBe(true);
      // The request was processed both times: the same order answers the same prepay_id.
      expect(real.json.prepay_id).toBe(probed.json.prepay_id);
    });

    it('staleSeconds moves Wechatpay-Timestamp (signed over the moved value)', async () => {
      h.sim.payV3.faults.inject('/v3/pay/transactions/jsapi', { staleSeconds: 600 });
      const res = await prepay('order000011');
      const age = Date.now() / 1000 - Number(res.headers['wechatpay-timestamp']);
      expect(age).toBeGreaterThanOrEqual(599);
      expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
    });

    it('foreignKey and an unknown serial do not verify', async () => {
      h.sim.payV3.faults.inject('/v3/pay/transactions/jsapi', { foreignKey: true });
      h.sim.payV3.faults.inject('/v3/pay/transactions/jsapi', { serial: 'PUB_KEY_ID_0000000000000000000000000000' });
      const foreign = await prepay('order000012');
      expect(foreign.headers['wechatpay-serial']).toBe(h.sim.payV3.publicKeyId);
      expect(verifySigned(h.sim, foreign.headers, foreign.raw)).toBe(false);
      const unknown = await prepay('order000012');
      expect(verifySigned(h.sim, unknown.headers, unknown.raw)).toBe(false);
    });

    it('status: WeChat’s JSON error (SYSTEM_ERROR for 5xx), signed, and the request is not processed', async () => {
      h.sim.payV3.faults.inject('/v3/pay/transactions/jsapi', { status: 500 });
      h.sim.payV3.faults.inject('/v3/pay/transactions/jsapi', { status: 403, code: 'FREQUENCY_LIMITED', message: '频率超限' });
      const five = await prepay('order000013');
      expect([five.status, five.json.code]).toEqual([500, 'SYSTEM_ERROR']);
      expect(verifySigned(h.sim, five.headers, five.raw)).toBe(true);
      expect(h.sim.payV3.orders).toHaveLength(0);
      expect((await prepay('order000013')).json).toEqual({ code: 'FREQUENCY_LIMITED', message: '频率超限' });
      expect(h.sim.payV3.faults.pending()).toBe(0);
      expect((await prepay('order000013')).status).toBe(200);
    });

    it('refuses a spec without an effect', () => {
      expect(() => h.sim.payV3.faults.inject('/v3/pay/transactions/jsapi', {})).toThrow(/needs one of/);
      expect(() => h.sim.payV3.faults.inject('notify', { status: 500 })).toThrow(/answers/);
    });
  });

  it('the request log holds method and path only, never the Authorization or body', async () => {
    await prepay('order000014');
    const entry = h.sim.log.find((e) => e.path === '/v3/pay/transactions/jsapi')!;
    expect(entry).toMatchObject({ method: 'POST', path: '/v3/pay/transactions/jsapi' });
    expect(JSON.stringify(h.sim.log)).not.toContain('WECHATPAY2');
    expect(JSON.stringify(h.sim.log)).not.toContain('Demo T-shirt');
  });
});

describe('simulator v3 pay host: certificate and switch modes', () => {
  it('certificate mode: answers carry the platform certificate serial; /v3/certificates lists it, GCM-encrypted with the APIv3 key', async () => {
    const h = await startV3Sim({ mode: 'certificate' });
    try {
      const [serial] = Object.keys(h.sim.payV3.platformCertificates);
      expect(serial).toMatch(/^[0-9A-F]{40}$/);
      const res = await h.call('GET', '/v3/certificates');
      expect(res.status).toBe(200);
      expect(res.headers['wechatpay-serial']).toBe(serial);
      expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
      const [entry] = res.json.data as Array<{ serial_no: string; encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string; algorithm: string } }>;
      expect(entry!.serial_no).toBe(serial);
      expect(entry!.encrypt_certificate.algorithm).toBe('AEAD_AES_256_GCM');
      const pem = decrypt(entry!.encrypt_certificate, h.keys.apiV3Key);
      expect(new X509Certificate(pem).serialNumber).toBe(serial);
    } finally {
      await h.close();
    }
  });

  it('switch mode: answers come under both serials, each verifying with its own key', async () => {
    const h = await startV3Sim({ mode: 'switch' });
    try {
      const serials = new Set<string>();
      for (let i = 0; i < 40 && serials.size < 2; i++) {
        const res = await h.call('GET', '/v3/certificates');
        expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
        serials.add(String(res.headers['wechatpay-serial']));
      }
      expect(serials).toEqual(new Set([h.sim.payV3.publicKeyId, ...Object.keys(h.sim.payV3.platformCertificates)]));
    } finally {
      await h.close();
    }
  });
});

describe('simulator v3 merchant options', () => {
  const base = { apps: [{ appid: APPID, secret: 's', type: 'mp' as const }] };
  const keys = createSimMerchantV3();

  it('createSimMerchantV3 makes a key pair, a 40-hex serial and a 32-character APIv3 key', () => {
    expect(keys.serialNo).toMatch(/^[0-7][0-9A-F]{39}$/);
    expect(keys.apiV3Key).toHaveLength(32);
    expect(keys.privateKey).toContain('BEGIN PRIVATE KEY');
    expect(keys.v3).toEqual({ apiV3Key: keys.apiV3Key, serialNo: keys.serialNo, merchantPublicKey: keys.publicKey });
  });

  it.each([
    ['apiV3Key', { apiV3Key: 'short' }],
    ['serialNo', { serialNo: 'not-hex' }],
    ['merchantPublicKey', { merchantPublicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }],
    ['mode', { mode: 'both' }],
  ])('a bad v3.%s is a config_error naming the field, never the value', (field, change) => {
    const v3 = { ...keys.v3, ...change } as typeof keys.v3;
    let error: unknown;
    try {
      createSimulator({ ...base, merchants: [{ mchid: MCHID, key: 'k', v3 }] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'config_error', field: `simulator.merchants.0.v3.${field}` });
    expect(String((error as Error).message)).not.toContain(keys.apiV3Key);
  });
});
