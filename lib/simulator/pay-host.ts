import type { RequestListener } from 'node:http';
import express, { type Router } from 'express';
import { randomId } from './ids';
import { mountPayApi } from './pay-api';
import { cashierPath, mountCashier } from './pay-cashier';
import { payNotifyXml, refundNotifyXml } from './pay-messages';
import { deliver, type DeliveryPolicy, type NotifyDelivery } from './pay-notify';
import { PayLedger, type SimOrder, type SimRedPack, type SimRefund } from './pay-state';
import { listenTls, type TlsListenOptions } from './pay-tls';
import type { SimMerchant, SimMerchantV2, SimServer } from './types';

export type { NotifyDelivery, DeliveryPolicy } from './pay-notify';
export type { SimOrder, SimRefund, SimRedPack, TradeState } from './pay-state';
export type { TlsListenOptions } from './pay-tls';

/** The path roots of WeChat Pay v2's APIs on api.mch.weixin.qq.com. */
const V2_PREFIXES = ['/pay', '/secapi', '/mmpaymkttransfers', '/papay', '/payitil', '/risk', '/tools', '/sandboxnew'];
/** nginx's stock 404 page, byte for byte. */
export const NGINX_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** What the pay host needs from the simulator. */
export interface PayHostSim {
  readonly merchants?: readonly SimMerchant[];
  /** The simulator's apps: the cashier names a merchant without `name` after its app. */
  readonly apps?: readonly { appid: string; name?: string }[];
  now(): number;
  onReset?(fn: () => void): void;
  openidOf?(appid: string, user: string): string;
  /** The whole simulator app, served by `listenTls` too when present. */
  readonly app?: RequestListener;
}

/** `sim.pay`: the pay host's state and the payer's side, for tests and the example app. */
export interface SimPayHost {
  /** Pay an order as the payer would on the cashier page; resolves after every notify delivery. */
  payOrder(prepayId: string, options?: { user?: string }): Promise<{ order: SimOrder; deliveries: NotifyDelivery[] }>;
  order(prepayId: string): SimOrder | undefined;
  /** An order by out_trade_no (of the first merchant, or `mchid`). */
  orderByTradeNo(outTradeNo: string, mchid?: string): SimOrder | undefined;
  refundsOf(prepayId: string): SimRefund[];
  readonly redPacks: readonly SimRedPack[];
  /** Every notify POST so far, oldest first. */
  readonly deliveries: readonly NotifyDelivery[];
  /** How notifies are repeated and retried (mutable). */
  readonly policy: DeliveryPolicy;
  /** Path of the cashier page for an order (prefix it with the simulator's URL). */
  cashierPath(prepayId: string, redirectUrl?: string): string;
  /** Resolves when every notify started so far has been delivered (cashier deliveries run in the background). */
  settled(): Promise<void>;
  /**
   * Serve the simulator over HTTPS as well, asking for a client certificate: the certificate APIs
   * (`/secapi/pay/refund`, `/mmpaymkttransfers/sendredpack`) then require one issued by `ca` whose
   * CN is the mch_id. Over plain HTTP they cannot check it and accept any caller.
   */
  listenTls(options: TlsListenOptions): Promise<SimServer>;
  reset(): void;
}

/**
 * WeChat Pay v2's host on the simulator: unifiedorder, orderquery, closeorder, refund, refundquery
 * and sendredpack with real signatures (`pay-api.ts`), a cashier page (`pay-cashier.ts`), signed
 * payment notifies and encrypted refund notifies, each repeated as WeChat does (`pay-notify.ts`).
 */
export function mountPayHost(router: Router, sim: PayHostSim): SimPayHost {
  const merchants = () => sim.merchants ?? [];
  // A v3-only merchant (no v2 key) is unknown here: nothing may be signed or verified under a missing key.
  const merchantOf = (mchid: string | undefined) => merchants().find((m): m is SimMerchantV2 => m.mchid === mchid && typeof m.key === 'string');
  const ledger = new PayLedger(() => sim.now());
  const deliveries: NotifyDelivery[] = [];
  const pending = new Set<Promise<unknown>>();
  const policy: DeliveryPolicy = { repeats: 3, retries: 3, intervalMs: 10, timeoutMs: 5000 };
  const reset = () => {
    ledger.reset();
    deliveries.length = 0;
  };
  sim.onReset?.(reset);

  const send = (kind: NotifyDelivery['kind'], id: string, url: string, xml: string) => {
    const run = deliver(kind, id, url, xml, policy, (d) => deliveries.push(d));
    pending.add(run.all);
    void run.all.finally(() => pending.delete(run.all));
    return run;
  };
  const payAndNotify = (order: SimOrder, user: string) => {
    ledger.pay(order.prepayId, order.openid ?? sim.openidOf?.(order.appid, user) ?? `o${randomId(27)}`);
    return send('pay', order.transactionId!, order.notifyUrl, payNotifyXml(order, merchantOf(order.mchid)!.key));
  };

  mountPayApi(router, {
    ledger,
    merchantOf,
    cashierPath: (prepayId) => cashierPath(prepayId),
    onRefund(order, refund) {
      const m = merchantOf(order.mchid)!;
      const url = refund.notifyUrl ?? (typeof m.refundNotifyUrl === 'string' ? m.refundNotifyUrl : undefined);
      if (url) send('refund', refund.refundId, url, refundNotifyXml(order, refund, m.key));
    },
  });
  mountCashier(router, { ledger, merchants, apps: () => sim.apps ?? [], pay: (order, user) => payAndNotify(order, user).first });
  // Anything else on the v2 host's paths (an unknown API, a GET): a 404 from WeChat's nginx front,
  // its stock HTML page — neither XML nor JSON. (The v3 host answers its own JSON 404 under /v3.)
  router.use(V2_PREFIXES, (_req, res) => {
    res.status(404).setHeader('Content-Type', 'text/html');
    res.send(Buffer.from(NGINX_404, 'utf8'));
  });

  const host: SimPayHost = {
    async payOrder(prepayId, options = {}) {
      const order = ledger.order(prepayId);
      if (!order) throw new Error(`simulator: unknown prepay_id "${prepayId}"`);
      return { order, deliveries: await payAndNotify(order, options.user ?? 'alice').all };
    },
    order: (prepayId) => ledger.order(prepayId),
    orderByTradeNo: (outTradeNo, mchid) => ledger.ordersOf(mchid ?? merchants()[0]?.mchid ?? '').find((o) => o.outTradeNo === outTradeNo),
    refundsOf: (prepayId) => {
      const order = ledger.order(prepayId);
      return order ? ledger.refundsOf(order) : [];
    },
    get redPacks() {
      return ledger.redPacks;
    },
    deliveries,
    policy,
    cashierPath,
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    listenTls: (options) => listenTls(options, sim.app ?? express().use(router)),
    reset,
  };
  // `createSimulator` passes its simulator object: expose the host on it as `sim.pay`.
  if (sim && typeof sim === 'object' && !('pay' in sim) && Object.isExtensible(sim)) {
    Object.defineProperty(sim, 'pay', { value: host, enumerable: true });
  }
  return host;
}
