import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createSimulator, type SimServer, type Simulator } from '../../lib/simulator';
import { signPay, verifyPay } from '../../lib/pay/sign';
import { buildPayXml, parsePayXml } from '../../lib/pay/xml';

/**
 * WeChat Pay v2's wire format, as merchants recorded WeChat's answers: `text/plain` XML, strings in
 * CDATA but some amounts bare (`<total_fee>1</total_fee>`), which ones depending on the message;
 * `device_info` repeated from the unified order; an unknown path a 404 HTML page from nginx.
 */
const APPID = 'wxmp000000000001';
const MCHID = '1900000109';
const KEY = 'k3y0123456789abcdefghijklmnopqrs';

let sim: Simulator;
let server: SimServer;
let merchant: http.Server;
let notifyUrl: string;
const notifies: string[] = [];

beforeAll(async () => {
  // The merchant's notify URL: records each body, answers SUCCESS.
  merchant = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      notifies.push(body);
      res.end('<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>');
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/notify`;
  sim = createSimulator({ apps: [{ appid: APPID, secret: 'mp-secret', type: 'mp' }], merchants: [{ mchid: MCHID, key: KEY, appid: APPID }] });
  server = await sim.listen();
});
afterAll(async () => {
  await sim.pay.settled();
  await server.close();
  merchant.closeAllConnections();
  await new Promise<void>((resolve) => merchant.close(() => resolve()));
});

const post = (path: string, fields: Record<string, string>) => {
  const all = { appid: APPID, mch_id: MCHID, nonce_str: 'n0nce', ...fields };
  return request(server.url).post(path).type('text/xml').send(buildPayXml({ ...all, sign: signPay(all, KEY) }));
};
const order = (no: string, extra: Record<string, string> = {}) =>
  post('/pay/unifiedorder', { body: 'Tea', out_trade_no: no, total_fee: '100', spbill_create_ip: '127.0.0.1', notify_url: notifyUrl, trade_type: 'JSAPI', openid: 'o1', ...extra });
/** The answer's fields, checked to be signed with the merchant key. */
const fieldsOf = (xml: string) => {
  const fields = parsePayXml(xml);
  expect(verifyPay(fields, KEY)).toBe(true);
  return fields;
};
const bare = (xml: string) => [...xml.matchAll(/<(\w+)>(?!<!\[CDATA\[)([^<]*)<\/\1>/g)].map((m) => m[1]).sort();

describe('WeChat Pay v2 host: the wire format', () => {
  test('answers are text/plain, every unified-order value in CDATA, device_info repeated', async () => {
    const res = await order('W1', { device_info: 'WEB' });
    expect(res.headers['content-type']).toBe('text/plain');
    expect(bare(res.text)).toEqual([]);
    expect(res.text).toContain('<device_info><![CDATA[WEB]]></device_info>');
    expect(fieldsOf(res.text)).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', device_info: 'WEB', trade_type: 'JSAPI' });
    // Without one in the request, none in the answer.
    expect(fieldsOf((await order('W1b')).text)).not.toHaveProperty('device_info');
  });

  test('a paid order query writes total_fee and cash_fee bare, its strings in CDATA, and repeats device_info', async () => {
    const prepayId = fieldsOf((await order('W2', { device_info: 'POS-7' })).text).prepay_id!;
    await sim.pay.payOrder(prepayId);
    const res = await post('/pay/orderquery', { out_trade_no: 'W2' });
    expect(res.headers['content-type']).toBe('text/plain');
    expect(bare(res.text)).toEqual(['cash_fee', 'total_fee']);
    expect(res.text).toContain('<total_fee>100</total_fee>');
    expect(res.text).toContain('<trade_state><![CDATA[SUCCESS]]></trade_state>');
    expect(fieldsOf(res.text)).toMatchObject({ trade_state: 'SUCCESS', total_fee: '100', cash_fee: '100', device_info: 'POS-7' });
  });

  test('the payment notify writes total_fee bare but cash_fee in CDATA (as WeChat’s do), with device_info', async () => {
    const prepayId = fieldsOf((await order('W3', { device_info: 'POS-8' })).text).prepay_id!;
    notifies.length = 0;
    await sim.pay.payOrder(prepayId);
    const xml = notifies[0]!;
    expect(bare(xml)).toEqual(['total_fee']);
    expect(xml).toContain('<total_fee>100</total_fee>');
    expect(xml).toContain('<cash_fee><![CDATA[100]]></cash_fee>');
    // Our strict notify parsing (the shape check included) takes it, and the signature holds.
    const fields = parsePayXml(xml, { maxFields: 64 });
    expect(verifyPay(fields, KEY)).toBe(true);
    expect(fields).toMatchObject({ total_fee: '100', cash_fee: '100', device_info: 'POS-8', out_trade_no: 'W3' });
  });

  test('a refund writes its amounts bare; a refund query refund_count and the refund fees, total_fee and cash_fee in CDATA', async () => {
    const prepayId = fieldsOf((await order('W4')).text).prepay_id!;
    await sim.pay.payOrder(prepayId);
    const refund = await post('/secapi/pay/refund', { out_trade_no: 'W4', out_refund_no: 'R4', total_fee: '100', refund_fee: '40' });
    expect(bare(refund.text)).toEqual(['cash_fee', 'refund_fee', 'total_fee']);
    expect(fieldsOf(refund.text)).toMatchObject({ result_code: 'SUCCESS', refund_fee: '40', total_fee: '100' });
    const query = await post('/pay/refundquery', { out_trade_no: 'W4' });
    expect(bare(query.text)).toEqual(['refund_count', 'refund_fee', 'refund_fee_0']);
    expect(query.text).toContain('<total_fee><![CDATA[100]]></total_fee>');
    expect(fieldsOf(query.text)).toMatchObject({ refund_count: '1', refund_fee_0: '40', total_fee: '100' });
  });

  test('refusals are text/plain XML too', async () => {
    const res = await request(server.url).post('/pay/orderquery').type('text/xml').send('<xml><mch_id>1</mch_id></xml>');
    expect(res.headers['content-type']).toBe('text/plain');
    expect(parsePayXml(res.text)).toEqual({ return_code: 'FAIL', return_msg: 'mch_id参数错误' });
  });

  test('an unknown path, or a GET of an API, is nginx’s 404 HTML page — not XML, not JSON', async () => {
    for (const res of [
      await post('/pay/nosuchapi', { out_trade_no: 'W5' }),
      await request(server.url).get('/pay/unifiedorder'),
      await request(server.url).post('/secapi/pay/nosuch').send('<xml></xml>'),
      await request(server.url).post('/mmpaymkttransfers/promotion/nosuch').send('<xml></xml>'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('text/html');
      expect(res.text).toContain('<title>404 Not Found</title>');
      expect(res.text).toContain('<center>nginx</center>');
      expect(res.text).not.toContain('errcode');
    }
  });
});
