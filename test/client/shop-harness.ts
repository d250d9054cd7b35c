import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { wxauth, type PayV3Transaction, type WxAuthRouter } from '../../lib';
import type { AutoShipVirtualGoodsOptions } from '../../lib/pay/v3/auto-ship';
import { createSimMerchantV3, createSimulator, type Simulator } from '../../lib/simulator';
import { captureLogger, type CapturedLogger } from '../helpers/logs';
import type { TestRedis } from '../helpers/redis';
import { MINI, MP } from './harness';

export const MCHID = '1900000109';

export interface Shop {
  sim: Simulator;
  router: WxAuthRouter;
  logger: CapturedLogger;
  /** Transactions the app's notify handler saw. */
  paid: PayV3Transaction[];
  /** A JSAPI order of `appid` (default the mini program) paid by alice; resolves after WeChat's notify deliveries. */
  payOrder(options?: { appid?: string; total?: number }): Promise<{ outTradeNo: string; transactionId: string; openid: string; statuses: number[] }>;
  close(): Promise<void>;
}

let seq = 0;

/**
 * A shop on the simulator over real HTTP both ways: wxauth() with the mini program and pay.v3
 * (the mini program's appid bound to the merchant), its notify route listening, real Redis.
 */
export async function startShop(redis: TestRedis, autoShip?: AutoShipVirtualGoodsOptions): Promise<Shop> {
  const keys = createSimMerchantV3();
  const sim = createSimulator({
    apps: [
      { ...MP, type: 'mp' },
      { ...MINI, type: 'miniprogram' },
    ],
    merchants: [{ mchid: MCHID, appid: MP.appid, name: 'Tea Shop', v3: { ...keys.v3, appids: [MINI.appid] } }],
  });
  const simServer = await sim.listen();
  // Notifies are redelivered quickly in tests.
  sim.payV3.policy.retryDelaysMs = [10, 20];
  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logger = captureLogger();
  const prefix = `${redis.prefix}shop${++seq}:`;
  const router = wxauth({
    mp: MP,
    miniprogram: MINI,
    pay: {
      appid: MP.appid,
      mchid: MCHID,
      v3: {
        apiV3Key: keys.apiV3Key,
        serialNo: keys.serialNo,
        privateKey: keys.privateKey,
        publicKeyId: sim.payV3.publicKeyId,
        publicKey: sim.payV3.publicKey,
        appids: [MINI.appid],
        ...(autoShip ? { autoShipVirtualGoods: autoShip } : {}),
      },
    },
    baseUrl: url,
    store: redis.client,
    storePrefix: prefix,
    endpoints: { open: simServer.url, api: simServer.url, pay: simServer.url },
    logger,
  });
  const paid: PayV3Transaction[] = [];
  router.pay.v3.onNotify((t) => void paid.push(t));
  app.use(router);

  return {
    sim,
    router,
    logger,
    paid,
    async payOrder(options = {}) {
      const appid = options.appid ?? MINI.appid;
      const openid = sim.openidOf(appid, 'alice');
      const outTradeNo = `SHIP${Date.now()}${++seq}`;
      await router.pay.v3.prepay({ tradeType: 'JSAPI', appid, description: 'Green tea', outTradeNo, total: options.total ?? 100, openid });
      const { order, deliveries } = await sim.payV3.pay(outTradeNo);
      return { outTradeNo, transactionId: order.transactionId!, openid, statuses: deliveries.map((d) => d.status) };
    },
    async close() {
      await router.pay.v3.settleAutoShipping();
      await sim.payV3.settled();
      await simServer.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves once `check()` is true; fails the test with `what` after `timeoutMs` (a wait for background work, not a timing assertion). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
