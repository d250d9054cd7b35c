import express, { Router } from 'express';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { defaultRandomHex, type WxContext } from '../../lib/context';
import type { SurfaceDeps } from '../../lib/deps';
import type { Logger } from '../../lib/log';
import type { PayOptions } from '../../lib/pay/options';
import { mountPay, type PayApi } from '../../lib/pay/router';
import { signPay, type PayParams, type PaySignType } from '../../lib/pay/sign';
import { buildPayXml } from '../../lib/pay/xml';
import { createSimulator, type Simulator } from '../../lib/simulator';
import type { SimPayHost } from '../../lib/simulator/pay-host';
import { MemoryStore, type Store } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';

export const APPID = 'wxmp000000000001';
export const MCHID = '1900000109';
export const KEY = 'k3y0123456789abcdefghijklmnopqrs'; // 32 characters, test only

export const PAY: PayOptions = { appid: APPID, mchid: MCHID, key: KEY, clientIp: '203.0.113.7' };

export interface PaySim {
  sim: Simulator;
  host: SimPayHost;
  url: string;
  close(): Promise<void>;
}

/** The simulator with one mp app and one merchant, listening on a free port. */
export async function startPaySim(extraMerchants: Array<{ mchid: string; key: string; appid?: string }> = []): Promise<PaySim> {
  const sim = createSimulator({
    apps: [{ appid: APPID, secret: 'mp-secret', type: 'mp' }],
    merchants: [{ mchid: MCHID, key: KEY, appid: APPID, name: 'Test Shop' }, ...extraMerchants],
  });
  const { url, close } = await sim.listen();
  const host = sim.pay;
  return {
    sim,
    host,
    url,
    async close() {
      await host.settled();
      await close();
    },
  };
}

/** A ctx as `wxauth()` builds it, with the given store and pay host. */
export function testCtx(options: { store?: Store; payUrl?: string; logger?: Logger; now?: () => number } = {}): WxContext {
  return {
    http: new WechatClient({ endpoints: { pay: options.payUrl ?? 'http://127.0.0.1:9' } }),
    store: options.store ?? new MemoryStore(),
    now: options.now ?? Date.now,
    randomHex: defaultRandomHex,
    logger: options.logger ?? { warn: () => undefined, error: () => undefined },
  };
}

/**
 * Our notify routes on a bare Express app, with hand-made deps (what `wxauth()` would pass),
 * listening on a free port. `baseUrl` is that app's own URL, so notify URLs point back at it.
 */
export async function startPayApp(options: {
  pay?: Partial<PayOptions>;
  store?: Store;
  payUrl?: string;
  logger?: Logger;
  express4?: boolean;
}): Promise<{ api: PayApi; url: string; close(): Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ex = (options.express4 ? require('express4') : express) as typeof express;
  const app = ex();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const router = (options.express4 ? ex.Router() : Router()) as Router;
  const deps = {
    ctx: testCtx({ ...options, ...(options.payUrl ? { payUrl: options.payUrl } : {}) }),
    options: { pay: { ...PAY, ...options.pay }, baseUrl: url },
  } as unknown as SurfaceDeps;
  const api = mountPay(router, deps);
  app.use(router);
  return {
    api,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let seq = 0;
/** A payment notify as WeChat sends it, signed with `key` unless `sign` is given. */
export function payNotify(overrides: PayParams = {}, key = KEY, signType: PaySignType = 'MD5'): { xml: string; fields: PayParams } {
  seq++;
  const fields: PayParams = {
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    appid: APPID,
    mch_id: MCHID,
    nonce_str: `n${Date.now()}${seq}`,
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    is_subscribe: 'N',
    trade_type: 'JSAPI',
    bank_type: 'OTHERS',
    total_fee: '100',
    cash_fee: '100',
    fee_type: 'CNY',
    transaction_id: `4200000${Date.now()}${String(seq).padStart(6, '0')}`,
    out_trade_no: `T${Date.now()}${seq}`,
    time_end: '20250101120000',
    ...(signType === 'MD5' ? {} : { sign_type: signType }),
    ...overrides,
  };
  if (!('sign' in overrides)) fields.sign = signPay(fields, key, signType);
  return { xml: buildPayXml(fields), fields };
}

export const SUCCESS_XML = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
