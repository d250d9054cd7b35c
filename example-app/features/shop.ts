/**
 * The shop part of the example app: products → order → pay → the verified notify marks the order
 * paid (once) → Refund → refund notify. WeChat Pay v3 by default (`PAY_API=v2` for v2), through
 * the channel the buyer's browser can use: JSAPI inside WeChat (`WeixinJSBridge`), a Native QR
 * code on a desktop, H5 in other mobile browsers. Orders live in memory; a real shop keeps them
 * in its database and updates them in the handlers.
 *
 * What to copy from it: buying needs a login and an order belongs to the buyer's openid (someone
 * else's order is a 404, for viewing, syncing and refunding alike); order numbers are random, not
 * counters; notify URLs come from configuration (BASE_URL), never from a request's Host header.
 */
import { randomBytes } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import QRCode from 'qrcode';
import { isWxAuthError, WxAuthError, type WxAuthOptions, type WxAuthRouter, type WxIdentity } from '../../lib';
import { esc, page, type NavLink } from '../layout';
import type { ExampleContext } from '../context';
import { SHOP_JS } from './shop-client';
import { createShopPay, payApiOf, payOptions, PAY_SETTINGS, type Channel, type Checkout, type ShopPay } from './shop-pay';

export { payApiOf } from './shop-pay';
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
  /** WeChat's trade_state as we know it: NOTPAY → SUCCESS (notify or query) → REFUND (refund accepted). */
  state: 'NOTPAY' | 'SUCCESS' | 'REFUND';
  checkout: Checkout;
  /** The Native QR code of code_url, as a PNG data URL. */
  qr?: string;
  transactionId?: string;
  refundStatus?: string;
  /** What happened, oldest first (each notify handler run adds one line: it runs once per payment). */
  history: string[];
}

export function options(context: ExampleContext): Partial<WxAuthOptions> {
  return payOptions(context);
}

/**
 * An out_trade_no nobody can guess or enumerate: 18 bytes from the CSPRNG in base64url (24 of
 * A-Z a-z 0-9 _ -), behind a prefix — 26 characters, within WeChat's 32.
 */
export function newOrderId(): string {
  return `EX${randomBytes(18).toString('base64url')}`;
}

/**
 * JSAPI inside WeChat when the login is under the pay AppID (the openid must be of that app);
 * H5 in other mobile browsers; else a Native QR code to scan with the phone.
 */
export function channelFor(userAgent: string, identity: WxIdentity, pay: Pick<ShopPay, 'channels' | 'appid'>): Channel {
  const inWeChat = /MicroMessenger/i.test(userAgent);
  if (inWeChat && pay.channels.includes('JSAPI') && identity.appid === pay.appid) return 'JSAPI';
  if (!inWeChat && /Mobile|Android|iPhone|iPad/i.test(userAgent) && pay.channels.includes('H5')) return 'H5';
  return 'NATIVE';
}

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;
/** JSON inside a <script> element: no `</script>` can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export function register(app: Express, router: WxAuthRouter, context?: ExampleContext): void {
  const orders = new Map<string, Order>();
  /** The order named in the URL, if it is the logged-in user's (else the same 404 as no order). */
  const ownOrder = (req: Request) => {
    const order = orders.get(String(req.params.id));
    return order && req.wxauth && order.owner === req.wxauth.openid ? order : undefined;
  };
  /**
   * The notify URL, from configuration only. With BASE_URL, wxauth builds it (`baseUrl` +
   * `/wxpay/v3/:type/callback`); offline, from the address the example listens on. A request's
   * Host header never decides where WeChat sends the payment result.
   */
  const notifyUrlFor = (path: string) => (context?.env.BASE_URL || !context?.baseUrl ? undefined : `${context.baseUrl}${path}`);
  const render = (req: Request, title: string, body: string, head?: string) => page(title, body, { nav: context?.nav ?? nav, loggedIn: !!req.wxauth, ...(head ? { head } : {}) });
  const api = payApiOf(context?.env ?? {});
  let pay: ShopPay | undefined;
  try {
    if (context) pay = createShopPay(router, context, notifyUrlFor);
  } catch (error) {
    if (!isWxAuthError(error) || error.code !== 'config_error') throw error; // no `pay` configured: the shop says so
  }

  pay?.listen({
    amountOf: (outTradeNo) => orders.get(outTradeNo)?.totalFee,
    paid(outTradeNo, transactionId) {
      const order = orders.get(outTradeNo);
      if (!order) throw new Error('unknown order');
      order.history.push(`notify: paid, transaction ${transactionId}`);
      if (order.state === 'NOTPAY') Object.assign(order, { state: 'SUCCESS', transactionId });
    },
    refunded(outTradeNo, status) {
      const order = orders.get(outTradeNo);
      if (!order) throw new Error('unknown order');
      order.history.push(`notify: refund ${status}`);
      Object.assign(order, { state: 'REFUND', refundStatus: status });
    },
  });

  app.get('/shop/shop.js', (_req, res) => void res.set('Cache-Control', 'no-cache').type('application/javascript').send(SHOP_JS));

  app.get('/shop', (req, res) => {
    if (!pay) return void res.type('html').send(render(req, 'Shop', `<h1>Shop</h1><p>WeChat Pay ${api} is not configured (set ${esc(PAY_SETTINGS[api])}).</p>`));
    const buyer = req.wxauth?.openid;
    // Buying needs a login: the order is then the buyer's (their openid), and only theirs.
    const buy = (p: (typeof PRODUCTS)[number]) =>
      buyer
        ? `\n<form method="post" action="/shop/orders" style="display:inline"><input type="hidden" name="product" value="${esc(p.id)}">
<button id="buy-${esc(p.id)}" type="submit">Buy</button></form>`
        : '';
    const items = PRODUCTS.map((p) => `<li>${esc(p.name)} — ${yuan(p.fee)}${buy(p)}</li>`).join('');
    const via = `<p id="pay-api">Payments: WeChat Pay ${esc(api)}</p>`;
    if (!buyer) {
      const login = '<p><a id="login-to-buy" class="button" href="/oauth/wechat/login?next=%2Fshop">Log in to buy</a></p>';
      return void res.type('html').send(render(req, 'Shop', `<h1>Shop</h1><ul id="products">${items}</ul>${login}${via}`));
    }
    const mine = [...orders.values()].filter((o) => o.owner === buyer).reverse();
    const list = mine.map((o) => `<li><a href="/shop/orders/${esc(o.id)}">${esc(o.id)}</a> ${esc(o.product)} — ${esc(o.state)}</li>`).join('');
    res.set('Cache-Control', 'no-store').type('html').send(render(req, 'Shop', `<h1>Shop</h1><ul id="products">${items}</ul>${via}<h2>Your orders</h2><ul id="orders">${list || '<li>none yet</li>'}</ul>`));
  });

  app.post('/shop/orders', sameOrigin, loggedIn, express.urlencoded({ extended: false, limit: '4kb' }), async (req, res, next) => {
    const product = PRODUCTS.find((p) => p.id === (req.body as Record<string, unknown>)?.product);
    if (!product) return void res.status(400).send('unknown product');
    if (!pay) return void res.status(503).send('WeChat Pay is not configured');
    const id = newOrderId();
    try {
      if (!notifyUrlFor('/') && !context?.env.BASE_URL) throw new WxAuthError('config_error', 'set BASE_URL (the public origin WeChat Pay sends notifies to)', { field: 'baseUrl' });
      const channel = channelFor(req.get('user-agent') ?? '', req.wxauth!, pay);
      const ip = req.ip?.replace(/^::ffff:/, '') || undefined;
      const checkout = await pay.checkout({ outTradeNo: id, description: product.name, total: product.fee, channel, openid: req.wxauth!.openid, ...(ip ? { ip } : {}) });
      const qr = checkout.codeUrl ? await qrDataUrl(checkout.codeUrl) : undefined;
      const history = [`created: ${pay.api} ${channel} payment`];
      orders.set(id, { id, owner: req.wxauth!.openid, product: product.name, totalFee: product.fee, state: 'NOTPAY', checkout, ...(qr ? { qr } : {}), history });
      res.redirect(303, `/shop/orders/${id}`);
    } catch (error) {
      next(error);
    }
  });

  app.get('/shop/orders/:id', router.requireLogin(), (req, res, next) => {
    const order = ownOrder(req);
    if (!order || !pay) return void res.status(404).type('html').send(render(req, 'Order', '<h1>No such order</h1>'));
    try {
      // Where the cashier sends this browser back: its own origin (a spoofed Host only misleads
      // the spoofer). Nothing stored or sent to WeChat is built from the Host header.
      const self = `${req.protocol}://${req.get('host')}/shop/orders/${order.id}`;
      const { html, head } = order.state === 'NOTPAY' ? payPart(pay, order, self, context?.simulatorUrl) : { html: '', head: '' };
      const actions = order.state === 'SUCCESS' ? `<form method="post" action="/shop/orders/${esc(order.id)}/refund"><button id="refund" type="submit">Refund</button></form>` : '';
      const status = statusLine(order);
      const body = `<h1>Order ${esc(order.id)}</h1>
${status ? `<p id="order-status" class="notice" role="status">${esc(status)}</p>` : ''}<div id="order" data-state="${esc(order.state)}" data-refund="${esc(order.refundStatus ?? '')}" data-status-url="/shop/orders/${esc(order.id)}/status">
<dl><dt>Product</dt><dd>${esc(order.product)}</dd><dt>Amount</dt><dd>${yuan(order.totalFee)}</dd>
<dt>Payment</dt><dd id="channel">WeChat Pay ${esc(pay.api)} ${esc(order.checkout.channel)}</dd>
<dt>State</dt><dd id="order-state">${esc(order.state)}</dd><dt>Transaction</dt><dd id="transaction-id">${esc(order.transactionId ?? '—')}</dd>
<dt>Refund</dt><dd id="refund-status">${esc(order.refundStatus ?? '—')}</dd></dl>
${html}${actions}<p id="pay-message" role="status"></p>
<h2>History</h2><ol id="history">${order.history.map((h) => `<li>${esc(h)}</li>`).join('')}</ol></div>`;
      res.set('Cache-Control', 'no-store').type('html').send(render(req, `Order ${order.id}`, body, `${head}<script src="/shop/shop.js" defer></script>`));
    } catch (error) {
      next(error);
    }
  });

  // What the order page polls while a payment or refund is under way.
  app.get('/shop/orders/:id/status', loggedIn, (req, res) => {
    const order = ownOrder(req);
    if (!order) return void res.status(404).json({ error: 'no such order' });
    res.set('Cache-Control', 'no-store').json({ state: order.state, refundStatus: order.refundStatus ?? null });
  });

  // Ask WeChat (order query) instead of waiting for the notify: the fallback when a notify is late.
  app.post('/shop/orders/:id/sync', sameOrigin, loggedIn, async (req, res, next) => {
    const order = ownOrder(req);
    if (!order || !pay) return void res.status(404).send('no such order');
    try {
      const q = await pay.query(order.id);
      if (q.paid && q.total === order.totalFee && order.state === 'NOTPAY') {
        Object.assign(order, { state: 'SUCCESS', transactionId: q.transactionId });
        order.history.push(`order query: paid, transaction ${q.transactionId}`);
      }
      res.redirect(303, `/shop/orders/${order.id}`);
    } catch (error) {
      next(error);
    }
  });

  app.post('/shop/orders/:id/refund', sameOrigin, loggedIn, async (req, res, next) => {
    const order = ownOrder(req);
    if (!order || !pay) return void res.status(404).send('no such order');
    if (order.state !== 'SUCCESS') return void res.status(409).send('only a paid order can be refunded');
    try {
      const status = await pay.refund(order.id, order.totalFee);
      order.history.push(`refund requested: ${status}`);
      order.state = 'REFUND';
      order.refundStatus ??= status; // the refund notify may have come first
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

/** What the buyer is told once the order is paid or refunded (the refund button's feedback, too). */
function statusLine(order: Order): string | undefined {
  if (order.state === 'SUCCESS') return `Paid ${yuan(order.totalFee)}. Thank you!`;
  if (order.state !== 'REFUND') return undefined;
  if (order.refundStatus === 'SUCCESS') return `Refunded: ${yuan(order.totalFee)} is back in your WeChat Pay.`;
  if (order.refundStatus === 'PROCESSING' || !order.refundStatus) return `Refund of ${yuan(order.totalFee)} requested: WeChat Pay is processing it (this page updates by itself).`;
  return `Refund of ${yuan(order.totalFee)}: ${order.refundStatus}. Contact the shop if this is not what you expected.`;
}

/** The unpaid order's way to pay, per channel; `head` loads the simulator's WeixinJSBridge stand-in for JSAPI offline. */
function payPart(pay: ShopPay, order: Order, self: string, simulatorUrl?: string): { html: string; head: string } {
  const c = order.checkout;
  const sync = `<form method="post" action="/shop/orders/${esc(order.id)}/sync"><button id="sync" type="submit" class="secondary">Paid? Check status</button></form>`;
  if (c.channel === 'JSAPI' && c.prepayId && pay.jsapiParams) {
    // In WeChat the real WeixinJSBridge is there; offline the simulator's stand-in plays it.
    const head = simulatorUrl ? `<script src="${esc(simulatorUrl)}/sim/weixin-jsbridge.js"></script>` : '';
    const html = `<p><button id="pay-button" type="button" disabled>Pay ${yuan(order.totalFee)} with WeChat</button></p>
<script type="application/json" id="jsapi-params">${scriptJson(pay.jsapiParams(c.prepayId))}</script>${sync}`;
    return { html, head };
  }
  if (c.channel === 'H5' && c.h5Url) {
    // WeChat's h5_url takes the way back as redirect_url (URL-encoded).
    const href = `${c.h5Url}&redirect_url=${encodeURIComponent(self)}`;
    return { html: `<p><a id="pay-button" class="button" href="${esc(href)}">Pay ${yuan(order.totalFee)} in WeChat</a></p>${sync}`, head: '' };
  }
  const sim = pay.simulatorPayUrl?.(c, self);
  const html = `<p>Scan with WeChat to pay:</p>
${order.qr ? `<p><img id="qr" src="${order.qr}" width="240" height="240" alt="QR code of the payment link"></p>` : ''}
<p><code id="code-url">${esc(c.codeUrl ?? '')}</code></p>
${sim ? `<p><a id="pay-button" class="button" href="${esc(sim)}">Scan with the simulator</a></p>` : ''}${sync}`;
  return { html, head: '' };
}

async function qrDataUrl(text: string): Promise<string> {
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 });
  return `data:image/png;base64,${png.toString('base64')}`;
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
