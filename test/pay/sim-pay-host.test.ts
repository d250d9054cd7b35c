import request from 'supertest';
import { createSimulator } from '../../lib/simulator';
import { signPay, verifyPay } from '../../lib/pay/sign';
import { buildPayXml, parsePayXml } from '../../lib/pay/xml';
import { APPID, KEY, MCHID } from './helpers';

// The simulator's pay host on its own (its Express app, no port): WeChat's rules and signatures.
let now = Date.UTC(2025, 0, 1, 4, 0, 0);
const sim = createSimulator({ apps: [{ appid: APPID, secret: 's', type: 'mp' }], merchants: [{ mchid: MCHID, key: KEY, appid: APPID }], now: () => now });
const host = sim.pay;

function signed(fields: Record<string, string>): string {
  return buildPayXml({ ...fields, sign: signPay(fields, KEY) });
}
async function call(path: string, fields: Record<string, string>): Promise<Record<string, string>> {
  const res = await request(sim.app).post(path).type('text/xml').send(signed({ appid: APPID, mch_id: MCHID, nonce_str: 'abc', ...fields }));
  return parsePayXml(res.text);
}
const order = (no: string, extra: Record<string, string> = {}) =>
  call('/pay/unifiedorder', { body: 'Tea', out_trade_no: no, total_fee: '100', spbill_create_ip: '127.0.0.1', notify_url: 'http://127.0.0.1:9/n', trade_type: 'JSAPI', openid: 'o1', ...extra });

describe('simulator pay host', () => {
  test('answers signed with the merchant key; times are Beijing time', async () => {
    const r = await order('S1');
    expect(r).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', appid: APPID, mch_id: MCHID, trade_type: 'JSAPI' });
    expect(verifyPay(r, KEY)).toBe(true);
    expect(r.prepay_id).toMatch(/^wx20250101120000/);
  });

  test('a bad signature, an unknown merchant or a foreign appid is return_code FAIL (unsigned)', async () => {
    const tampered = signed({ appid: APPID, mch_id: MCHID, nonce_str: 'n', out_trade_no: 'S1' }).replace('S1', 'S2');
    expect(parsePayXml((await request(sim.app).post('/pay/orderquery').type('text/xml').send(tampered)).text)).toEqual({ return_code: 'FAIL', return_msg: '签名错误' });
    expect((await call('/pay/orderquery', { mch_id: '1234567', out_trade_no: 'S1' })).return_code).toBe('FAIL');
    expect((await call('/pay/orderquery', { appid: 'wxother000000001', out_trade_no: 'S1' })).return_msg).toBe('appid和mch_id不匹配');
  });

  test('missing parameters and JSAPI without openid are refused as WeChat does', async () => {
    expect((await call('/pay/unifiedorder', { body: 'x' })).return_code).toBe('FAIL');
    expect(await order('S3', { openid: '' })).toMatchObject({ result_code: 'FAIL', err_code: 'PARAM_ERROR' });
  });

  test('a prepay_id expires after 2 hours: the cashier will not take it', async () => {
    const r = await order('S4');
    now += 2 * 3600_000 + 1;
    try {
      await expect(host.payOrder(r.prepay_id!)).rejects.toThrow();
      const page = await request(sim.app).get(host.cashierPath(r.prepay_id!));
      expect(page.text).toContain('EXPIRED');
    } finally {
      now -= 2 * 3600_000 + 1;
    }
  });

  test('the cashier refuses unknown orders and never redirects to a non-http URL', async () => {
    expect((await request(sim.app).get('/sim/pay/cashier?prepay_id=nope')).status).toBe(404);
    const r = await order('S5');
    const page = await request(sim.app).get(host.cashierPath(r.prepay_id!, 'javascript:alert(1)'));
    expect(page.text).not.toContain('javascript:');
  });

  test('reset() forgets orders', async () => {
    const r = await order('S6');
    expect(host.order(r.prepay_id!)).toBeDefined();
    sim.reset();
    expect(host.order(r.prepay_id!)).toBeUndefined();
  });
});
