import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WxPayError } from '../../lib/errors';
import { createPay } from '../../lib/pay/pay';
import { signPay, type PayParams } from '../../lib/pay/sign';
import { buildPayXml, parsePayXml } from '../../lib/pay/xml';
import { makeTestCerts, type TestCerts } from './certs';
import { APPID, KEY, MCHID, PAY, startPaySim, type PaySim } from './helpers';

// The red packet API answers unsigned: what ties its answer to our request is that it repeats
// mch_id, wxappid, mch_billno, re_openid and total_amount. A fake pay host answers as WeChat does
// (echoing the request), then with one of them changed or left out.

let certs: TestCerts;
let sim: PaySim;
let host: { url: string; close(): void };
/** How the fake host turns the request into its answer; reset before each test. */
let answer: (req: Record<string, string>) => PayParams;

const weChatAnswer = (req: Record<string, string>): PayParams => ({
  return_code: 'SUCCESS',
  return_msg: '发放成功',
  result_code: 'SUCCESS',
  err_code: 'SUCCESS',
  err_code_des: '发放成功',
  mch_billno: req.mch_billno,
  mch_id: req.mch_id,
  wxappid: req.wxappid,
  re_openid: req.re_openid,
  total_amount: req.total_amount,
  send_listid: '100000000020150520314766074200',
});

beforeAll(async () => {
  certs = makeTestCerts(MCHID);
  sim = await startPaySim();
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => res.end(buildPayXml(answer(parsePayXml(text)))));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
});
afterAll(async () => {
  host.close();
  await sim.close();
  certs.cleanup();
});
beforeEach(() => {
  answer = weChatAnswer;
});

const quiet = { warn: () => undefined, error: () => undefined };
const pay = (url = host.url) => createPay({ ...PAY, cert: { pfx: certs.clientPfx }, sendName: 'Shop', endpoints: { pay: url }, logger: quiet });
let n = 0;
const redPack = () => ({ mchBillno: `RP${Date.now()}${++n}`, reOpenid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', totalAmount: 188, wishing: 'w', actName: 'a', remark: 'r' });

async function refusal(p: Promise<unknown>): Promise<WxPayError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(WxPayError);
  return e as WxPayError;
}

describe('red packet answers are matched to the request', () => {
  test.each([
    ['mch_id', '1900000555'],
    ['wxappid', 'wxother0000000001'],
    ['mch_billno', 'RPSOMEONEELSE1'],
    ['re_openid', 'oOtherUser000000000000000000'],
    ['total_amount', '18800'],
  ])("WeChat's answer, echoing the request, resolves; with %s changed: sign_error, nothing resolved", async (field, value) => {
    expect(await pay().sendRedPack(redPack())).toMatchObject({ sendListid: '100000000020150520314766074200', total_amount: '188' });
    answer = (req) => ({ ...weChatAnswer(req), [field]: value });
    const e = await refusal(pay().sendRedPack(redPack()));
    expect(e.code).toBe('sign_error');
    expect(e.message).toContain(field);
    expect(e.message).not.toContain(value);
    expect(e.response).toBeUndefined(); // an unverified answer is not handed on
  });

  test.each(['mch_id', 'wxappid', 'mch_billno', 're_openid', 'total_amount'])('%s left out of a SUCCESS answer: sign_error', async (field) => {
    answer = (req) => ({ ...weChatAnswer(req), [field]: undefined });
    expect((await refusal(pay().sendRedPack(redPack()))).code).toBe('sign_error');
  });

  test("a FAIL answer: WeChat's err_code when what it echoes matches (fields may be left out), sign_error when it is about another mch_billno", async () => {
    answer = (req) => ({ ...weChatAnswer(req), result_code: 'FAIL', err_code: 'NOTENOUGH', err_code_des: '帐号余额不足', send_listid: undefined, re_openid: undefined, total_amount: undefined });
    expect((await refusal(pay().sendRedPack(redPack()))).code).toBe('NOTENOUGH');
    answer = (req) => ({ ...weChatAnswer(req), result_code: 'FAIL', err_code: 'NOTENOUGH', mch_billno: 'RPOTHER1' });
    expect((await refusal(pay().sendRedPack(redPack()))).code).toBe('sign_error');
  });

  test('an answer that carries a sign is verified with the configured algorithm, and still matched', async () => {
    answer = (req) => {
      const fields = weChatAnswer(req);
      return { ...fields, sign: signPay(fields, KEY) };
    };
    expect((await pay().sendRedPack(redPack())).sendListid).toBeTruthy();
    answer = (req) => {
      const fields = { ...weChatAnswer(req), total_amount: '1' };
      return { ...fields, sign: signPay(fields, KEY) };
    };
    expect((await refusal(pay().sendRedPack(redPack()))).code).toBe('sign_error');
    answer = (req) => ({ ...weChatAnswer(req), sign: 'F'.repeat(32) });
    expect((await refusal(pay().sendRedPack(redPack()))).code).toBe('sign_error');
  });

  test('the simulator echoes like WeChat: its SUCCESS and FAIL answers both pass the matching', async () => {
    const p = pay(sim.url);
    const input = redPack();
    const r = await p.sendRedPack(input);
    expect(r).toMatchObject({ mch_billno: input.mchBillno, mch_id: MCHID, wxappid: APPID, re_openid: input.reOpenid, total_amount: '188' });
    expect(r.sign).toBeUndefined();
    // Below 1 yuan without scene_id: a FAIL answer, echoing the request too.
    const e = await refusal(p.sendRedPack({ ...redPack(), totalAmount: 50 }));
    expect(e.code).toBe('MONEY_LIMIT');
    expect(e.response).toMatchObject({ mch_id: MCHID, wxappid: APPID, total_amount: '50' });
  });
});
