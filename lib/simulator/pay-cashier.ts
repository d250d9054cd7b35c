import express, { type Request, type Response, type Router } from 'express';
import { DEFAULT_MERCHANT_NAME } from './pages';
import type { NotifyDelivery } from './pay-notify';
import { cashierPage, errorPage, paidPage } from './pay-pages';
import { PayBizFail, type PayLedger, type SimOrder } from './pay-state';
import type { SimMerchant } from './types';

export interface CashierHost {
  ledger: PayLedger;
  merchants(): readonly SimMerchant[];
  /** The simulator's apps: a merchant without a `name` shows its app's. */
  apps?(): readonly { appid: string; name?: string }[];
  /** Mark the order paid by `user` and start its notify deliveries; resolves with the first. */
  pay(order: SimOrder, user: string): Promise<NotifyDelivery>;
}

/** Path of the cashier page for an order (prefix it with the simulator's URL). */
export function cashierPath(prepayId: string, redirectUrl?: string): string {
  const q = new URLSearchParams({ prepay_id: prepayId, ...(redirectUrl ? { redirect_url: redirectUrl } : {}) });
  return `/sim/pay/cashier?${q}`;
}

/**
 * The payer's side: `GET /sim/pay/cashier?prepay_id=…&redirect_url=…` shows the order and a
 * `#pay` button; the POST pays it, waits for the first notify delivery (as the payer comes back
 * to the shop about when WeChat has told it), then redirects to `redirect_url`.
 */
export function mountCashier(router: Router, host: CashierHost): void {
  const orderFor = (id: string | undefined) => {
    if (!id) return undefined;
    const byPrepay = host.ledger.order(id);
    if (byPrepay) return byPrepay;
    // A NATIVE code_url (weixin://wxpay/bizpayurl?pr=…) names the order by its `pr`.
    return host
      .merchants()
      .flatMap((m) => host.ledger.ordersOf(m.mchid))
      .find((o) => o.codeUrl?.endsWith(`pr=${id}`));
  };

  router.get('/sim/pay/cashier', (req: Request, res: Response) => {
    const order = orderFor(str(req.query.prepay_id) ?? str(req.query.pr));
    if (!order) return void res.status(404).type('html').send(errorPage('订单不存在 (unknown or missing prepay_id)', 'ORDERNOTEXIST'));
    const page = cashierPage(order, merchantName(host, order), safeRedirect(str(req.query.redirect_url)), str(req.query.sim_user) ?? 'alice', host.ledger.expired(order));
    res.set('Cache-Control', 'no-store').type('html').send(page);
  });

  router.post('/sim/pay/cashier', express.urlencoded({ extended: false, limit: '16kb' }), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const order = orderFor(str(body.prepay_id));
    if (!order) return void res.status(404).type('html').send(errorPage('订单不存在 (unknown or missing prepay_id)', 'ORDERNOTEXIST'));
    let first: NotifyDelivery;
    try {
      first = await host.pay(order, str(body.user) ?? 'alice');
    } catch (error) {
      return void res.status(409).type('html').send(errorPage(error instanceof PayBizFail ? error.errCodeDes : '系统繁忙，请稍后再试', error instanceof PayBizFail ? error.errCode : 'SYSTEMERROR'));
    }
    const redirect = safeRedirect(str(body.redirect_url));
    if (redirect) return void res.redirect(303, redirect);
    res.type('html').send(paidPage(order, first.ok ? 'The merchant confirmed the notify.' : `The merchant did not confirm the notify (HTTP ${first.status}); WeChat retries.`));
  });
}

/** The payee as WeChat shows it: the merchant's name, else its app's, else "演示商户 (Demo merchant)" — never the mch_id. */
function merchantName(host: CashierHost, order: SimOrder): string {
  const merchant = host.merchants().find((m) => m.mchid === order.mchid);
  if (typeof merchant?.name === 'string' && merchant.name) return merchant.name;
  const app = host.apps?.().find((a) => a.appid === order.appid || a.appid === merchant?.appid);
  return app?.name ?? DEFAULT_MERCHANT_NAME;
}

function str(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v ? v : undefined;
}

/** Only absolute http(s) URLs: the cashier must not become a `javascript:` launcher. */
function safeRedirect(url: string | undefined): string {
  return url && /^https?:\/\/[^\s]+$/i.test(url) ? url : '';
}
