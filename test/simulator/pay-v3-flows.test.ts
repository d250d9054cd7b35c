import { constants, createHash, publicEncrypt } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { APPID, MCHID, decrypt, jsapiOrder, startReceiver, startV3Sim, verifySigned, type V3Sim } from './pay-v3-client';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('simulator v3 pay host: flows', () => {
  let h: V3Sim;
  let app: Receiver;
  beforeEach(async () => {
    h = await startV3Sim();
    app = await startReceiver();
  });
  afterEach(async () => {
    await h.close();
    await app.close();
  });

  const order = (no: string, total = 100) => h.call('POST', '/v3/pay/transactions/jsapi', jsapiOrder(no, `${app.url}/wxpay/v3/jsapi/callback`, h.sim, total));
  const query = (no: string) => h.call('GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${MCHID}`);
  const open = (raw: Buffer) => {
    const body = JSON.parse(raw.toString('utf8'));
    return { body, plain: JSON.parse(decrypt(body.resource, h.keys.apiV3Key)) };
  };

  it('prepay → query NOTPAY → pay → TRANSACTION.SUCCESS notify (encrypted, signed) → query SUCCESS by out_trade_no and transaction id', async () => {
    expect((await order('flow000001')).status).toBe(200);
    expect((await query('flow000001')).json).toMatchObject({ trade_state: 'NOTPAY', out_trade_no: 'flow000001', mchid: MCHID, appid: APPID });
    const { deliveries } = await h.sim.payV3.pay('flow000001');
    expect(deliveries.map((d) => [d.kind, d.status, d.ok])).toEqual([['pay', 204, true]]);

    const [got] = app.received;
    expect(got!.path).toBe('/wxpay/v3/jsapi/callback');
    expect(verifySigned(h.sim, got!.headers, got!.raw)).toBe(true);
    const { body, plain } = open(got!.raw);
    expect(body).toMatchObject({ resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' } });
    expect(body.resource.nonce).toHaveLength(12);
    expect(body.create_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect(plain).toMatchObject({ mchid: MCHID, appid: APPID, out_trade_no: 'flow000001', trade_state: 'SUCCESS', trade_type: 'JSAPI', amount: { total: 100, payer_total: 100, currency: 'CNY' }, payer: { openid: h.sim.openidOf(APPID, 'alice') } });
    expect(plain.transaction_id).toMatch(/^4200\d{24}$/);

    expect((await query('flow000001')).json).toMatchObject({ trade_state: 'SUCCESS', transaction_id: plain.transaction_id });
    const byId = await h.call('GET', `/v3/pay/transactions/id/${plain.transaction_id}?mchid=${MCHID}`);
    expect(byId.json.out_trade_no).toBe('flow000001');
    // A paid order cannot be ordered again or closed.
    expect((await order('flow000001')).json.code).toBe('ORDERPAID');
    const close = await h.call('POST', '/v3/pay/transactions/out-trade-no/flow000001/close', { mchid: MCHID });
    expect([close.status, close.json.code]).toEqual([403, 'ORDERPAID']);
  });

  it('a query needs ?mchid= and an existing order (404 ORDER_NOT_EXIST)', async () => {
    expect((await h.call('GET', '/v3/pay/transactions/out-trade-no/nothing01')).json.code).toBe('PARAM_ERROR');
    const missing = await query('nothing01');
    expect([missing.status, missing.json.code]).toEqual([404, 'ORDER_NOT_EXIST']);
  });

  it('the same order again answers the same prepay_id; changed fields are OUT_TRADE_NO_USED', async () => {
    const first = await order('flow000002');
    expect((await order('flow000002')).json.prepay_id).toBe(first.json.prepay_id);
    const changed = await order('flow000002', 200);
    expect([changed.status, changed.json.code]).toEqual([403, 'OUT_TRADE_NO_USED']);
  });

  it('close answers an empty signed 204; a closed order is ORDER_CLOSED', async () => {
    await order('flow000003');
    const res = await h.call('POST', '/v3/pay/transactions/out-trade-no/flow000003/close', { mchid: MCHID });
    expect(res.status).toBe(204);
    expect(res.raw).toHaveLength(0);
    expect(verifySigned(h.sim, res.headers, Buffer.alloc(0))).toBe(true);
    expect((await query('flow000003')).json.trade_state).toBe('CLOSED');
    expect((await order('flow000003')).json.code).toBe('ORDER_CLOSED');
    await expect(h.sim.payV3.pay('flow000003')).rejects.toThrow('订单已关闭');
  });

  it('native and h5 prepay answer code_url and h5_url; app answers a prepay_id', async () => {
    const base = { appid: APPID, mchid: MCHID, description: 'x', notify_url: `${app.url}/n`, amount: { total: 1 } };
    const native = await h.call('POST', '/v3/pay/transactions/native', { ...base, out_trade_no: 'native0001' });
    expect(native.json.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w{7}$/);
    const noScene = await h.call('POST', '/v3/pay/transactions/h5', { ...base, out_trade_no: 'h5order001' });
    expect(noScene.json.code).toBe('PARAM_ERROR');
    const h5 = await h.call('POST', '/v3/pay/transactions/h5', { ...base, out_trade_no: 'h5order001', scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } } });
    expect(h5.json.h5_url).toMatch(new RegExp(`^${h.url}/sim/pay/v3/h5\\?token=`));
    const appPay = await h.call('POST', '/v3/pay/transactions/app', { ...base, out_trade_no: 'apporder01' });
    expect(appPay.json.prepay_id).toBeDefined();
  });

  it('refund: PROCESSING answer, then SUCCESS with a REFUND.SUCCESS notify; over-refund refused; same out_refund_no is idempotent', async () => {
    await order('flow000004');
    await h.sim.payV3.pay('flow000004');
    const refundBody = { out_trade_no: 'flow000004', out_refund_no: 'refund0001', amount: { refund: 60, total: 100, currency: 'CNY' }, notify_url: `${app.url}/wxpay/v3/refund/callback` };
    const res = await h.call('POST', '/v3/refund/domestic/refunds', refundBody);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ out_refund_no: 'refund0001', status: 'PROCESSING', amount: { refund: 60, total: 100, currency: 'CNY' } });
    expect(verifySigned(h.sim, res.headers, res.raw)).toBe(true);
    await h.sim.payV3.settled();
    const notify = app.received.find((r) => r.path === '/wxpay/v3/refund/callback')!;
    expect(verifySigned(h.sim, notify.headers, notify.raw)).toBe(true);
    const { body, plain } = open(notify.raw);
    expect(body).toMatchObject({ event_type: 'REFUND.SUCCESS', resource: { original_type: 'refund', associated_data: 'refund' } });
    expect(plain).toMatchObject({ mchid: MCHID, out_trade_no: 'flow000004', out_refund_no: 'refund0001', refund_status: 'SUCCESS', amount: { refund: 60, total: 100 } });
    expect((await h.call('GET', '/v3/refund/domestic/refunds/refund0001')).json).toMatchObject({ status: 'SUCCESS', refund_id: plain.refund_id });
    expect((await query('flow000004')).json.trade_state).toBe('REFUND');

    expect((await h.call('POST', '/v3/refund/domestic/refunds', refundBody)).json.refund_id).toBe(plain.refund_id);
    const over = await h.call('POST', '/v3/refund/domestic/refunds', { ...refundBody, out_refund_no: 'refund0002', amount: { refund: 41, total: 100, currency: 'CNY' } });
    expect([over.status, over.json.code]).toEqual([400, 'INVALID_REQUEST']);
    const unknown = await h.call('GET', '/v3/refund/domestic/refunds/nothing');
    expect([unknown.status, unknown.json.code]).toEqual([404, 'RESOURCE_NOT_EXISTS']);
    h.sim.payV3.setBalance(MCHID, 10);
    const poor = await h.call('POST', '/v3/refund/domestic/refunds', { ...refundBody, out_refund_no: 'refund0003', amount: { refund: 20, total: 100, currency: 'CNY' } });
    expect([poor.status, poor.json.code]).toEqual([403, 'NOT_ENOUGH']);
  });

  it('refunds can wait for settleRefund (REFUND.ABNORMAL, then SUCCESS)', async () => {
    h.sim.payV3.policy.autoSettleRefunds = false;
    await order('flow000005');
    await h.sim.payV3.pay('flow000005');
    await h.call('POST', '/v3/refund/domestic/refunds', { out_trade_no: 'flow000005', out_refund_no: 'refund0005', amount: { refund: 100, total: 100, currency: 'CNY' }, notify_url: `${app.url}/r` });
    expect((await h.call('GET', '/v3/refund/domestic/refunds/refund0005')).json.status).toBe('PROCESSING');
    await h.sim.payV3.settleRefund('refund0005', 'ABNORMAL');
    await h.sim.payV3.settleRefund('refund0005', 'SUCCESS');
    const events = app.received.filter((r) => r.path === '/r').map((r) => open(r.raw).body.event_type);
    expect(events).toEqual(['REFUND.ABNORMAL', 'REFUND.SUCCESS']);
  });

  it('a notify is redelivered after a 500, a 503 and a timeout, with the same id, and stops after a 204', async () => {
    h.sim.payV3.policy.timeoutMs = 300;
    app.script.push(500, 503, 0);
    await order('flow000006');
    const { deliveries } = await h.sim.payV3.pay('flow000006');
    expect(deliveries.map((d) => d.status)).toEqual([500, 503, 0, 204]);
    expect(app.received).toHaveLength(4);
    const ids = app.received.map((r) => open(r.raw).body.id);
    expect(new Set(ids).size).toBe(1);
    // Every attempt is signed afresh (a new nonce), and each verifies.
    expect(new Set(app.received.map((r) => r.headers['wechatpay-nonce'])).size).toBe(4);
    for (const r of app.received) expect(verifySigned(h.sim, r.headers, r.raw)).toBe(true);
  });

  it('redelivery gives up after the schedule; duplicates repeat a delivered notify', async () => {
    h.sim.payV3.policy.retryDelaysMs = [1, 1];
    app.script.push(500, 500, 500, 500);
    await order('flow000007');
    expect((await h.sim.payV3.pay('flow000007')).deliveries.map((d) => d.status)).toEqual([500, 500, 500]);
    h.sim.payV3.policy.duplicates = 2;
    app.script.length = 0;
    await order('flow000008');
    expect((await h.sim.payV3.pay('flow000008')).deliveries.map((d) => d.ok)).toEqual([true, true, true]);
  });

  it('notify faults: a probe signature that does not verify, then the real one', async () => {
    h.sim.payV3.faults.inject('notify', { probe: true });
    app.script.push(401);
    await order('flow000009');
    const { deliveries } = await h.sim.payV3.pay('flow000009');
    expect(deliveries.map((d) => [d.status, Boolean(d.faulted)])).toEqual([
      [401, true],
      [204, false],
    ]);
    expect(String(app.received[0]!.headers['wechatpay-signature'])).toMatch(/^WECHATPAY\/SIGNTEST\//);
    expect(verifySigned(h.sim, app.received[0]!.headers, app.received[0]!.raw)).toBe(false);
    expect(verifySigned(h.sim, app.received[1]!.headers, app.received[1]!.raw)).toBe(true);
  });

  it('buildNotify makes a notify as WeChat would send it (for handleNotify tests), with faults too', () => {
    const good = h.sim.payV3.buildNotify(MCHID, 'pay', { out_trade_no: 'x' });
    const headers = Object.fromEntries(Object.entries(good.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifySigned(h.sim, headers, Buffer.from(good.body))).toBe(true);
    expect(JSON.parse(decrypt(JSON.parse(good.body).resource, h.keys.apiV3Key))).toEqual({ out_trade_no: 'x' });
    const stale = h.sim.payV3.buildNotify(MCHID, 'pay', {}, { fault: { staleSeconds: 400 } });
    expect(Date.now() / 1000 - Number(stale.headers['Wechatpay-Timestamp'])).toBeGreaterThan(399);
  });

  it('bills: SHA-1 over the raw CSV, the same for a GZIP download, which gunzips to it; the download URL needs a signed request', async () => {
    await order('flow000010', 250);
    await h.sim.payV3.pay('flow000010');
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const plain = await h.call('GET', `/v3/bill/tradebill?bill_date=${today}&bill_type=ALL`);
    expect(plain.json.hash_type).toBe('SHA1');
    expect(verifySigned(h.sim, plain.headers, plain.raw)).toBe(true);
    const url = new URL(String(plain.json.download_url));
    expect(url.pathname).toBe('/v3/billdownload/file');
    const file = await h.call('GET', url.pathname + url.search);
    expect(file.status).toBe(200);
    expect(createHash('sha1').update(file.raw).digest('hex')).toBe(plain.json.hash_value);
    expect(file.text).toContain('`flow000010');
    expect(file.text).toContain('`2.50');
    expect(file.text.split('\r\n')[0]).toMatch(/^交易时间,公众账号ID,商户号/);

    const gz = await h.call('GET', `/v3/bill/tradebill?bill_date=${today}&tar_type=GZIP`);
    const gzUrl = new URL(String(gz.json.download_url));
    const gzFile = await h.call('GET', gzUrl.pathname + gzUrl.search);
    expect(gzFile.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const unzipped = gunzipSync(gzFile.raw);
    expect(createHash('sha1').update(unzipped).digest('hex')).toBe(gz.json.hash_value);
    expect(gz.json.hash_value).toBe(plain.json.hash_value);

    const unsigned = await h.call('GET', url.pathname + url.search, undefined, { omit: ['authorization'] });
    expect(unsigned.status).toBe(401);
    const fund = await h.call('GET', `/v3/bill/fundflowbill?bill_date=${today}`);
    const fundUrl = new URL(String(fund.json.download_url));
    expect((await h.call('GET', fundUrl.pathname + fundUrl.search)).text).toMatch(/^记账时间,微信支付业务单号/);
    expect((await h.call('GET', '/v3/bill/tradebill?bill_date=2999-01-01')).json.code).toBe('NO_STATEMENT_EXIST');
    expect((await h.call('GET', '/v3/bill/tradebill?bill_date=yesterday')).json.code).toBe('PARAM_ERROR');
  });

  describe('transfers', () => {
    const transfer = (no: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      h.call(
        'POST',
        '/v3/fund-app/mch-transfer/transfer-bills',
        { appid: APPID, out_bill_no: no, transfer_scene_id: '1000', openid: h.sim.openidOf(APPID, 'bob'), transfer_amount: 500, transfer_remark: 'Cashback', notify_url: `${app.url}/wxpay/v3/transfer/callback`, transfer_scene_report_infos: [{ info_type: '活动名称', info_content: '新会员有礼' }], ...extra },
        { headers },
      );
    const encryptName = (name: string) => publicEncrypt({ key: h.sim.payV3.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(name)).toString('base64');

    it('WAIT_USER_CONFIRM with package_info; the user confirms → SUCCESS and MCHTRANSFER.BILL.FINISHED', async () => {
      const res = await transfer('bill00001');
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ out_bill_no: 'bill00001', state: 'WAIT_USER_CONFIRM' });
      expect(typeof res.json.package_info).toBe('string');
      expect((await h.call('GET', '/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/bill00001')).json).toMatchObject({ state: 'WAIT_USER_CONFIRM', mch_id: MCHID, transfer_amount: 500 });
      await h.sim.payV3.confirmTransfer('bill00001');
      expect((await h.call('GET', '/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/bill00001')).json.state).toBe('SUCCESS');
      const [got] = app.received;
      expect(verifySigned(h.sim, got!.headers, got!.raw)).toBe(true);
      const { body, plain } = open(got!.raw);
      expect(body).toMatchObject({ event_type: 'MCHTRANSFER.BILL.FINISHED', resource: { original_type: 'mch_payment', associated_data: 'mch_payment' } });
      expect(plain).toMatchObject({ out_bill_no: 'bill00001', state: 'SUCCESS', mch_id: MCHID, transfer_amount: 500 });
      // Confirmed bills cannot be cancelled.
      expect((await h.call('POST', '/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/bill00001/cancel')).json.code).toBe('INVALID_REQUEST');
    });

    it('cancel before confirmation: CANCELING answer, CANCELLED and notified', async () => {
      await transfer('bill00002');
      const res = await h.call('POST', '/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/bill00002/cancel');
      expect(res.json).toMatchObject({ out_bill_no: 'bill00002', state: 'CANCELING' });
      await h.sim.payV3.settled();
      expect((await h.call('GET', '/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/bill00002')).json.state).toBe('CANCELLED');
      expect(open(app.received[0]!.raw).plain.state).toBe('CANCELLED');
      const missing = await h.call('GET', '/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/nothing1');
      expect([missing.status, missing.json.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('user_name: OAEP-SHA1 under the public key, with Wechatpay-Serial; decrypted and kept', async () => {
      const ok = await transfer('bill00003', { user_name: encryptName('张三') }, { 'wechatpay-serial': h.sim.payV3.publicKeyId });
      expect(ok.status).toBe(200);
      expect(h.sim.payV3.transfer('bill00003')!.userName).toBe('张三');
      const noSerial = await transfer('bill00004', { user_name: encryptName('张三') });
      expect([noSerial.status, noSerial.json.code]).toEqual([400, 'PARAM_ERROR']);
      const badSerial = await transfer('bill00004', { user_name: encryptName('张三') }, { 'wechatpay-serial': 'PUB_KEY_ID_0000' });
      expect([badSerial.status, badSerial.json.code]).toEqual([400, 'PARAM_ERROR']);
      const notEncrypted = await transfer('bill00004', { user_name: Buffer.from('张三').toString('base64') }, { 'wechatpay-serial': h.sim.payV3.publicKeyId });
      expect([notEncrypted.status, notEncrypted.json.code]).toEqual([400, 'PARAM_ERROR']);
      const bigNoName = await transfer('bill00004', { transfer_amount: 200_000 });
      expect([bigNoName.status, bigNoName.json.code]).toEqual([400, 'PARAM_ERROR']);
      expect(h.sim.payV3.transfer('bill00004')).toBeUndefined();
    });

    it('failTransfer ends a bill FAIL with its reason, notified', async () => {
      await transfer('bill00005');
      await h.sim.payV3.failTransfer('bill00005', 'NAME_NOT_CORRECT');
      expect((await h.call('GET', '/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/bill00005')).json).toMatchObject({ state: 'FAIL', fail_reason: 'NAME_NOT_CORRECT' });
      expect(open(app.received[0]!.raw).plain).toMatchObject({ state: 'FAIL', fail_reason: 'NAME_NOT_CORRECT' });
    });
  });

  it('reset forgets orders, refunds, transfers and deliveries', async () => {
    await order('flow000011');
    await h.sim.payV3.pay('flow000011');
    h.sim.reset();
    expect(h.sim.payV3.orders).toHaveLength(0);
    expect(h.sim.payV3.deliveries).toHaveLength(0);
    expect((await query('flow000011')).json.code).toBe('ORDER_NOT_EXIST');
  });
});
