import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lib from '../../../lib';
import { createPay, wxauth, WxAuthError } from '../../../lib';
import { startFakePay, type FakePay } from './fake-pay';
import { v3Options } from './harness';
import { APPID, MCHID } from './keys';
import { makeNotify, transaction } from './notify-helpers';

const quiet = { warn: () => undefined, error: () => undefined };
const V2_KEY = 'k3y0123456789abcdefghijklmnopqrs';

function configError(run: () => unknown): WxAuthError {
  try {
    run();
  } catch (error) {
    if (error instanceof WxAuthError) return error;
    throw error;
  }
  throw new Error('no error');
}

let pay: FakePay;
beforeAll(async () => {
  pay = await startFakePay();
});
afterAll(() => pay.close());

describe('the pay option', () => {
  test('v3 alone: no v2 key needed', () => {
    expect(() => wxauth({ pay: { appid: APPID, mchid: MCHID, v3: v3Options() }, baseUrl: 'https://shop.example', logger: quiet })).not.toThrow();
  });

  test('neither key nor v3: a config_error naming pay.key', () => {
    const error = configError(() => wxauth({ pay: { appid: APPID, mchid: MCHID }, baseUrl: 'https://shop.example', logger: quiet }));
    expect(error.field).toBe('pay.key');
  });

  test('a bad v3 value through wxauth(): config_error naming pay.v3.<field>', () => {
    const error = configError(() => wxauth({ pay: { appid: APPID, mchid: MCHID, v3: { ...v3Options(), apiV3Key: 'short' } }, baseUrl: 'https://shop.example', logger: quiet }));
    expect(error.code).toBe('config_error');
    expect(error.field).toBe('pay.v3.apiV3Key');
    expect(error.message).not.toContain('short');
  });

  test('a bad PEM through createPay(): config_error naming pay.v3.privateKey', () => {
    const error = configError(() => createPay({ appid: APPID, mchid: MCHID, v3: { ...v3Options(), privateKey: 'nope' } }));
    expect(error.field).toBe('pay.v3.privateKey');
  });

  test('both v2 and v3: both APIs', () => {
    const p = createPay({ appid: APPID, mchid: MCHID, key: V2_KEY, v3: v3Options(), baseUrl: 'https://shop.example' });
    expect(p.notifyUrlFor()).toBe('https://shop.example/wxpay/pay/callback');
    expect(p.v3.notifyUrlFor()).toBe('https://shop.example/wxpay/v3/pay/callback');
  });

  test('v3 only: v2 calls are a config_error naming pay.key, never a signature under no key', async () => {
    const p = createPay({ appid: APPID, mchid: MCHID, v3: v3Options(), logger: quiet });
    expect(configError(() => p.sign({ a: 1 })).field).toBe('pay.key');
    expect(p.verify({ a: '1', sign: 'x' })).toBe(false);
    await expect(p.prepay({ body: 'x', outTradeNo: 'O1', totalFee: 1 })).rejects.toMatchObject({ code: 'config_error', field: 'pay.key' });
    expect((await p.handleNotify('<xml></xml>')).ok).toBe(false);
  });

  test('v2 only: .v3 is a config_error naming pay.v3', () => {
    const p = createPay({ appid: APPID, mchid: MCHID, key: V2_KEY });
    expect(configError(() => p.v3).field).toBe('pay.v3');
  });
});

describe('createPay().v3 and router.pay.v3', () => {
  test('createPay().v3 calls the configured pay host, signed', async () => {
    pay.answer({ body: { code_url: 'weixin://wxpay/bizpayurl?pr=x' } });
    const p = createPay({ appid: APPID, mchid: MCHID, v3: v3Options(), baseUrl: 'https://shop.example', endpoints: { pay: pay.url } });
    expect(await p.v3.prepay({ tradeType: 'NATIVE', description: 'x', outTradeNo: 'ORDER000100', total: 1 })).toEqual({ codeUrl: 'weixin://wxpay/bizpayurl?pr=x' });
    expect(pay.received.at(-1)!.authOk).toBe(true);
  });

  test('router.pay.v3: notify URLs under mountPath, and the notify route served by wxauth()', async () => {
    const app = express();
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const router = wxauth({ pay: { appid: APPID, mchid: MCHID, v3: v3Options() }, baseUrl: url, mountPath: '/shop', endpoints: { pay: pay.url }, logger: quiet });
    const seen: string[] = [];
    router.pay.v3.onNotify((t) => void seen.push(t.transaction_id));
    app.use('/shop', router);
    expect(router.pay.v3.notifyUrlFor()).toBe(`${url}/shop/wxpay/v3/pay/callback`);
    const n = makeNotify(transaction());
    const res = await fetch(`${url}/shop/wxpay/v3/pay/callback`, { method: 'POST', headers: { ...n.headers, 'Content-Type': 'application/json' }, body: n.body });
    // The v2 route still answers in v2's format: v2 is not configured.
    const v2 = await fetch(`${url}/shop/wxpay/pay/callback`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: '<xml></xml>' });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    expect(res.status).toBe(204);
    expect(seen).toEqual(['4200000000000000000000000001']);
    expect(v2.status).toBeGreaterThanOrEqual(400);
  });
});

test('the pure v3 functions and PayV3Error are exported', () => {
  for (const name of ['signPayV3', 'verifyPayV3', 'decryptPayV3Resource', 'encryptPayV3Sensitive', 'PayV3Error']) expect(typeof (lib as Record<string, unknown>)[name]).toBe('function');
});
