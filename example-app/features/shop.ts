/**
 * The shop part of the example app: products → order (unified order, NATIVE) → "Pay" on the
 * simulator's cashier → the signed notify marks the order paid (once) → Refund → refund notify.
 * Orders live in memory; a real shop keeps them in its database and updates them in the handlers.
 *
 * What to copy from it: buying needs a login and an order belongs to the buyer's openid (someone
 * else's order is a 404, for viewing, syncing and refunding alike); order numbers are random, not
 * counters; notify URLs come from configuration (BASE_URL), never from a request's Host header.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { isWxAuthError, WxAuthError, type PayCertificate, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import { esc, page, type NavLink } from '../layout';
import type { ExampleContext } from '../app';

export const nav: NavLink[] = [{ href: '/shop', label: 'Shop' }];

const PRODUCTS = [
  { id: 'tea', name: 'Green tea', fee: 1200 },
  { id: 'mug', name: 'Tea mug', fee: 3500 },
  { id: 'sample', name: 'Sample pack', fee: 1 },
];

interface Order {
  id: string;
  /** The buyer's openid: only they see, sync or refund the order. */
  owner: string;
  product: string;
  totalFee: number;
  /** WeChat's trade_state as we know it: NOTPAY → SUCCESS (notify) → REFUND (refund accepted). */
  state: string;
  prepayId: string;
  codeUrl?: string;
  transactionId?: string;
  refundStatus?: string;
}

/**
 * `pay` options: the simulator's merchant offline (with a throwaway client certificate made by
 * openssl, so refunds work), or WX_PAY_* from the environment against the real WeChat Pay.
 */
export function options(context: ExampleContext): Partial<WxAuthOptions> {
  const { env } = context;
  const merchant = context.credentials.merchant;
  if (merchant?.appid) {
    const cert = throwawayCertificate(merchant.mchid);
    return { pay: { appid: merchant.appid, mchid: merchant.mchid, key: merchant.key, clientIp: '127.0.0.1', sendName: 'Example Shop', ...(cert ? { cert } : {}) } };
  }
  if (env.WX_PAY_MCHID && env.WX_PAY_KEY && (env.WX_PAY_APPID ?? env.WX_MP_APPID)) {
    return {
      pay: {
        appid: (env.WX_PAY_APPID ?? env.WX_MP_APPID)!,
        mchid: env.WX_PAY_MCHID,
        key: env.WX_PAY_KEY,
        ...(env.WX_PAY_CLIENT_IP ? { clientIp: env.WX_PAY_CLIENT_IP } : {}),
        ...(env.WX_PAY_PFX ? { cert: { pfx: readFileSync(env.WX_PAY_PFX), ...(env.WX_PAY_PFX_PASSPHRASE ? { passphrase: env.WX_PAY_PFX_PASSPHRASE } : {}) } } : {}),
      },
    };
  }
  return {};
}

/**
 * An out_trade_no nobody can guess or enumerate: 18 bytes from the CSPRNG in base64url (24 of
 * A-Z a-z 0-9 _ -), behind a prefix — 26 characters, within WeChat's 32.
 */
export function newOrderId(): string {
  return `EX${randomBytes(18).toString('base64url')}`;
}

export function register(app: Express, router: WxAuthRouter, context?: ExampleContext): void {
  const orders = new Map<string, Order>();
  /** The order named in the URL, if it is the logged-in user's (else the same 404 as no order). */
  const ownOrder = (req: Request) => {
    const order = orders.get(String(req.params.id));
    return order && req.wxauth && order.owner === req.wxauth.openid ? order : undefined;
  };
  /**
   * The notify URL, from configuration only. With BASE_URL, wxauth builds it (`baseUrl` +
   * `/wxpay/:type/callback`); offline, from the address the example listens on. A request's Host
   * header never decides where WeChat sends the payment result.
   */
  const notifyUrlFor = (type: string) => (context?.env.BASE_URL || !context?.baseUrl ? undefined : `${context.baseUrl}/wxpay/${type}/callback`);
  const render = (req: Request, title: string, body: string) => page(title, body, { nav: context?.nav ?? nav, loggedIn: !!req.wxauth });
  let configured = true;
  try {
    void router.pay;
  } catch {
    configured = false;
  }

  if (configured) {
    // The amount is checked against our order BEFORE the handler runs; the handler is then called
    // once per transaction, however often (and on however many processes) WeChat delivers it.
    router.pay
      .onNotify(
        async (paid, type) => {
          const order = orders.get(paid.outTradeNo);
          if (!order || type !== 'shop') throw new Error('unknown order');
          if (order.state === 'NOTPAY') Object.assign(order, { state: 'SUCCESS', transactionId: paid.transactionId });
        },
        { amountOf: (outTradeNo) => orders.get(outTradeNo)?.totalFee },
      )
      .onRefundNotify(async (refund) => {
        const order = orders.get(refund.outTradeNo);
        if (order) order.refundStatus = refund.refundStatus;
      });
  }

  app.get('/shop', (req, res) => {
    if (!configured) return void res.type('html').send(render(req, 'Shop', '<h1>Shop</h1><p>WeChat Pay is not configured (set WX_PAY_MCHID, WX_PAY_KEY).</p>'));
    const buyer = req.wxauth?.openid;
    // Buying needs a login: the order is then the buyer's (their openid), and only theirs.
    const buy = (p: (typeof PRODUCTS)[number]) =>
      buyer
        ? `\n<form method="post" action="/shop/orders" style="display:inline"><input type="hidden" name="product" value="${esc(p.id)}">
<button id="buy-${esc(p.id)}" type="submit">Buy</button></form>`
        : '';
    const items = PRODUCTS.map((p) => `<li>${esc(p.name)} — ¥${(p.fee / 100).toFixed(2)}${buy(p)}</li>`).join('');
    if (!buyer) {
      const login = '<p><a id="login-to-buy" class="button" href="/oauth/wechat/login?next=%2Fshop">Log in to buy</a></p>';
      return void res.type('html').send(render(req, 'Shop', `<h1>Shop</h1><ul id="products">${items}</ul>${login}`));
    }
    const mine = [...orders.values()].filter((o) => o.owner === buyer).reverse();
    const list = mine.map((o) => `<li><a href="/shop/orders/${esc(o.id)}">${esc(o.id)}</a> ${esc(o.product)} — ${esc(o.state)}</li>`).join('');
    res.set('Cache-Control', 'no-store').type('html').send(render(req, 'Shop', `<h1>Shop</h1><ul id="products">${items}</ul><h2>Your orders</h2><ul id="orders">${list || '<li>none yet</li>'}</ul>`));
  });

  app.post('/shop/orders', sameOrigin, loggedIn, express.urlencoded({ extended: false, limit: '4kb' }), async (req, res, next) => {
    const product = PRODUCTS.find((p) => p.id === (req.body as Record<string, unknown>)?.product);
    if (!product) return void res.status(400).send('unknown product');
    const id = newOrderId();
    try {
      const notifyUrl = notifyUrlFor('shop');
      if (!notifyUrl && !context?.env.BASE_URL) throw new WxAuthError('config_error', 'set BASE_URL (the public origin WeChat Pay sends notifies to)', { field: 'baseUrl' });
      const r = await router.pay.prepay({
        body: product.name,
        outTradeNo: id,
        totalFee: product.fee,
        tradeType: 'NATIVE',
        type: 'shop',
        spbillCreateIp: req.ip?.replace(/^::ffff:/, '') || undefined,
        ...(notifyUrl ? { notifyUrl } : {}),
      });
      orders.set(id, { id, owner: req.wxauth!.openid, product: product.name, totalFee: product.fee, state: 'NOTPAY', prepayId: r.prepayId, ...(r.codeUrl ? { codeUrl: r.codeUrl } : {}) });
      res.redirect(303, `/shop/orders/${id}`);
    } catch (error) {
      next(error);
    }
  });

  app.get('/shop/orders/:id', router.requireLogin(), (req, res) => {
    const order = ownOrder(req);
    if (!order) return void res.status(404).type('html').send(render(req, 'Order', '<h1>No such order</h1>'));
    // Where the cashier sends this browser back: its own origin (a spoofed Host only misleads the
    // spoofer). Nothing stored or sent to WeChat is built from the Host header.
    const self = `${req.protocol}://${req.get('host')}/shop/orders/${order.id}`;
    const cashier = context?.simulatorUrl
      ? `${context.simulatorUrl}/sim/pay/cashier?${new URLSearchParams({ prepay_id: order.prepayId, redirect_url: self })}`
      : undefined;
    const actions =
      order.state === 'NOTPAY'
        ? `${cashier ? `<a id="pay-button" class="button" href="${esc(cashier)}">Pay with WeChat</a>` : ''}
<p>Or scan <code id="code-url">${esc(order.codeUrl ?? '')}</code> with WeChat.</p>
<form method="post" action="/shop/orders/${esc(order.id)}/sync"><button id="sync" type="submit" class="secondary">Refresh status</button></form>`
        : order.state === 'SUCCESS'
          ? `<form method="post" action="/shop/orders/${esc(order.id)}/refund"><button id="refund" type="submit">Refund</button></form>`
          : '';
    const body = `<h1>Order ${esc(order.id)}</h1>
<dl><dt>Product</dt><dd>${esc(order.product)}</dd><dt>Amount</dt><dd>¥${(order.totalFee / 100).toFixed(2)}</dd>
<dt>State</dt><dd id="order-state">${esc(order.state)}</dd><dt>Transaction</dt><dd id="transaction-id">${esc(order.transactionId ?? '—')}</dd>
<dt>Refund</dt><dd id="refund-status">${esc(order.refundStatus ?? '—')}</dd></dl>${actions}`;
    res.set('Cache-Control', 'no-store').type('html').send(render(req, `Order ${order.id}`, body));
  });

  // Ask WeChat (orderquery) instead of waiting for the notify: the fallback when a notify is late.
  app.post('/shop/orders/:id/sync', sameOrigin, loggedIn, async (req, res, next) => {
    const order = ownOrder(req);
    if (!order) return void res.status(404).send('no such order');
    try {
      const q = await router.pay.orderQuery({ outTradeNo: order.id });
      if (q.tradeState === 'SUCCESS' && q.totalFee === order.totalFee && order.state === 'NOTPAY') Object.assign(order, { state: 'SUCCESS', transactionId: q.transactionId });
      res.redirect(303, `/shop/orders/${order.id}`);
    } catch (error) {
      next(error);
    }
  });

  app.post('/shop/orders/:id/refund', sameOrigin, loggedIn, async (req, res, next) => {
    const order = ownOrder(req);
    if (!order) return void res.status(404).send('no such order');
    if (order.state !== 'SUCCESS') return void res.status(409).send('only a paid order can be refunded');
    try {
      const notifyUrl = notifyUrlFor('refund');
      // The refund number is derived from the order: sending it again (after a timeout) is safe.
      await router.pay.refund({ outTradeNo: order.id, outRefundNo: `${order.id}R`, totalFee: order.totalFee, refundFee: order.totalFee, ...(notifyUrl ? { notifyUrl } : {}) });
      order.state = 'REFUND';
      order.refundStatus ??= 'PROCESSING';
      res.redirect(303, `/shop/orders/${order.id}`);
    } catch (error) {
      next(error);
    }
  });

  // WeChat Pay failures as a small page; the code is safe to show (no secrets in it).
  app.use('/shop', (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!isWxAuthError(error)) return next(error);
    res.status(error.status).type('html').send(render(req, 'Shop', `<h1>Payment error</h1><p id="pay-error">${esc(error.code)}: ${esc(error.message)}</p>`));
  });
}

/** A form POST needs a login (no redirect: the login would come back as a GET). */
function loggedIn(req: Request, res: Response, next: NextFunction): void {
  if (!req.wxauth) return void res.status(401).type('html').send('<p>Log in first: <a href="/oauth/wechat/login?next=%2Fshop">log in</a></p>');
  next();
}

/** Forms come from our own pages: refuse a cross-site POST (a cheap CSRF guard for the demo). */
function sameOrigin(req: Request, res: Response, next: NextFunction): void {
  const origin = req.get('origin');
  if (origin && origin !== `${req.protocol}://${req.get('host')}`) return void res.status(403).send('cross-site request refused');
  if (req.get('sec-fetch-site') === 'cross-site') return void res.status(403).send('cross-site request refused');
  next();
}

/** A client certificate for the simulator's merchant, so the example can refund (offline only). */
function throwawayCertificate(mchid: string): PayCertificate | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-example-'));
  try {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', `/CN=${mchid}`, '-days', '30');
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } catch {
    console.warn('example: openssl not found; refunds are disabled (no merchant certificate).');
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
