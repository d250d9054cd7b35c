import { constants, createHash, privateDecrypt } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { verifyPayV3 } from '../../../lib/pay/v3/crypto';
import { createPayV3Api, type PayV3Api } from '../../../lib/pay/v3/pay';
import { startFakePay, type FakePay } from './fake-pay';
import { failure, v3Ctx, v3Options, type KeyMode } from './harness';
import { APPID, MCHID, MERCHANT_PUB, PLATFORM_KEY, PLATFORM_SERIAL, PUBLIC_KEY_ID, WECHATPAY_KEY } from './keys';

let pay: FakePay;
beforeAll(async () => {
  pay = await startFakePay();
});
afterAll(() => pay.close());
beforeEach(() => {
  pay.received.length = 0;
});

const MINI = 'wxmini00000000001';
const api = (mode: KeyMode = 'publicKey', baseUrl: string | null = 'https://shop.example/app', now?: () => number): PayV3Api =>
  createPayV3Api(v3Ctx({ payUrl: pay.url, ...(now ? { now } : {}) }), { appid: APPID, mchid: MCHID, v3: { ...v3Options(mode), appids: [MINI] } }, baseUrl ?? undefined);
const sent = (i = 0) => JSON.parse(pay.received[i]!.body) as Record<string, unknown>;

describe('prepay', () => {
  test('JSAPI: the documented body, default notify URL under baseUrl + mountPath, prepayId back', async () => {
    pay.answer({ body: { prepay_id: 'wx201410272009395522657a690389285100' } });
    const r = await api().prepay({ tradeType: 'JSAPI', description: 'Tea', outTradeNo: 'ORDER000001', total: 100, openid: 'oUser1', attach: 'a' });
    expect(r).toEqual({ prepayId: 'wx201410272009395522657a690389285100' });
    expect(pay.received[0]!.url).toBe('/v3/pay/transactions/jsapi');
    expect(sent()).toEqual({
      appid: APPID,
      mchid: MCHID,
      description: 'Tea',
      out_trade_no: 'ORDER000001',
      attach: 'a',
      notify_url: 'https://shop.example/app/wxpay/v3/pay/callback',
      amount: { total: 100, currency: 'CNY' },
      payer: { openid: 'oUser1' },
    });
  });

  test('a mini program pays with JSAPI under its own appid', async () => {
    pay.answer({ body: { prepay_id: 'wx2' } });
    await api().prepay({ tradeType: 'JSAPI', description: 'Tea', outTradeNo: 'ORDER000002', total: 1, openid: 'oMini', appid: MINI, type: 'vip' });
    expect(sent()).toMatchObject({ appid: MINI, notify_url: 'https://shop.example/app/wxpay/v3/vip/callback' });
  });

  test('an appid that is not ours is an args_error before any request', async () => {
    expect((await failure(() => api().prepay({ tradeType: 'JSAPI', description: 'x', outTradeNo: 'ORDER000003', total: 1, openid: 'o', appid: 'wxother0000000001' }))).code).toBe('args_error');
    expect(pay.received).toHaveLength(0);
  });

  test('NATIVE → codeUrl; H5 → h5Url with scene_info; APP → prepayId', async () => {
    pay.answer({ body: { code_url: 'weixin://wxpay/bizpayurl?pr=abc' } });
    expect(await api().prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: 'ORDER000004', total: 1 })).toEqual({ codeUrl: 'weixin://wxpay/bizpayurl?pr=abc' });
    expect(pay.received[0]!.url).toBe('/v3/pay/transactions/native');
    expect(sent(0).payer).toBeUndefined();
    pay.answer({ body: { h5_url: 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1' } });
    expect((await api().prepay({ tradeType: 'H5', description: 'x', outTradeNo: 'ORDER000005', total: 1, payerClientIp: '203.0.113.9' })).h5Url).toContain('checkmweb');
    expect(sent(1).scene_info).toEqual({ payer_client_ip: '203.0.113.9', h5_info: { type: 'Wap' } });
    pay.answer({ body: { prepay_id: 'wx3' } });
    expect(await api().prepay({ tradeType: 'APP', description: 'x', outTradeNo: 'ORDER000006', total: 1 })).toEqual({ prepayId: 'wx3' });
  });

  test('timeExpire as a Date becomes RFC 3339 at +08:00', async () => {
    pay.answer({ body: { code_url: 'weixin://wxpay/bizpayurl?pr=x' } });
    await api().prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: 'ORDER000007', total: 1, timeExpire: new Date('2025-06-08T02:34:56Z') });
    expect(sent().time_expire).toBe('2025-06-08T10:34:56+08:00');
  });

  test.each([
    ['no openid for JSAPI', { tradeType: 'JSAPI' }],
    ['no IP for H5', { tradeType: 'H5' }],
    ['a zero amount', { tradeType: 'NATIVE', total: 0 }],
    ['a fractional amount', { tradeType: 'NATIVE', total: 1.5 }],
    ['a bad order number', { tradeType: 'NATIVE', outTradeNo: 'a b' }],
    ['the refund type', { tradeType: 'NATIVE', type: 'refund' }],
    ['an unknown trade type', { tradeType: 'MWEB' }],
    ['a notify URL with a query', { tradeType: 'NATIVE', notifyUrl: 'https://x.example/n?a=1' }],
  ])('%s is an args_error, nothing sent', async (_name, change) => {
    const input = { description: 'x', outTradeNo: 'ORDER000008', total: 1, ...change } as never;
    expect((await failure(() => api().prepay(input))).code).toBe('args_error');
    expect(pay.received).toHaveLength(0);
  });

  test('without baseUrl or pay.v3.notifyUrl: a config_error naming pay.v3.notifyUrl', async () => {
    const error = await failure(() => api('publicKey', null).prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: 'ORDER000009', total: 1 }));
    expect(error.code).toBe('config_error');
    expect(error.field).toBe('pay.v3.notifyUrl');
  });

  test('a JSAPI answer without prepay_id is a pay_error', async () => {
    pay.answer({ body: {} });
    expect((await failure(api().prepay({ tradeType: 'JSAPI', description: 'x', outTradeNo: 'ORDER000010', total: 1, openid: 'o' }))).code).toBe('pay_error');
  });
});

describe('bridge parameters', () => {
  test('jsapiParams: RSA over appId\\ntimeStamp\\nnonceStr\\npackage\\n with the merchant key', () => {
    const p = api('publicKey', null, () => 1_700_000_000_123).jsapiParams('wx201410272009395522657a690389285100');
    expect(p).toMatchObject({ appId: APPID, timeStamp: '1700000000', package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA' });
    expect(p.nonceStr).toMatch(/^[0-9a-f]{32}$/);
    expect(verifyPayV3(`${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`, p.paySign, MERCHANT_PUB)).toBe(true);
  });

  test("jsapiParams for a mini program's prepay id signs its appid", () => {
    const p = api().jsapiParams('wx1', MINI);
    expect(p.appId).toBe(MINI);
    expect(verifyPayV3(`${MINI}\n${p.timeStamp}\n${p.nonceStr}\nprepay_id=wx1\n`, p.paySign, MERCHANT_PUB)).toBe(true);
  });

  test('appParams: RSA over appid\\ntimestamp\\nnoncestr\\nprepayid\\n', () => {
    const p = api().appParams('wx9');
    expect(p).toMatchObject({ appid: APPID, partnerid: MCHID, prepayid: 'wx9', package: 'Sign=WXPay' });
    expect(verifyPayV3(`${APPID}\n${p.timestamp}\n${p.noncestr}\nwx9\n`, p.sign, MERCHANT_PUB)).toBe(true);
  });
});

describe('orders and refunds', () => {
  test('orderQuery by out_trade_no and by transaction_id, mchid in the query', async () => {
    pay.answer({ body: { mchid: MCHID, appid: APPID, out_trade_no: 'ORDER000011', trade_state: 'SUCCESS' } });
    expect(await api().orderQuery({ outTradeNo: 'ORDER000011' })).toMatchObject({ trade_state: 'SUCCESS' });
    expect(pay.received[0]!.url).toBe(`/v3/pay/transactions/out-trade-no/ORDER000011?mchid=${MCHID}`);
    pay.answer({ body: { mchid: MCHID, transaction_id: '4200000001', trade_state: 'NOTPAY' } });
    await api().orderQuery({ transactionId: '4200000001' });
    expect(pay.received[1]!.url).toBe(`/v3/pay/transactions/id/4200000001?mchid=${MCHID}`);
  });

  test("a verified answer about another order or merchant is refused", async () => {
    pay.answer({ body: { mchid: MCHID, out_trade_no: 'ORDER999999', trade_state: 'SUCCESS' } });
    expect((await failure(api().orderQuery({ outTradeNo: 'ORDER000012' }))).code).toBe('sign_error');
    pay.answer({ body: { mchid: '1900000999', out_trade_no: 'ORDER000012', trade_state: 'SUCCESS' } });
    expect((await failure(api().orderQuery({ outTradeNo: 'ORDER000012' }))).code).toBe('sign_error');
  });

  test('orderQuery: ORDER_NOT_EXIST with the Request-ID', async () => {
    pay.answer({ status: 404, body: { code: 'ORDER_NOT_EXIST', message: '订单不存在' } });
    const error = await failure(api().orderQuery({ outTradeNo: 'ORDER000013' }));
    expect(error.code).toBe('ORDER_NOT_EXIST');
    expect(error.requestId).toBeTruthy();
  });

  test('closeOrder: POST {mchid}, a verified 204', async () => {
    pay.answer({ status: 204 });
    await expect(api().closeOrder('ORDER000014')).resolves.toBeUndefined();
    expect(pay.received[0]!.url).toBe('/v3/pay/transactions/out-trade-no/ORDER000014/close');
    expect(sent()).toEqual({ mchid: MCHID });
  });

  test('closeOrder of a paid order: ORDERPAID', async () => {
    pay.answer({ status: 400, body: { code: 'ORDERPAID', message: '订单已支付' } });
    expect((await failure(api().closeOrder('ORDER000015'))).code).toBe('ORDERPAID');
  });

  test('refund: the documented body and default refund notify URL', async () => {
    pay.answer({ body: { refund_id: '50000000382019052709732678859', out_refund_no: 'R1', status: 'PROCESSING' } });
    const r = await api().refund({ outTradeNo: 'ORDER000016', outRefundNo: 'R1', refund: 50, total: 100, reason: 'broken' });
    expect(r).toMatchObject({ status: 'PROCESSING' });
    expect(pay.received[0]!.url).toBe('/v3/refund/domestic/refunds');
    expect(sent()).toEqual({
      out_trade_no: 'ORDER000016',
      out_refund_no: 'R1',
      reason: 'broken',
      notify_url: 'https://shop.example/app/wxpay/v3/refund/callback',
      amount: { refund: 50, total: 100, currency: 'CNY' },
    });
  });

  test('refund more than the total is an args_error', async () => {
    expect((await failure(() => api().refund({ transactionId: '42', outRefundNo: 'R2', refund: 101, total: 100 }))).code).toBe('args_error');
  });

  test('refundQuery by out_refund_no', async () => {
    pay.answer({ body: { out_refund_no: 'R3', status: 'SUCCESS' } });
    expect(await api().refundQuery('R3')).toMatchObject({ status: 'SUCCESS' });
    expect(pay.received[0]!.url).toBe('/v3/refund/domestic/refunds/R3');
  });
});

describe('bills', () => {
  const csv = Buffer.from('交易时间,公众账号ID\n`2025-01-01 00:00:00,`wx1\n', 'utf8');
  const serveBill = (file: Buffer, hash = createHash('sha1').update(file).digest('hex')) =>
    pay.answer((req) =>
      req.url.startsWith('/v3/billdownload')
        ? { body: file, unsigned: true, headers: { 'Content-Type': 'application/octet-stream' } }
        : { body: { hash_type: 'SHA1', hash_value: hash, download_url: `${pay.url}/v3/billdownload/file?token=abc` } },
    );

  test('tradeBill: signed metadata, then a signed GET of download_url; the file as is', async () => {
    serveBill(csv);
    const file = await api().tradeBill({ billDate: '2025-01-01' });
    expect(file.equals(csv)).toBe(true);
    expect(pay.received[0]!.url).toBe('/v3/bill/tradebill?bill_date=2025-01-01&bill_type=ALL');
    expect(pay.received[1]!.url).toBe('/v3/billdownload/file?token=abc');
    expect(pay.received[1]!.authOk).toBe(true);
  });

  test('GZIP: gunzipped, and the original bill is what hash_value is of', async () => {
    const gz = gzipSync(csv);
    serveBill(gz, createHash('sha1').update(csv).digest('hex'));
    const file = await api().fundFlowBill({ billDate: '2025-01-01', tarType: 'GZIP' });
    expect(file.equals(csv)).toBe(true);
    expect(pay.received[0]!.url).toBe('/v3/bill/fundflowbill?bill_date=2025-01-01&account_type=BASIC&tar_type=GZIP');
  });

  test('a file whose SHA-1 is not the signed hash_value is refused', async () => {
    serveBill(csv, createHash('sha1').update('other').digest('hex'));
    expect((await failure(api().tradeBill({ billDate: '2025-01-01' }))).code).toBe('sign_error');
  });

  test('a download_url on another host is never fetched', async () => {
    pay.answer({ body: { hash_type: 'SHA1', hash_value: 'a'.repeat(40), download_url: 'https://evil.example/v3/billdownload/file?token=abc' } });
    expect((await failure(api().tradeBill({ billDate: '2025-01-01' }))).code).toBe('sign_error');
    expect(pay.received).toHaveLength(1);
  });

  test('GZIP: a hash of the compressed file does not pass', async () => {
    const gz = gzipSync(csv);
    serveBill(gz);
    expect((await failure(api().tradeBill({ billDate: '2025-01-01', tarType: 'GZIP' }))).code).toBe('sign_error');
  });

  test('a bad billDate is an args_error', async () => {
    expect((await failure(() => api().tradeBill({ billDate: '20250101' }))).code).toBe('args_error');
  });
});

describe('transfers', () => {
  const infos = [{ infoType: '活动名称', infoContent: '新会员有礼' }, { infoType: '奖励说明', infoContent: '注册会员抽奖一等奖' }];

  test('transfer: the documented body, userName RSA-OAEP under the public key, Wechatpay-Serial', async () => {
    pay.answer({ body: { out_bill_no: 'BILL0001', transfer_bill_no: '1330000071100999991182020050700019480001', state: 'WAIT_USER_CONFIRM', package_info: 'affffddafdfafddffda==' } });
    const r = await api().transfer({ outBillNo: 'BILL0001', openid: 'oUser1', amount: 300000, remark: '新会员开通有礼', sceneId: '1000', userName: '张三', sceneReportInfos: infos });
    expect(r.package_info).toBe('affffddafdfafddffda==');
    const req = pay.received[0]!;
    expect(req.url).toBe('/v3/fund-app/mch-transfer/transfer-bills');
    expect(req.headers['wechatpay-serial']).toBe(PUBLIC_KEY_ID);
    const body = sent();
    expect(body).toMatchObject({
      appid: APPID,
      out_bill_no: 'BILL0001',
      transfer_scene_id: '1000',
      openid: 'oUser1',
      transfer_amount: 300000,
      transfer_remark: '新会员开通有礼',
      notify_url: 'https://shop.example/app/wxpay/v3/transfer/callback',
      transfer_scene_report_infos: [
        { info_type: '活动名称', info_content: '新会员有礼' },
        { info_type: '奖励说明', info_content: '注册会员抽奖一等奖' },
      ],
    });
    expect(body.user_name).not.toContain('张三');
    const name = privateDecrypt({ key: WECHATPAY_KEY, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(String(body.user_name), 'base64'));
    expect(name.toString()).toBe('张三');
  });

  test('in certificate mode userName is encrypted under the certificate, its serial sent', async () => {
    pay.answer({ body: { out_bill_no: 'BILL0002', state: 'ACCEPTED' }, fault: 'platform' });
    await api('certificates').transfer({ outBillNo: 'BILL0002', openid: 'o', amount: 1, remark: 'r', sceneId: '1000', userName: '李四', sceneReportInfos: infos });
    expect(pay.received[0]!.headers['wechatpay-serial']).toBe(PLATFORM_SERIAL);
    const name = privateDecrypt({ key: PLATFORM_KEY, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(String(sent().user_name), 'base64'));
    expect(name.toString()).toBe('李四');
  });

  test('transferQuery and transferCancel', async () => {
    pay.answer({ body: { out_bill_no: 'BILL0003', state: 'WAIT_USER_CONFIRM' } });
    await api().transferQuery('BILL0003');
    expect(pay.received[0]!.url).toBe('/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/BILL0003');
    pay.answer({ body: { out_bill_no: 'BILL0003', state: 'CANCELING' } });
    expect(await api().transferCancel('BILL0003')).toMatchObject({ state: 'CANCELING' });
    expect(pay.received[1]!.method).toBe('POST');
    expect(pay.received[1]!.url).toBe('/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/BILL0003/cancel');
  });

  test('missing sceneReportInfos or a long remark is an args_error', async () => {
    const base = { outBillNo: 'BILL0004', openid: 'o', amount: 1, remark: 'r', sceneId: '1000', sceneReportInfos: infos };
    expect((await failure(() => api().transfer({ ...base, sceneReportInfos: [] }))).code).toBe('args_error');
    expect((await failure(() => api().transfer({ ...base, remark: 'x'.repeat(33) }))).code).toBe('args_error');
    expect(pay.received).toHaveLength(0);
  });
});

describe('notify URLs', () => {
  test('defaults under baseUrl + mountPath, no query string', () => {
    const a = api();
    expect(a.notifyUrlFor()).toBe('https://shop.example/app/wxpay/v3/pay/callback');
    expect(a.notifyUrlFor('refund')).toBe('https://shop.example/app/wxpay/v3/refund/callback');
  });

  test('pay.v3.notifyUrl with :type', () => {
    const a = createPayV3Api(v3Ctx(), { appid: APPID, mchid: MCHID, v3: { ...v3Options(), notifyUrl: 'https://n.example/hooks/:type' } });
    expect(a.notifyUrlFor('vip')).toBe('https://n.example/hooks/vip');
  });
});
