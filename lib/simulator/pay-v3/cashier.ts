/**
 * The payer's side of v3: the JSAPI cashier behind the `WeixinJSBridge` stand-in (paySign checked),
 * the Native page with a real QR image of `code_url`, the H5 page behind `h5_url`, and the
 * transfer confirmation behind `requestMerchantTransfer`.
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import QRCode from 'qrcode';
import { DEFAULT_MERCHANT_NAME } from '../pages';
import { V3Fail } from './api';
import { rsaVerify } from './crypto';
import { WEIXIN_JSBRIDGE_JS } from './jsbridge';
import type { V3Ledger, V3Order } from './ledger';
import type { V3Merchant } from './merchants';
import type { V3NotifyDelivery } from './notify';
import { cashierPage, errorPage, nativePage, paidPage, receivedPage, transferPage } from './pages';
import type { V3Transfer, V3Transfers } from './transfers';

export interface V3CashierHost {
  ledger: V3Ledger;
  transfers: V3Transfers;
  merchant(mchid: string): V3Merchant | undefined;
  now(): number;
  /** The simulator user behind an openid it issued. */
  userOf(appid: string, openid: string): string | undefined;
  /** Mark paid by `user` and start the notify; resolves with its first delivery. */
  pay(order: V3Order, user: string): Promise<V3NotifyDelivery | undefined>;
  /** The user accepted a transfer: SUCCESS and its notify (first delivery awaited). */
  confirmTransfer(bill: V3Transfer): Promise<V3NotifyDelivery | undefined>;
}

/** h5_url is valid for 5 minutes, as WeChat's. */
const H5_TTL = 5 * 60_000;

function q(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v ? v : undefined;
}

/** English for the refusals the payer can meet (the Chinese text stays as WeChat words it). */
const GLOSS: Record<string, string> = {
  ORDERPAID: 'The order is already paid.',
  ORDER_CLOSED: 'The order is closed or expired: place a new order.',
  NOT_ENOUGH: "The merchant's balance is too low for this transfer.",
  NOT_FOUND: 'No such transfer.',
};

function glossOf(error: unknown, fallback: string): string {
  return (error instanceof V3Fail && GLOSS[error.code]) || fallback;
}

/** Only absolute http(s) URLs: the cashier must not become a `javascript:` launcher. */
function safeRedirect(url: string | undefined): string {
  return url && /^https?:\/\/[^\s]+$/i.test(url) ? url : '';
}

export function mountV3Cashier(router: Router, host: V3CashierHost): { h5Url(origin: string, order: V3Order): string; reset(): void } {
  let h5 = new Map<string, { prepayId: string; expiresAt: number }>();
  const nameOf = (mchid: string) => host.merchant(mchid)?.name ?? DEFAULT_MERCHANT_NAME;

  const showCashier = (res: Response, order: V3Order, redirectUrl: string, embed: boolean, user?: string) => {
    const fixed = order.openid ? host.userOf(order.appid, order.openid) : undefined;
    const expired = host.ledger.expired(order) && order.state === 'NOTPAY';
    res.set('Cache-Control', 'no-store').type('html').send(
      cashierPage({
        order,
        merchantName: nameOf(order.mchid),
        user: fixed ?? user ?? 'alice',
        userFixed: Boolean(order.openid),
        redirectUrl,
        embed,
        payable: order.state === 'NOTPAY' && !expired,
        status: expired ? 'EXPIRED' : order.state,
      }),
    );
  };
  /** An error page: WeChat's words (`message`), the English `gloss`, and a way back. */
  const fail = (res: Response, status: number, message: string, gloss: string, embed = false) =>
    void res.status(status).set('Cache-Control', 'no-store').type('html').send(errorPage(message, gloss, embed));

  router.get('/sim/weixin-jsbridge.js', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/javascript').send(WEIXIN_JSBRIDGE_JS);
  });

  // getBrandWCPayRequest: what WeChat checks before its cashier shows — the paySign above all.
  router.get('/sim/pay/v3/jsapi', (req: Request, res: Response) => {
    const embed = q(req.query.embed) === '1';
    const [appId, timeStamp, nonceStr, pkg, signType, paySign] = ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign'].map((n) => q(req.query[n]));
    const order = pkg?.startsWith('prepay_id=') ? host.ledger.byPrepayId(pkg.slice('prepay_id='.length)) : undefined;
    if (!appId || !timeStamp || !nonceStr || !pkg || !paySign) return fail(res, 400, '调用支付jsapi缺少参数', 'getBrandWCPayRequest: appId, timeStamp, nonceStr, package and paySign are required.', embed);
    if (signType !== 'RSA') return fail(res, 400, '支付验证签名失败', 'getBrandWCPayRequest: signType must be "RSA" for WeChat Pay v3.', embed);
    if (!order) return fail(res, 404, '订单不存在', 'getBrandWCPayRequest: package must be "prepay_id=…" of an order.', embed);
    if (order.appid !== appId) return fail(res, 400, '商户参数错误', 'getBrandWCPayRequest: appId is not the order’s appid.', embed);
    const m = host.merchant(order.mchid);
    if (!m || !rsaVerify(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, paySign, m.merchantKey)) return fail(res, 400, '支付验证签名失败', 'paySign does not verify with the merchant key (sign appId, timeStamp, nonceStr and package, each followed by a newline).', embed);
    showCashier(res, order, '', embed);
  });

  router.get('/sim/pay/v3/cashier', (req: Request, res: Response) => {
    const id = q(req.query.prepay_id);
    const pr = q(req.query.pr);
    const order = id ? host.ledger.byPrepayId(id) : pr ? host.ledger.byPr(pr) : undefined;
    if (!order) return fail(res, 404, '订单不存在', 'Unknown or missing prepay_id.');
    showCashier(res, order, safeRedirect(q(req.query.redirect_url)), q(req.query.embed) === '1', q(req.query.sim_user));
  });

  router.get('/sim/pay/v3/h5', (req: Request, res: Response) => {
    const entry = h5.get(q(req.query.token) ?? '');
    const order = entry && host.ledger.byPrepayId(entry.prepayId);
    if (!entry || !order) return fail(res, 404, '链接无效', 'Unknown h5_url.');
    if (host.now() > entry.expiresAt) return fail(res, 410, '链接已过期', 'An h5_url is valid for 5 minutes: place the order again for a new one.');
    showCashier(res, order, safeRedirect(q(req.query.redirect_url)), false);
  });

  router.post('/sim/pay/v3/cashier', express.urlencoded({ extended: false, limit: '16kb' }), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const embed = q(body.embed) === '1';
    const order = host.ledger.byPrepayId(q(body.prepay_id) ?? '');
    if (!order) return fail(res, 404, '订单不存在', 'Unknown or missing prepay_id.', embed);
    const fixed = order.openid ? host.userOf(order.appid, order.openid) : undefined;
    let first: V3NotifyDelivery | undefined;
    try {
      first = await host.pay(order, fixed ?? q(body.user) ?? 'alice');
    } catch (error) {
      return fail(res, 409, error instanceof V3Fail ? error.message : '系统繁忙，请稍后再试', glossOf(error, 'WeChat Pay refused the payment.'), embed);
    }
    const notified = !first ? 'No notify was sent.' : first.ok ? 'The merchant confirmed the notify.' : `The merchant did not confirm the notify (HTTP ${first.status}); WeChat retries.`;
    res.set('Cache-Control', 'no-store').type('html').send(paidPage(order, nameOf(order.mchid), notified, safeRedirect(q(body.redirect_url)), embed));
  });

  router.get('/sim/pay/v3/native', (req: Request, res: Response) => {
    const order = host.ledger.byPr(q(req.query.pr) ?? '');
    if (!order) return fail(res, 404, '二维码已失效', 'Unknown code_url (pr).');
    res.set('Cache-Control', 'no-store').type('html').send(nativePage(order, nameOf(order.mchid), `/sim/pay/v3/qr/${order.pr}.png`, `/sim/pay/v3/cashier?pr=${order.pr}`));
  });

  // A real QR code of the order's code_url (what the merchant would show for Native payment).
  router.get('/sim/pay/v3/qr/:file', async (req: Request, res: Response) => {
    const order = host.ledger.byPr(String(req.params.file).replace(/\.png$/, ''));
    if (!order?.codeUrl) return fail(res, 404, '二维码已失效', 'Unknown code_url.');
    const png = await QRCode.toBuffer(order.codeUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 });
    res.set('Cache-Control', 'no-store').type('image/png').send(png);
  });

  router.get('/sim/pay/v3/transfer', (req: Request, res: Response) => {
    const embed = q(req.query.embed) === '1';
    const bill = host.transfers.byPackage(q(req.query.package) ?? '');
    if (!bill) return fail(res, 404, '记录不存在', 'requestMerchantTransfer: unknown package.', embed);
    const appId = q(req.query.appId);
    const mchId = q(req.query.mchId);
    if ((appId && appId !== bill.appid) || (mchId && mchId !== bill.mchid)) return fail(res, 400, '商户参数错误', 'requestMerchantTransfer: appId / mchId do not match the transfer.', embed);
    res.set('Cache-Control', 'no-store').type('html').send(transferPage(bill, nameOf(bill.mchid), embed));
  });

  router.post('/sim/pay/v3/transfer', express.urlencoded({ extended: false, limit: '16kb' }), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const embed = q(body.embed) === '1';
    const bill = host.transfers.byPackage(q(body.package) ?? '');
    if (!bill) return fail(res, 404, '记录不存在', 'requestMerchantTransfer: unknown package.', embed);
    try {
      await host.confirmTransfer(bill);
    } catch (error) {
      return fail(res, 409, error instanceof V3Fail ? error.message : '系统繁忙，请稍后再试', glossOf(error, 'The transfer could not be confirmed.'), embed);
    }
    res.set('Cache-Control', 'no-store').type('html').send(receivedPage(bill, nameOf(bill.mchid), embed));
  });

  return {
    h5Url(origin, order) {
      const token = randomBytes(18).toString('base64url');
      h5.set(token, { prepayId: order.prepayId, expiresAt: host.now() + H5_TTL });
      return `${origin}/sim/pay/v3/h5?token=${token}`;
    },
    reset() {
      h5 = new Map();
    },
  };
}
