/**
 * The simulator takes a v3-only merchant (no v2 `key`): v3 works, and the v2 host knows no such
 * merchant (nothing is signed or verified under a missing key). The demo merchant (CLI) has a
 * working v3 block in public-key mode.
 */
import { createPay, signPay } from '../../lib';
import { buildPayXml, parsePayXml } from '../../lib/pay/xml';
import { createSimMerchantV3, createSimulator, DEMO_MERCHANT, DEMO_MERCHANT_V3, demoOptions, type Simulator } from '../../lib/simulator';

const APPID = 'wxmp000000000001';
const MP = { appid: APPID, secret: 'mp-secret', type: 'mp' as const };
const quiet = { warn: () => undefined, error: () => undefined };

async function withSim<T>(sim: Simulator, fn: (url: string) => Promise<T>): Promise<T> {
  const { url, close } = await sim.listen();
  try {
    return await fn(url);
  } finally {
    await sim.payV3.settled();
    await close();
  }
}

test('a merchant with a v3 block and no v2 key is accepted; v3 prepay works, the v2 host answers mch_id参数错误', async () => {
  const keys = createSimMerchantV3();
  const sim = createSimulator({ apps: [MP], merchants: [{ mchid: '1900000200', appid: APPID, v3: keys.v3 }] });
  await withSim(sim, async (url) => {
    const pay = createPay({
      appid: APPID,
      mchid: '1900000200',
      v3: { apiV3Key: keys.apiV3Key, serialNo: keys.serialNo, privateKey: keys.privateKey, publicKeyId: sim.payV3.publicKeyId, publicKey: sim.payV3.publicKey },
      baseUrl: 'https://shop.example',
      endpoints: { pay: url },
      logger: quiet,
    });
    const { codeUrl } = await pay.v3.prepay({ tradeType: 'NATIVE', description: 'Tea', outTradeNo: 'ORDERV3ONLY1', total: 1 });
    expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);

    // A v2 request signed with the string "undefined" as key (what a missing key would sign with).
    const fields = { appid: APPID, mch_id: '1900000200', nonce_str: 'n0nce', body: 'Tea', out_trade_no: 'ORDERV2NOKEY', total_fee: '1', spbill_create_ip: '127.0.0.1', notify_url: 'https://shop.example/n', trade_type: 'NATIVE' };
    const xml = buildPayXml({ ...fields, sign: signPay(fields, 'undefined') });
    const res = await fetch(`${url}/pay/unifiedorder`, { method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml' } });
    expect(parsePayXml(await res.text())).toEqual({ return_code: 'FAIL', return_msg: 'mch_id参数错误' });
    expect(sim.pay.orderByTradeNo('ORDERV2NOKEY', '1900000200')).toBeUndefined();
  });
});

test('a merchant with neither a v2 key nor a v3 block: config_error naming simulator.merchants.N.key', () => {
  expect(() => createSimulator({ apps: [MP], merchants: [{ mchid: '1900000109', key: 'k'.repeat(32) }, { mchid: '1900000201', appid: APPID }] })).toThrow(
    expect.objectContaining({ code: 'config_error', field: 'simulator.merchants.1.key', message: expect.stringContaining('"v3"') }),
  );
});

test('the demo merchant takes v2 and v3: DEMO_MERCHANT_V3 with the simulator\'s public key makes a working pay.v3', async () => {
  const sim = createSimulator(demoOptions());
  await withSim(sim, async (url) => {
    const { apiV3Key, serialNo, privateKey } = DEMO_MERCHANT_V3;
    const pay = createPay({
      appid: DEMO_MERCHANT.appid,
      mchid: DEMO_MERCHANT.mchid,
      key: DEMO_MERCHANT.key,
      v3: { apiV3Key, serialNo, privateKey, publicKeyId: sim.payV3.publicKeyId, publicKey: sim.payV3.publicKey },
      baseUrl: 'https://shop.example',
      endpoints: { pay: url },
      logger: quiet,
    });
    const { codeUrl } = await pay.v3.prepay({ tradeType: 'NATIVE', description: 'Tea', outTradeNo: 'DEMOORDER001', total: 1 });
    expect(codeUrl).toBeTruthy();
    expect(sim.payV3.order('DEMOORDER001')).toMatchObject({ mchid: DEMO_MERCHANT.mchid, total: 1 });
    const v2 = await pay.prepay({ body: 'Tea', outTradeNo: 'DEMOORDER002', totalFee: 1, tradeType: 'NATIVE', spbillCreateIp: '127.0.0.1' });
    expect(v2.codeUrl).toBeTruthy();
  });
});
