/**
 * The "mini program" page (`/mini-program`): the mini-program server APIs end to end on the
 * simulator — login with a code, the phone number by code, a subscribe message, and a v3 JSAPI
 * order for the mini program whose shipping is uploaded once its notify was verified.
 *
 * The page's script is the mini program (see miniprogram-page.ts). The routes here are what the
 * mini program's server adds to wxauth's own (`/wx/miniprogram/login`, `/wx/miniprogram/phone`),
 * plus three `simulated/*` routes that stand in for the phone: codes and taps from the simulator.
 */
import { randomBytes } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import { createPay, isWxAuthError, type PayApi, type WxAuthRouter } from '../../lib';
import type { ExampleContext } from '../context';
import { page, type NavLink } from '../layout';
import { payApiOf, payOptions } from './shop-pay';
import { miniprogramBody } from './miniprogram-page';

export const nav: NavLink[] = [{ href: '/mini-program', label: 'Mini program' }];

/** The subscribe template the page sends (the simulator adds it to the app when the user accepts). */
export const TEMPLATE_ID = 'order-update-tpl-0001';
const USER_RE = /^[\w.@-]{1,64}$/;
const ORDER_TOTAL = 1; // fen
const NOTIFY_PATH = '/mini-program/pay/notify';

interface MiniOrder {
  outTradeNo: string;
  openid: string;
  total: number;
  state: 'NOTPAY' | 'SUCCESS';
  transactionId?: string;
  /** WeChat's answer to the shipping upload, once the notify was handled. */
  shipping?: { ok: true } | { ok: false; error: string; errcode?: number | string };
}

/** What the client may see of a failure: our code, WeChat's errcode, the safe message. */
function failure(res: Response, error: unknown): void {
  if (isWxAuthError(error)) return void res.status(error.status).json(error.toJSON());
  res.status(500).json({ error: 'internal', message: 'unexpected error' });
}

export function register(app: Express, router: WxAuthRouter, context?: ExampleContext): void {
  const sim = context?.simulator;
  const mini = context?.credentials.miniprogram;
  const render = (req: Request, body: string) => page('Mini program', body, { nav: context?.nav ?? nav, loggedIn: !!req.wxauth });
  const why = !sim || !mini
    ? 'This page plays the mini program with codes from the WeChat simulator: start the example without WX_MP_APPID / WX_MP_SECRET.'
    : payApiOf(context.env) !== 'v3'
      ? 'The order step is WeChat Pay v3: start the example without PAY_API=v2.'
      : undefined;
  app.get('/mini-program', (req, res) => {
    res.set('Cache-Control', 'no-store').type('html').send(render(req, miniprogramBody({ user: 'alice', ...(why ? { offlineOnly: why } : {}) })));
  });
  if (why || !sim || !mini || !context) return;

  const orders = new Map<string, MiniOrder>();
  // The mini program's payments get their own notify path and handler: the shop's handler is the
  // router's, and it answers only the shop's orders. Same merchant, same keys, verified the same way.
  const base = payOptions(context).pay!;
  const pay: PayApi = createPay({
    ...base,
    v3: { ...base.v3!, appids: [mini.appid] },
    endpoints: { pay: context.simulatorUrl! },
    logger: { warn: (m) => context.log(`mini-program pay: ${m}`), error: (m) => context.log(`mini-program pay: ${m}`) },
  });
  pay.v3.onNotify(
    async (transaction) => {
      const order = orders.get(transaction.out_trade_no);
      if (!order) throw new Error('unknown order');
      Object.assign(order, { state: 'SUCCESS', transactionId: transaction.transaction_id });
      // Virtual goods: shipped the moment they are paid. WeChat releases the funds once this is recorded.
      try {
        await router.client.shipping.upload({
          order: { transactionId: transaction.transaction_id },
          logisticsType: 3,
          deliveryMode: 1,
          shippingList: [{ itemDesc: 'Green tea gift card' }],
          payer: { openid: order.openid },
        });
        order.shipping = { ok: true };
      } catch (error) {
        // The payment stands (the notify is acknowledged); the upload can be retried by hand.
        order.shipping = isWxAuthError(error) ? { ok: false, error: error.code, ...(error.errcode === undefined ? {} : { errcode: error.errcode }) } : { ok: false, error: 'internal' };
      }
    },
    { amountOf: (outTradeNo) => orders.get(outTradeNo)?.total },
  );

  /** The mini-program login of this browser (the cookie `/wx/miniprogram/login` set), else 401. */
  const miniLogin = (req: Request, res: Response): { openid: string } | undefined => {
    const id = req.wxauth;
    if (id && id.action === 'miniprogram' && id.appid === mini.appid) return { openid: id.openid };
    res.status(401).json({ error: 'login_required', message: 'Log in with the mini program first (step 1)' });
    return undefined;
  };
  const userOf = (req: Request): string => {
    const user = typeof req.body?.user === 'string' ? req.body.user.trim() : '';
    return USER_RE.test(user) ? user : 'alice';
  };
  const json = express.json({ limit: '4kb' });

  // ── The phone, simulated: what wx.login, the getPhoneNumber button and the subscribe dialog hand over.
  app.post('/mini-program/simulated/login-code', json, (req, res) => {
    res.set('Cache-Control', 'no-store').json({ code: sim.issueCode(mini.appid, { user: userOf(req) }) });
  });
  app.post('/mini-program/simulated/phone-code', json, (req, res) => {
    res.set('Cache-Control', 'no-store').json({ code: sim.issuePhoneCode({ appid: mini.appid, user: userOf(req) }) });
  });
  app.post('/mini-program/simulated/accept-subscribe', json, (req, res) => {
    const who = miniLogin(req, res);
    if (!who) return;
    sim.subscribe({ appid: mini.appid, openid: who.openid, templateId: TEMPLATE_ID, times: 1 });
    res.json({ accepted: [TEMPLATE_ID] });
  });

  // ── The mini program's server.
  app.post('/mini-program/subscribe', json, async (req, res) => {
    const who = miniLogin(req, res);
    if (!who) return;
    try {
      const { msgid } = await router.client.sendSubscribe({
        touser: who.openid,
        templateId: TEMPLATE_ID,
        page: 'pages/order/detail?id=demo',
        data: { thing1: 'Green tea gift card', amount2: '¥0.01', thing3: 'Ships when paid' },
        miniprogramState: 'developer',
      });
      res.json({ msgid });
    } catch (error) {
      failure(res, error);
    }
  });

  app.post('/mini-program/orders', json, async (req, res) => {
    const who = miniLogin(req, res);
    if (!who) return;
    const outTradeNo = `MP${randomBytes(15).toString('base64url')}`;
    orders.set(outTradeNo, { outTradeNo, openid: who.openid, total: ORDER_TOTAL, state: 'NOTPAY' });
    try {
      const { prepayId } = await pay.v3.prepay({
        tradeType: 'JSAPI',
        appid: mini.appid,
        description: 'Green tea gift card',
        outTradeNo,
        total: ORDER_TOTAL,
        openid: who.openid,
        notifyUrl: `${context.baseUrl}${NOTIFY_PATH}`,
      });
      // What the mini program hands to wx.requestPayment (appId is the mini program's).
      res.json({ outTradeNo, prepayId, requestPayment: pay.v3.jsapiParams(prepayId!, mini.appid) });
    } catch (error) {
      orders.delete(outTradeNo);
      failure(res, error);
    }
  });

  // wx.requestPayment, simulated: the simulator pays as the user, and delivers the notify before answering.
  app.post('/mini-program/orders/:id/simulated-pay', json, async (req, res) => {
    const who = miniLogin(req, res);
    if (!who) return;
    const order = orders.get(String(req.params.id));
    if (!order || order.openid !== who.openid) return void res.status(404).json({ error: 'not_found', message: 'no such order' });
    try {
      const { deliveries } = await sim.payV3.pay(order.outTradeNo);
      const shipped = order.transactionId ? await router.client.shipping.getOrder({ transactionId: order.transactionId }) : undefined;
      res.json({ state: order.state, transactionId: order.transactionId, notify: deliveries.map((d) => d.status), shipping: order.shipping, shippingOrder: shipped });
    } catch (error) {
      failure(res, error);
    }
  });

  // The notify: the exact bytes, verified and handled once by the mini program's own pay handler.
  app.post(NOTIFY_PATH, express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const reply = await pay.v3.handleNotify({ headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) }, 'mini');
    res.status(reply.status);
    if (reply.body) res.type('json').send(reply.body);
    else res.end();
  });
}
