import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isWxAuthError, WxPayError } from '../../../lib/errors';
import { verifyPayV3 } from '../../../lib/pay/v3/crypto';
import { PayV3Error } from '../../../lib/pay/v3/errors';
import { PACKAGE_VERSION, PayV3Caller, stripNulls } from '../../../lib/pay/v3/http';
import { checkSignature } from '../../../lib/pay/v3/signature';
import { startFakePay, signedHeaders, type FakePay, type Fault } from './fake-pay';
import { failure, v3Ctx, v3Keys, type KeyMode } from './harness';
import { MCHID, MERCHANT_PUB, PLATFORM_SERIAL, PUBLIC_KEY_ID, SERIAL_NO } from './keys';

let pay: FakePay;
beforeAll(async () => {
  pay = await startFakePay();
});
afterAll(() => pay.close());
beforeEach(() => {
  pay.received.length = 0;
  pay.clock.now = () => Date.now();
});

const caller = (mode: KeyMode = 'publicKey', now?: () => number) => new PayV3Caller(v3Ctx({ payUrl: pay.url, ...(now ? { now } : {}) }), MCHID, v3Keys(mode));

describe('requests', () => {
  test('a POST carries the documented Authorization, Accept, User-Agent, Content-Type and Wechatpay-Serial', async () => {
    pay.answer({ body: { prepay_id: 'wx1' } });
    await caller().call('prepay', { method: 'POST', path: '/v3/pay/transactions/jsapi', body: { appid: 'a', amount: { total: 1 } } });
    const r = pay.received[0]!;
    expect(r.authOk).toBe(true);
    expect(r.headers.authorization).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="[0-9a-f]{32}",signature="[A-Za-z0-9+/=]+",timestamp="\d{10}",serial_no="[0-9A-F]{40}"$/);
    expect(r.auth.serial_no).toBe(SERIAL_NO);
    expect(r.headers.accept).toBe('application/json');
    expect(r.headers['user-agent']).toMatch(/^express-wxauth\/\d+\.\d+\.\d+ /);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['wechatpay-serial']).toBe(PUBLIC_KEY_ID);
    expect(JSON.parse(r.body)).toEqual({ appid: 'a', amount: { total: 1 } });
  });

  test('a GET signs an empty body line and the canonical URL with its query, exactly as sent', async () => {
    pay.answer({ body: { trade_state: 'NOTPAY' } });
    await caller().call('orderQuery', { method: 'GET', path: '/v3/pay/transactions/out-trade-no/A%7CB', query: { mchid: MCHID, x: 'a b&c' } });
    const r = pay.received[0]!;
    expect(r.url).toBe('/v3/pay/transactions/out-trade-no/A%7CB?mchid=1900000109&x=a%20b%26c');
    expect(r.body).toBe('');
    expect(r.headers['content-type']).toBeUndefined();
    const message = `GET\n${r.url}\n${r.auth.timestamp}\n${r.auth.nonce_str}\n\n`;
    expect(verifyPayV3(message, r.auth.signature!, MERCHANT_PUB)).toBe(true);
  });

  test('the clock and nonce come from the context', async () => {
    pay.clock.now = () => 1_700_000_000_000;
    pay.answer({ body: {} });
    await caller('publicKey', () => 1_700_000_000_000).call('q', { method: 'GET', path: '/v3/x' });
    expect(pay.received[0]!.auth.timestamp).toBe('1700000000');
  });

  test('null and undefined values never reach WeChat', () => {
    expect(stripNulls({ a: null, b: undefined, c: { d: null, e: 1 }, f: [null, { g: undefined, h: 'x' }] })).toEqual({ c: { e: 1 }, f: [{ h: 'x' }] });
  });

  test('in platform-certificate mode no Wechatpay-Serial is sent, except with encrypted fields', async () => {
    pay.answer({ body: {}, fault: 'platform' });
    await caller('certificates').call('q', { method: 'GET', path: '/v3/x' });
    expect(pay.received[0]!.headers['wechatpay-serial']).toBeUndefined();
    await caller('certificates').call('q', { method: 'POST', path: '/v3/x', body: { a: 1 }, sensitive: true });
    expect(pay.received[1]!.headers['wechatpay-serial']).toBe(PLATFORM_SERIAL);
  });

  test('the User-Agent version is the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).toBe(pkg.version);
  });
});

describe('answers are verified', () => {
  test('a signed answer resolves with its JSON', async () => {
    pay.answer({ body: { trade_state: 'SUCCESS', amount: { total: 100 } } });
    await expect(caller().call('q', { method: 'GET', path: '/v3/x' })).resolves.toEqual({ trade_state: 'SUCCESS', amount: { total: 100 } });
  });

  test('a signed empty 204 resolves with {}', async () => {
    pay.answer({ status: 204 });
    await expect(caller().call('close', { method: 'POST', path: '/v3/x/close', body: { mchid: MCHID } })).resolves.toEqual({});
  });

  test.each<[Fault | 'unsigned', string]>([
    ['probe', 'bad signature'],
    ['stale', 'stale timestamp'],
    ['future', 'stale timestamp'],
    ['foreign', 'bad signature'],
    ['unknown-serial', 'unknown serial'],
    ['tamper', 'bad signature'],
    ['platform', 'unknown serial'],
    ['unsigned', 'missing headers'],
  ])('%s answer: sign_error, value never returned', async (fault, problem) => {
    pay.answer(fault === 'unsigned' ? { body: { trade_state: 'SUCCESS' }, unsigned: true } : { body: { trade_state: 'SUCCESS' }, fault });
    const error = await failure(caller().call('orderQuery', { method: 'GET', path: '/v3/x' }));
    expect(error).toBeInstanceOf(WxPayError);
    expect(error.code).toBe('sign_error');
    expect(error.message).toContain(problem);
    expect(JSON.stringify(error)).not.toContain('SUCCESS');
  });

  test.each<[Fault, number]>([
    ['probe', 204],
    ['stale', 204],
  ])('an empty %s %s is refused too', async (fault, status) => {
    pay.answer({ status, fault });
    expect((await failure(caller().call('close', { method: 'POST', path: '/v3/x', body: {} }))).code).toBe('sign_error');
  });

  test('299 s away verifies, 300 s does not, both directions', () => {
    const keys = v3Keys();
    const now = 1_700_000_000_000;
    const body = '{"a":1}';
    for (const [skew, ok] of [[-299, true], [299, true], [-300, false], [300, false]] as const) {
      const headers = signedHeaders(body, now + skew * 1000);
      expect(checkSignature(keys, { headers, body }, now) === undefined).toBe(ok);
    }
  });

  test('platform-certificate mode verifies a certificate-signed answer and refuses the public key', async () => {
    pay.answer({ body: { ok: 1 }, fault: 'platform' });
    await expect(caller('certificates').call('q', { method: 'GET', path: '/v3/x' })).resolves.toEqual({ ok: 1 });
    pay.answer({ body: { ok: 1 } });
    expect((await failure(caller('certificates').call('q', { method: 'GET', path: '/v3/x' }))).message).toContain('unknown serial');
  });

  test('during a switch both verify, each by its serial', async () => {
    pay.answer({ body: { ok: 1 }, fault: 'platform' });
    await expect(caller('switch').call('q', { method: 'GET', path: '/v3/x' })).resolves.toEqual({ ok: 1 });
    pay.answer({ body: { ok: 2 } });
    await expect(caller('switch').call('q', { method: 'GET', path: '/v3/x' })).resolves.toEqual({ ok: 2 });
  });

  test('a signed 200 that is not JSON is a pay_error', async () => {
    pay.answer({ body: '<html>' });
    expect((await failure(caller().call('q', { method: 'GET', path: '/v3/x' }))).code).toBe('pay_error');
  });
});

describe('error answers', () => {
  test("a signed 404 carries WeChat's code, message and Request-ID", async () => {
    pay.answer({ status: 404, body: { code: 'ORDER_NOT_EXIST', message: '订单不存在' } });
    const error = await failure(caller().call('orderQuery', { method: 'GET', path: '/v3/x' }));
    expect(error).toBeInstanceOf(PayV3Error);
    expect(isWxAuthError(error)).toBe(true);
    expect(error.code).toBe('ORDER_NOT_EXIST');
    expect(error.errcode).toBe('ORDER_NOT_EXIST');
    expect(error.errmsg).toBe('订单不存在');
    expect(error.httpStatus).toBe(404);
    expect(error.requestId).toMatch(/^08[0-9A-F]{24}$/);
  });

  test('a 400 ORDERPAID with detail', async () => {
    pay.answer({ status: 400, body: { code: 'ORDERPAID', message: '订单已支付', detail: { field: 'x' } } });
    const error = await failure(caller().call('close', { method: 'POST', path: '/v3/x', body: {} }));
    expect(error.code).toBe('ORDERPAID');
    expect(error.detail).toEqual({ field: 'x' });
  });

  test('a probe-signed error answer is a sign_error, not its claimed code', async () => {
    pay.answer({ status: 400, body: { code: 'ORDERPAID', message: 'x' }, fault: 'probe' });
    expect((await failure(caller().call('close', { method: 'POST', path: '/v3/x', body: {} }))).code).toBe('sign_error');
  });

  test("WeChat's unsigned 401 SIGN_ERROR (a request it could not authenticate) is a pay_error naming SIGN_ERROR", async () => {
    const c = new PayV3Caller(v3Ctx({ payUrl: pay.url }), '1900000999', v3Keys());
    const error = await failure(c.call('q', { method: 'GET', path: '/v3/x' }));
    expect(error.code).toBe('pay_error');
    expect(error.errcode).toBe('SIGN_ERROR');
    expect(error.httpStatus).toBe(401);
  });

  test('a 502 with no JSON is a network_error', async () => {
    pay.answer({ status: 502, body: 'Bad Gateway', unsigned: true });
    expect((await failure(caller().call('q', { method: 'GET', path: '/v3/x' }))).code).toBe('network_error');
  });

  test('nothing is retried: one request per failed call', async () => {
    pay.answer({ status: 500, body: { code: 'SYSTEM_ERROR', message: 'busy' } });
    await failure(caller().call('prepay', { method: 'POST', path: '/v3/x', body: {} }));
    expect(pay.received).toHaveLength(1);
  });

  test('an unreachable host is a network_error that names no URL', async () => {
    const c = new PayV3Caller(v3Ctx({ payUrl: 'http://127.0.0.1:9' }), MCHID, v3Keys());
    const error = await failure(c.call('q', { method: 'GET', path: '/v3/secret-path' }));
    expect(error.code).toBe('network_error');
    expect(JSON.stringify({ m: error.message, c: String(error.cause) })).not.toContain('secret-path');
  });
});
