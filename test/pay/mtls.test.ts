import https from 'node:https';
import { createPay } from '../../lib/pay/pay';
import { signPay } from '../../lib/pay/sign';
import { buildPayXml, parsePayXml } from '../../lib/pay/xml';
import type { SimServer } from '../../lib/simulator';
import { makeTestCerts, type TestCerts } from './certs';
import { APPID, KEY, MCHID, PAY, startPaySim, type PaySim } from './helpers';

// Real mutual TLS: the simulator also listens on HTTPS and, like WeChat, demands a client
// certificate (from the merchant CA, CN = mch_id) on /secapi/pay/refund and sendredpack.
let sim: PaySim;
let certs: TestCerts;
let tls: SimServer;
beforeAll(async () => {
  certs = makeTestCerts(MCHID);
  sim = await startPaySim([{ mchid: '1900000555', key: 'other-merchant-key-0123456789abc', appid: APPID }]);
  tls = await sim.host.listenTls({ cert: certs.server.cert, key: certs.server.key, ca: certs.ca });
  sim.host.policy.repeats = 1;
  sim.host.policy.retries = 0;
});
afterAll(async () => {
  await tls.close();
  await sim.close();
  certs.cleanup();
});

const quiet = { warn: () => undefined, error: () => undefined };
const payWith = (cert: Parameters<typeof createPay>[0]['cert']) =>
  createPay({ ...PAY, cert, ca: certs.ca, endpoints: { pay: tls.url }, notifyUrl: 'http://127.0.0.1:9/wxpay/:type/callback', logger: quiet });

let n = 0;
async function paidOrder(): Promise<string> {
  const no = `M${Date.now()}${++n}`;
  const { prepayId } = await payWith(undefined).prepay({ body: 'Tea', outTradeNo: no, totalFee: 100, openid: sim.sim.openidOf(APPID, 'alice') });
  await sim.host.payOrder(prepayId);
  return no;
}

describe('refund and red packets over mutual TLS', () => {
  test('with the merchant p12 (passphrase = mch_id): the refund goes through', async () => {
    const no = await paidOrder();
    const r = await payWith({ pfx: certs.clientPfx }).refund({ outTradeNo: no, outRefundNo: `${no}R`, totalFee: 100, refundFee: 100 });
    expect(r.refundId).toBeTruthy();
  });

  test('with PEM cert + key: the red packet goes through', async () => {
    const r = await payWith({ cert: certs.client.cert, key: certs.client.key }).sendRedPack({
      mchBillno: `TLS${Date.now()}`,
      reOpenid: sim.sim.openidOf(APPID, 'alice'),
      totalAmount: 100,
      wishing: 'w',
      actName: 'a',
      remark: 'r',
      sendName: 'Shop',
    });
    expect(r.sendListid).toBeTruthy();
  });

  test('a certificate from another CA is refused (CA_ERROR)', async () => {
    const no = await paidOrder();
    await expect(payWith({ cert: certs.rogue.cert, key: certs.rogue.key }).refund({ outTradeNo: no, outRefundNo: `${no}R`, totalFee: 100, refundFee: 1 })).rejects.toMatchObject({
      code: 'CA_ERROR',
    });
  });

  test("another merchant's certificate is refused (CA_ERROR)", async () => {
    const no = await paidOrder();
    await expect(
      payWith({ cert: certs.otherMerchant.cert, key: certs.otherMerchant.key }).refund({ outTradeNo: no, outRefundNo: `${no}R`, totalFee: 100, refundFee: 1 }),
    ).rejects.toMatchObject({ code: 'CA_ERROR' });
  });

  test('no client certificate at all: the pay host refuses a correctly signed refund', async () => {
    const no = await paidOrder();
    const fields: Record<string, string> = { appid: APPID, mch_id: MCHID, nonce_str: 'n1', out_trade_no: no, out_refund_no: `${no}R`, total_fee: '100', refund_fee: '1' };
    fields.sign = signPay(fields, KEY);
    const text = await new Promise<string>((resolve, reject) => {
      const req = https.request(`${tls.url}/secapi/pay/refund`, { method: 'POST', ca: certs.ca }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end(buildPayXml(fields));
    });
    expect(parsePayXml(text)).toMatchObject({ return_code: 'FAIL', return_msg: 'CA_ERROR' });
  });

  test('calls without a certificate work over the same TLS host', async () => {
    const no = await paidOrder();
    expect((await payWith(undefined).orderQuery({ outTradeNo: no })).tradeState).toBe('SUCCESS');
  });

  test('the pay host certificate is verified: without pay.ca the self-signed simulator is not trusted', async () => {
    const p = createPay({ ...PAY, cert: { pfx: certs.clientPfx }, endpoints: { pay: tls.url }, logger: quiet });
    await expect(p.refund({ outTradeNo: 'X1', outRefundNo: 'R1', totalFee: 1, refundFee: 1 })).rejects.toMatchObject({ code: 'network_error' });
    await expect(p.orderQuery({ outTradeNo: 'X1' })).rejects.toMatchObject({ code: 'network_error' });
  });
});
