import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WxAuthError, WxPayError } from '../../lib/errors';
import { createPay } from '../../lib/pay/pay';
import { signPay, verifyPay } from '../../lib/pay/sign';
import { buildPayXml } from '../../lib/pay/xml';
import { APPID, KEY, MCHID, PAY, startPaySim, type PaySim } from './helpers';

let sim: PaySim;
beforeAll(async () => {
  sim = await startPaySim([{ mchid: '1900000555', key: 'other-merchant-key-0123456789abc', appid: APPID }]);
});
afterAll(async () => {
  await sim.close();
});

const pay = (extra: Partial<Parameters<typeof createPay>[0]> = {}) =>
  createPay({ ...PAY, baseUrl: 'https://shop.example.com', endpoints: { pay: sim.url }, logger: { warn: () => undefined, error: () => undefined }, ...extra });
let n = 0;
const tradeNo = () => `C${Date.now()}${++n}`;
const openid = () => sim.sim.openidOf(APPID, 'alice');

async function rejection(p: Promise<unknown>): Promise<WxAuthError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(WxAuthError);
    return error as WxAuthError;
  }
  throw new Error('expected a rejection');
}

describe('prepay (unifiedorder) against the simulator', () => {
  test('JSAPI: resolves with prepayId and the verified raw fields', async () => {
    const r = await pay().prepay({ body: 'Tea', outTradeNo: tradeNo(), totalFee: 100, openid: openid() });
    expect(r.prepayId).toMatch(/^wx\d{14}/);
    expect(r.prepay_id).toBe(r.prepayId);
    expect(r.trade_type).toBe('JSAPI');
    expect(r.result_code).toBe('SUCCESS');
    const order = sim.host.order(r.prepayId)!;
    expect(order).toMatchObject({ state: 'NOTPAY', totalFee: 100, notifyUrl: 'https://shop.example.com/wxpay/pay/callback' });
  });

  test('NATIVE: codeUrl, product_id defaults to the order number; type goes into the notify URL', async () => {
    const no = tradeNo();
    const r = await pay().prepay({ body: 'Tea', outTradeNo: no, totalFee: 1, tradeType: 'NATIVE', type: 'vip' });
    expect(r.codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(sim.host.order(r.prepayId)!.notifyUrl).toBe('https://shop.example.com/wxpay/vip/callback');
  });

  test('notifyUrl option with :type, and extra raw fields pass through', async () => {
    const p = pay({ notifyUrl: 'https://api.example.com/hooks/wxpay/:type/callback' });
    const r = await p.prepay({ body: 'Tea', outTradeNo: tradeNo(), totalFee: 1, tradeType: 'NATIVE', type: 'book', attach: 'shelf-3' });
    const order = sim.host.order(r.prepayId)!;
    expect(order.notifyUrl).toBe('https://api.example.com/hooks/wxpay/book/callback');
    expect(order.attach).toBe('shelf-3');
  });

  test('HMAC-SHA256: request, response and pay parameters all signed with HMAC', async () => {
    const p = pay({ signType: 'HMAC-SHA256' });
    const r = await p.prepay({ body: 'Tea', outTradeNo: tradeNo(), totalFee: 1, openid: openid() });
    expect(sim.host.order(r.prepayId)!.signType).toBe('HMAC-SHA256');
    const params = p.jsapiParams(r.prepayId);
    expect(params.signType).toBe('HMAC-SHA256');
    const { paySign, ...signed } = params;
    expect(paySign).toHaveLength(64);
    expect(verifyPay({ ...signed, sign: paySign }, KEY, 'HMAC-SHA256')).toBe(true);
  });

  test('the same order again answers the same prepay_id; a changed amount is refused', async () => {
    const p = pay();
    const no = tradeNo();
    const a = await p.prepay({ body: 'Tea', outTradeNo: no, totalFee: 100, openid: openid() });
    const b = await p.prepay({ body: 'Tea', outTradeNo: no, totalFee: 100, openid: openid() });
    expect(b.prepayId).toBe(a.prepayId);
    const e = await rejection(p.prepay({ body: 'Tea', outTradeNo: no, totalFee: 1, openid: openid() }));
    expect(e).toBeInstanceOf(WxPayError);
    expect(e.code).toBe('INVALID_REQUEST');
    expect((e as WxPayError).response?.err_code).toBe('INVALID_REQUEST');
  });

  describe('no dangerous defaults: missing inputs are args_error before any request', () => {
    const base = { body: 'Tea', outTradeNo: 'A1', totalFee: 100, openid: 'o1' };
    test.each([
      ['totalFee', { ...base, totalFee: undefined }],
      ['totalFee', { ...base, totalFee: 0 }],
      ['totalFee', { ...base, totalFee: 1.5 }],
      ['outTradeNo', { ...base, outTradeNo: undefined }],
      ['outTradeNo', { ...base, outTradeNo: 'has space' }],
      ['body', { ...base, body: '' }],
      ['openid', { ...base, openid: undefined }],
      ['tradeType', { ...base, tradeType: 'CASH' }],
      ['type', { ...base, type: 'refund' }],
      ['type', { ...base, type: '../x' }],
    ])('%s', async (field, input) => {
      const before = sim.sim.calls('/pay/unifiedorder');
      const e = await rejection(pay().prepay(input as never));
      expect(e.code).toBe('args_error');
      expect(e.field).toBe(field);
      expect(sim.sim.calls('/pay/unifiedorder')).toBe(before);
    });

    test('no IP: neither spbillCreateIp nor pay.clientIp', async () => {
      const e = await rejection(pay({ clientIp: undefined }).prepay(base));
      expect(e.field).toBe('spbillCreateIp');
    });

    test('no notify URL: neither pay.notifyUrl nor baseUrl is a config_error', async () => {
      const e = await rejection(pay({ baseUrl: undefined }).prepay(base));
      expect(e.code).toBe('config_error');
      expect(e.field).toBe('pay.notifyUrl');
    });
  });
});

describe('pay parameters', () => {
  test('jsapiParams: WeixinJSBridge shape, signed over appId/timeStamp/nonceStr/package/signType', () => {
    const p = pay({ now: () => 1_700_000_000_123 });
    const params = p.jsapiParams('wx123');
    expect(params).toMatchObject({ appId: APPID, timeStamp: '1700000000', package: 'prepay_id=wx123', signType: 'MD5' });
    expect(params.nonceStr).toMatch(/^[0-9a-f]{32}$/);
    const { paySign, ...signed } = params;
    expect(paySign).toBe(signPay(signed, KEY, 'MD5'));
  });

  test('appParams: OpenSDK PayReq shape', () => {
    const params = pay({ now: () => 1_700_000_000_000 }).appParams('wx456');
    expect(params).toMatchObject({ appid: APPID, partnerid: MCHID, prepayid: 'wx456', package: 'Sign=WXPay', timestamp: '1700000000' });
    const { sign, ...signed } = params;
    expect(verifyPay({ ...signed, sign }, KEY)).toBe(true);
  });
});

describe('queries and closing', () => {
  test('orderQuery: NOTPAY, then SUCCESS with the transaction after the payer pays', async () => {
    const p = pay({ notifyUrl: 'http://127.0.0.1:9/wxpay/:type/callback' }); // nobody listens: the notify fails, the order is paid anyway
    const no = tradeNo();
    const { prepayId } = await p.prepay({ body: 'Tea', outTradeNo: no, totalFee: 300, openid: openid() });
    expect((await p.orderQuery({ outTradeNo: no })).tradeState).toBe('NOTPAY');
    sim.host.policy.repeats = 1;
    sim.host.policy.retries = 0;
    try {
      const { order, deliveries } = await sim.host.payOrder(prepayId);
      expect(deliveries.map((d) => d.ok)).toEqual([false]);
      const q = await p.orderQuery({ outTradeNo: no });
      expect(q).toMatchObject({ tradeState: 'SUCCESS', transactionId: order.transactionId, totalFee: 300 });
      expect((await p.orderQuery({ transactionId: order.transactionId! })).out_trade_no).toBe(no);
      const e = await rejection(p.closeOrder(no));
      expect(e.code).toBe('ORDERPAID');
    } finally {
      sim.host.policy.repeats = 3;
      sim.host.policy.retries = 3;
    }
  });

  test('closeOrder: NOTPAY → CLOSED; paying it is then impossible', async () => {
    const p = pay();
    const no = tradeNo();
    const { prepayId } = await p.prepay({ body: 'Tea', outTradeNo: no, totalFee: 1, openid: openid() });
    await p.closeOrder(no);
    expect((await p.orderQuery({ outTradeNo: no })).tradeState).toBe('CLOSED');
    await expect(sim.host.payOrder(prepayId)).rejects.toThrow();
  });

  test('orderQuery of an unknown order: WxPayError ORDERNOTEXIST with the verified response', async () => {
    const e = (await rejection(pay().orderQuery({ outTradeNo: 'NOPE1' }))) as WxPayError;
    expect(e.code).toBe('ORDERNOTEXIST');
    expect(e.errcode).toBe('ORDERNOTEXIST');
    expect(e.response?.result_code).toBe('FAIL');
  });
});

describe('response checks', () => {
  test('return_code FAIL (the pay host refuses our signature): WxPayError with code = return_msg', async () => {
    const e = (await rejection(pay({ key: 'w'.repeat(32) }).orderQuery({ outTradeNo: 'X1' }))) as WxPayError;
    expect(e.code).toBe('签名错误');
    expect(e.response?.return_code).toBe('FAIL');
  });

  async function fakePayHost(body: (xml: string) => string): Promise<{ url: string; close(): void }> {
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => res.end(body(text)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  test('a response with a bad sign is a sign_error, whatever result_code says', async () => {
    const host = await fakePayHost(() =>
      buildPayXml({ return_code: 'SUCCESS', result_code: 'SUCCESS', appid: APPID, mch_id: MCHID, trade_state: 'SUCCESS', sign: 'F'.repeat(32) }),
    );
    try {
      const e = await rejection(pay({ endpoints: { pay: host.url } }).orderQuery({ outTradeNo: 'X1' }));
      expect(e.code).toBe('sign_error');
    } finally {
      host.close();
    }
  });

  test('an unsigned response is a sign_error (only the red packet API may omit sign)', async () => {
    const host = await fakePayHost(() => buildPayXml({ return_code: 'SUCCESS', result_code: 'SUCCESS', appid: APPID, mch_id: MCHID, trade_state: 'SUCCESS' }));
    try {
      expect((await rejection(pay({ endpoints: { pay: host.url } }).orderQuery({ outTradeNo: 'X1' }))).code).toBe('sign_error');
    } finally {
      host.close();
    }
  });

  test('a validly signed answer about another merchant is refused', async () => {
    const fields = { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: APPID, mch_id: '1900000555', trade_state: 'SUCCESS' };
    const host = await fakePayHost(() => buildPayXml({ ...fields, sign: signPay(fields, KEY) }));
    try {
      expect((await rejection(pay({ endpoints: { pay: host.url } }).orderQuery({ outTradeNo: 'X1' }))).code).toBe('sign_error');
    } finally {
      host.close();
    }
  });

  describe('sign_type of answers: only the configured algorithm', () => {
    const answer = { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: APPID, mch_id: MCHID, trade_state: 'SUCCESS', out_trade_no: 'X1' };
    async function query(signType: 'MD5' | 'HMAC-SHA256', xml: string): Promise<unknown> {
      const host = await fakePayHost(() => xml);
      try {
        return await pay({ signType, endpoints: { pay: host.url } }).orderQuery({ outTradeNo: 'X1' });
      } catch (error) {
        return error;
      } finally {
        host.close();
      }
    }
    const md5Named = { ...answer, sign_type: 'MD5' };
    const hmacNamed = { ...answer, sign_type: 'HMAC-SHA256' };

    test('an HMAC-SHA256 merchant takes HMAC-signed answers and refuses MD5-signed ones, with or without sign_type=MD5', async () => {
      for (const fields of [md5Named, answer]) {
        const e = await query('HMAC-SHA256', buildPayXml({ ...fields, sign: signPay(fields, KEY, 'MD5') }));
        expect(e).toBeInstanceOf(WxPayError);
        expect((e as WxPayError).code).toBe('sign_error');
      }
      for (const fields of [hmacNamed, answer]) {
        expect(await query('HMAC-SHA256', buildPayXml({ ...fields, sign: signPay(fields, KEY, 'HMAC-SHA256') }))).toMatchObject({ tradeState: 'SUCCESS' });
      }
    });

    test('an MD5 merchant takes MD5-signed answers and refuses an HMAC-SHA256-signed one that names its sign_type', async () => {
      const e = await query('MD5', buildPayXml({ ...hmacNamed, sign: signPay(hmacNamed, KEY, 'HMAC-SHA256') }));
      expect((e as WxPayError).code).toBe('sign_error');
      expect(await query('MD5', buildPayXml({ ...md5Named, sign: signPay(md5Named, KEY, 'MD5') }))).toMatchObject({ tradeState: 'SUCCESS' });
    });
  });

  test('HTML instead of XML is an xml_error; HTTP 500 is a network_error', async () => {
    const html = await fakePayHost(() => '<html><body>502 Bad Gateway</body></html>');
    try {
      expect((await rejection(pay({ endpoints: { pay: html.url } }).orderQuery({ outTradeNo: 'X1' }))).code).toBe('xml_error');
    } finally {
      html.close();
    }
    sim.sim.faults.inject('/pay/orderquery', { status: 500 });
    expect((await rejection(pay().orderQuery({ outTradeNo: 'X1' }))).code).toBe('network_error');
  });

  test('what we send is signed XML with a fresh 32-char nonce', async () => {
    const seen: string[] = [];
    const host = await fakePayHost((xml) => (seen.push(xml), '<xml><return_code>FAIL</return_code><return_msg>x</return_msg></xml>'));
    try {
      const p = pay({ endpoints: { pay: host.url } });
      await rejection(p.orderQuery({ outTradeNo: 'X1' }));
      await rejection(p.orderQuery({ outTradeNo: 'X1' }));
    } finally {
      host.close();
    }
    const { parsePayXml } = await import('../../lib/pay/xml');
    const [a, b] = seen.map((x) => parsePayXml(x));
    expect(a).toMatchObject({ appid: APPID, mch_id: MCHID, out_trade_no: 'X1' });
    expect(a!.nonce_str).toMatch(/^[0-9a-f]{32}$/);
    expect(a!.nonce_str).not.toBe(b!.nonce_str);
    expect(verifyPay(a!, KEY)).toBe(true);
  });
});
