/**
 * Shared pieces of the fault and abuse suite: one simulator with an app of every kind and a
 * merchant, a fully configured `wxauth()` on a real port, the secrets no answer may carry, and a
 * tally of what was tried (printed into the README section and the report).
 *
 * Unhandled rejections: jest-circus takes over the process's `unhandledRejection` listeners
 * while a test runs and fails that test with the rejection (a listener added with `process.on`
 * inside a test file sits on jest's sandbox `process` and never fires — checked with a probe).
 * So every test here fails on an unhandled rejection; tests that leave timers behind (delayed
 * simulator answers) wait for them inside the test, so a late rejection still lands in it.
 */
import { appendFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { wxauth, isWxAuthError, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import { signPay, type PayParams } from '../../lib/pay/sign';
import { buildPayXml } from '../../lib/pay/xml';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { captureLogger, type CapturedLogger } from '../helpers/logs';

export const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-resilience-0123456789' };
export const QR = { appid: 'wxqr000000000001', secret: 'qr-secret-resilience-0123456789' };
export const MOBILE = { appid: 'wxmo000000000001', secret: 'mobile-secret-resilience-01234' };
export const MINI = { appid: 'wxmini0000000001', secret: 'mini-secret-resilience-0123456' };
export const MCHID = '1900000109';
export const PAY_KEY = 'pAyKeY0123456789abcdefghijklmnop'; // 32 characters, test only
export const COOKIE_SECRET = 'cookie-secret-resilience-0123456789abcdef';
export const JWT_SECRET = 'jwt-secret-resilience-0123456789abcdefgh';
export const SESSION_SECRET = 'session-secret-resilience-0123456789';

/** Strings that must never appear in a response (body or headers) or a log line. */
export const SECRETS = [MP.secret, QR.secret, MOBILE.secret, MINI.secret, PAY_KEY, COOKIE_SECRET, JWT_SECRET, SESSION_SECRET];

/** A stack frame (`at fn (file.ts:1:2)`) or a source path: internals that must not reach a client. */
const STACK = /\n\s+at\s|\bat [^\s]+ \([^)]*:\d+:\d+\)|node_modules|\/work\/|\.ts:\d+/;

export interface SimHandle {
  sim: Simulator;
  url: string;
  close(): Promise<void>;
}

/** The simulator over real HTTP: one app of each kind and the merchant. */
export async function startSim(now?: () => number): Promise<SimHandle> {
  const sim = createSimulator({
    apps: [
      { ...MP, type: 'mp' },
      { ...QR, type: 'qrcode' },
      { ...MOBILE, type: 'mobile' },
      { ...MINI, type: 'miniprogram' },
    ],
    merchants: [{ mchid: MCHID, key: PAY_KEY, appid: MP.appid }],
    ...(now ? { now } : {}),
  });
  const { url, close } = await sim.listen();
  return {
    sim,
    url,
    async close() {
      await sim.pay.settled();
      await close();
    },
  };
}

export type Storage = 'session' | 'cookie' | 'jwt';

/** Every surface at once: mp, qrcode, mobile, mini program, JSSDK and pay. */
export function fullOptions(endpoint: string, storage: Storage, extra: Partial<WxAuthOptions> = {}): WxAuthOptions {
  return {
    mp: MP,
    qrcode: QR,
    mobile: MOBILE,
    miniprogram: MINI,
    jssdk: { jsApiList: ['chooseImage', 'chooseWXPay'] },
    pay: { appid: MP.appid, mchid: MCHID, key: PAY_KEY, clientIp: '203.0.113.7', notifyUrl: 'https://shop.example.com/wxpay/:type/callback', notify: { waitMs: 500 } },
    endpoints: { open: endpoint, api: endpoint, pay: endpoint },
    storage,
    ...(storage === 'cookie' ? { cookie: { secret: COOKIE_SECRET } } : {}),
    ...(storage === 'jwt' ? { jwt: { secret: JWT_SECRET } } : {}),
    ...extra,
  };
}

export interface AppHandle {
  app: Express;
  router: WxAuthRouter;
  logger: CapturedLogger;
  /** `http://127.0.0.1:<port>` once `listen()` ran. */
  url: string;
  /** Payment notifies handed to the app, by transaction_id. */
  notified: Map<string, number>;
  /** Errors that reached the app's error handler (`router.pay` throws to the app's routes; the identity middleware passes store failures on). */
  appErrors: unknown[];
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The app a user would write: express-session when the storage is `session`, the router, a
 * notify handler that counts, `/me`, and `/shop/order` + `/shop/query` calling `router.pay` with
 * the error answered as the pay README's recipe does (`next(error)` → a JSON error handler).
 */
export function buildApp(options: WxAuthOptions, setup: { before?: (app: Express) => void } = {}): AppHandle {
  const logger = captureLogger();
  const router = wxauth({ logger, ...options });
  const notified = new Map<string, number>();
  const appErrors: unknown[] = [];
  if (options.pay) {
    router.pay.onNotify(async (order) => {
      notified.set(order.transactionId, (notified.get(order.transactionId) ?? 0) + 1);
    });
  }
  const app = express();
  setup.before?.(app);
  if ((options.storage ?? 'session') === 'session') {
    app.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
  }
  app.use(router);
  app.get('/me', (req, res) => res.json(req.wxauth ? { openid: req.wxauth.openid, action: req.wxauth.action } : null));
  app.get('/profile', router.requireLogin(), (req, res) => res.json({ openid: req.wxauth!.openid }));
  app.post('/shop/order', (req, res, next) => {
    router.pay
      .prepay({ body: 'Resilience test', outTradeNo: `R${Date.now()}${Math.floor(Math.random() * 1e6)}`, totalFee: 1, tradeType: 'NATIVE' })
      .then((r) => res.json({ prepayId: r.prepayId }), next);
  });
  app.get('/shop/query', (req, res, next) => {
    router.pay.orderQuery({ outTradeNo: String(req.query.outTradeNo ?? 'R-unknown') }).then((r) => res.json({ tradeState: r.tradeState }), next);
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    appErrors.push(error);
    if (!isWxAuthError(error)) return next(error);
    res.status(error.status).json(error.toJSON());
  });
  let server: Server | undefined;
  const handle: AppHandle = {
    app,
    router,
    logger,
    notified,
    appErrors,
    url: '',
    async listen() {
      server = http.createServer(app);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      handle.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return handle.url;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return handle;
}

/** Problems with a response or log text: a secret, a stack trace, or one of `extra` (codes, tokens). */
export function leaks(text: string, extra: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const s of [...SECRETS, ...extra]) if (s && text.includes(s)) found.push(`contains ${s.slice(0, 6)}…`);
  if (STACK.test(text)) found.push(`stack trace: ${text.match(STACK)![0]}`);
  if (/access_token|refresh_token|session_key/.test(text)) found.push('names a WeChat token field');
  return found;
}

/** The whole response as text: status line, headers and body. */
export function responseText(res: { status: number; headers: Record<string, unknown>; text?: string; body?: unknown }): string {
  const body = res.text ?? (Buffer.isBuffer(res.body) ? res.body.toString('utf8') : JSON.stringify(res.body ?? ''));
  return `${res.status}\n${JSON.stringify(res.headers)}\n${body}`;
}

/** A port nothing listens on (connection refused): WeChat down. */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let notifySeq = 0;
/** A payment notify as WeChat sends it, signed with the merchant key. */
export function payNotifyXml(overrides: PayParams = {}): { xml: string; transactionId: string } {
  notifySeq++;
  const transactionId = String(overrides.transaction_id ?? `4200000${Date.now()}${String(notifySeq).padStart(5, '0')}`);
  const fields: PayParams = {
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    appid: MP.appid,
    mch_id: MCHID,
    nonce_str: `n${Date.now()}${notifySeq}`,
    openid: 'oResilience0000000000000000',
    trade_type: 'NATIVE',
    bank_type: 'OTHERS',
    total_fee: '1',
    cash_fee: '1',
    fee_type: 'CNY',
    transaction_id: transactionId,
    out_trade_no: `R${notifySeq}`,
    time_end: '20250101120000',
    ...overrides,
  };
  fields.sign = signPay(fields, PAY_KEY);
  return { xml: buildPayXml(fields), transactionId };
}

/** What one test file tried, for the README and the report. */
export class Tally {
  cases = 0;
  requests = 0;
  /** Answers that broke a guarantee (each also fails its test). */
  failures = 0;
  constructor(readonly name: string) {}

  /**
   * Write the figures where `RESILIENCE_FIGURES` points (a file, one JSON line per test file);
   * nothing otherwise, so a normal run stays quiet.
   */
  flush(extra: Record<string, unknown> = {}): void {
    const file = process.env.RESILIENCE_FIGURES;
    if (!file) return;
    appendFileSync(file, `${JSON.stringify({ file: this.name, cases: this.cases, requests: this.requests, failures: this.failures, ...extra })}\n`);
  }
}
