/**
 * An offline WeChat: the open, api and pay hosts on one port, for tests and local development.
 *
 *   const sim = createSimulator({ apps: [{ appid: 'wxmp000000000001', secret: 's', type: 'mp' }] });
 *   const { url, close } = await sim.listen();   // endpoints = { open: url, api: url, pay: url }
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { IssueCodeOptions, SimLogEntry, SimServer, SimulatorOptions } from './types';
import type { Simulator } from './simulator';
import { checkOptions } from './options';
import { SimState } from './state';
import { Faults } from './faults';
import { openHost } from './open-host';
import { simToolRoutes } from './codes-page';
import { snsRoutes } from './sns';
import { cgiBinRoutes } from './cgi-bin';
import { subscribeRoutes } from './api/subscribe';
import { SimSubscriptions } from './api/subscriptions';
import { wxaPhoneRoutes } from './api/wxa-phone';
import { wxaSecurityRoutes } from './api/wxa-security';
import { SimWxa } from './api/wxa-state';
import { qrcodeRoutes } from './api/qrcode';
import { SimQrcodes } from './api/qrcodes';
import { customMessageRoutes, SimCustomMessages } from './api/custom-message';
import { SimMessagePush } from './phone/push';
import { phoneConsoleRoutes } from './phone/console';
import { phoneScanRoutes, scanQrcode } from './phone/scan';
import { wxacodeRoutes } from './api/wxacode';
import { linkRoutes } from './api/links';
import { SimWxacodes } from './api/wxacode-state';
import { shippingRoutes } from './api/shipping';
import { SimShipping } from './api/shipping-state';
import { param } from './http';
import { avatarSvg, homePage } from './pages';
import { mountPayHost } from './pay-host';
import { mountPayV3Host } from './pay-v3/host';

export type {
  FaultSpec,
  IssueCodeOptions,
  SentTemplate,
  SimApp,
  SimMessageEndpoint,
  SimAppType,
  SimFaults,
  SimLogEntry,
  SimMerchant,
  SimServer,
  SimMerchantV3,
  SimUserProfile,
  SimulatorOptions,
} from './types';
export type { SimPay, SimPayV3, Simulator } from './simulator';

const TOKEN_PATHS = new Set(['/cgi-bin/token', '/cgi-bin/stable_token']);
/** Where `listen()` binds by default: this machine only (the simulator accepts any login). */
const LOOPBACK = '127.0.0.1';
const WILDCARD = new Set(['0.0.0.0', '::']);

/** Build a simulator. Options are checked now: a bad one throws a `config_error` naming the field. */
export function createSimulator(options: SimulatorOptions): Simulator {
  const { apps, merchants = [], now = Date.now, users, host: defaultHost = LOOPBACK, allowMpOutsideWechat = false } = checkOptions(options);
  const state = new SimState(apps, () => now(), users);
  const faults = new Faults();
  const resetHooks: Array<() => void> = [];
  let baseUrl: string | undefined;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // The log: method, path and appid only — never the query (it carries secrets, codes, tokens).
  app.use((req, res, next) => {
    const entry: SimLogEntry = { method: req.method, path: req.path, time: state.now() };
    const appid = param(req.query, 'appid');
    if (appid && state.app(appid)) entry.appid = appid;
    state.log.push(entry);
    res.locals.simLog = entry;
    next();
  });
  app.use(faults.middleware());

  app.get('/', (req, res) => {
    res.type('html').send(homePage(apps, `${req.protocol}://${req.get('host') ?? ''}`));
  });
  app.get('/sim/avatar/:file', (req, res) => {
    const user = String(req.params.file).replace(/\.svg$/, '');
    res.set('Cache-Control', 'public, max-age=3600').type('image/svg+xml').send(avatarSvg(user));
  });
  app.use(openHost(state, { allowMpOutsideWechat }));
  // Phone codes and content security's memory (lib/simulator/api/wxa-state.ts); /sim/codes hands out phone codes too.
  const wxa = new SimWxa(() => state.now());
  resetHooks.push(() => wxa.reset());
  app.use(simToolRoutes(state, apps, wxa));
  app.use(snsRoutes(state));
  app.use(cgiBinRoutes(state));
  // Subscribe messages and notices, with one-shot subscriptions (lib/simulator/api/subscribe.ts).
  const subscriptions = new SimSubscriptions();
  resetHooks.push(() => subscriptions.reset());
  app.use(subscribeRoutes(state, subscriptions));
  // Mini-program server APIs: phone number by code, content security (lib/simulator/api/wxa-*.ts).
  app.use(wxaPhoneRoutes(state, wxa));
  app.use(wxaSecurityRoutes(state, wxa));
  // Parametric QR codes, showqrcode, user/info (lib/simulator/api/qrcode.ts).
  const qrcodes = new SimQrcodes(() => state.now());
  resetHooks.push(() => qrcodes.reset());
  app.use(qrcodeRoutes(state, qrcodes));
  // The message server's phone side: pushMessage and its console page, customer-service messages (lib/simulator/phone/).
  const customs = new SimCustomMessages(() => state.now());
  resetHooks.push(() => customs.reset());
  const pushes = new SimMessagePush(state, customs, apps);
  app.use(customMessageRoutes(state, customs));
  app.use(phoneConsoleRoutes(state, apps, pushes));
  // The phone that scans a follow QR code (lib/simulator/phone/scan.ts): the showqrcode image opens it.
  app.use(phoneScanRoutes(state, qrcodes, pushes));
  // Mini-program codes and links (lib/simulator/api/wxacode.ts, links.ts) and the shipping-info
  // service over the v3 host's paid mini-program orders (api/shipping.ts; payV3 is mounted below).
  const wxacodes = new SimWxacodes(() => state.now());
  resetHooks.push(() => wxacodes.reset());
  app.use(wxacodeRoutes(state, wxacodes));
  app.use(linkRoutes(state, wxacodes));
  const shipping = new SimShipping(() => sim.payV3.orders, (appid) => state.app(appid)?.type === 'miniprogram');
  resetHooks.push(() => shipping.reset());
  app.use(shippingRoutes(state, shipping));

  // `pay` is filled in below, once the pay host is mounted with this very object.
  const sim: { -readonly [K in keyof Simulator]: Simulator[K] } = {
    app,
    apps,
    merchants,
    get url() {
      return baseUrl;
    },
    listen: (port = 0, host?: string) => listen(port, host || defaultHost),
    issueCode(appid: string, opts: IssueCodeOptions = {}) {
      const target = state.app(appid);
      if (!target) throw new Error(`simulator.issueCode: unknown appid "${appid}"`);
      const scope = opts.scope ?? (target.type === 'qrcode' ? 'snsapi_login' : 'snsapi_userinfo');
      return state.issueCode(appid, opts.user ?? 'alice', scope, opts.snapshotUser);
    },
    openidOf: (appid, user) => state.openidOf(appid, user),
    unionidOf: (user) => state.unionidOf(user),
    sessionKeyOf: (appid, user) => state.sessionKey(appid, user),
    userOf: (appid, openid) => state.userOf(appid, openid),
    faults,
    calls: (path) => state.log.filter((e) => e.path === path).length,
    tokenFetches: (appid) => state.log.filter((e) => TOKEN_PATHS.has(e.path) && e.appid === appid).length,
    log: state.log,
    sentTemplates: state.sentTemplates,
    subscribe: (input) => subscriptions.subscribe(input),
    addTemplate: (appid, templateId) => subscriptions.addTemplate(appid, templateId),
    sentSubscribes: subscriptions.sent,
    ticketsOf: (appid) => state.ticketsOf(appid),
    reset() {
      state.reset();
      faults.clear();
      for (const hook of resetHooks) hook();
    },
    onReset: (fn) => void resetHooks.push(fn),
    issuePhoneCode(opts) {
      const target = state.app(opts?.appid);
      if (!target || target.type !== 'miniprogram') throw new Error(`simulator.issuePhoneCode: "${opts?.appid}" is not a mini program of this simulator`);
      const user = opts.openid ? state.userOf(opts.appid, opts.openid) : (opts.user ?? 'alice');
      if (!user) throw new Error('simulator.issuePhoneCode: unknown openid (use one the simulator handed out, or pass user)');
      return wxa.issuePhoneCode(opts.appid, user, opts.phone, opts.countryCode);
    },
    wxa,
    now: () => state.now(),
    qrcodes,
    connectMessages: (appid, endpoint) => pushes.connect(appid, endpoint),
    pushMessage: (appid, input) => pushes.push(appid, input),
    scanQrcode: (input) => scanQrcode(state, qrcodes, pushes, input),
    sentCustomMessages: customs.sent,
    wxacodes,
    shipping,
    pay: undefined as unknown as Simulator['pay'],
    payV3: undefined as unknown as Simulator['payV3'],
  };

  // The pay host (owned by the pay engineer) sees the simulator: clock, merchants, log, faults.
  const payRouter = express.Router();
  sim.pay = mountPayHost(payRouter, sim);
  app.use(payRouter);
  // The v3 host (lib/simulator/pay-v3/): same port, its own router; checks each merchant's v3 block now.
  const payV3Router = express.Router();
  sim.payV3 = mountPayV3Host(payV3Router, sim);
  app.use(payV3Router);

  app.use((_req, res) => {
    res.status(404).json({ errcode: 40066, errmsg: 'invalid url' });
  });
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    // Never echo the error: it could hold request data.
    if (!res.headersSent) res.status(500).json({ errcode: -1, errmsg: 'system error' });
  });

  function listen(port: number, host: string): Promise<SimServer> {
    return new Promise((resolve, reject) => {
      const server = http.createServer(app);
      server.once('error', reject);
      server.listen(port, host, () => {
        const { port: actual } = server.address() as AddressInfo;
        // Bound to every interface: advertise loopback, which always reaches it from this machine.
        const shown = WILDCARD.has(host) ? LOOPBACK : host;
        const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${actual}`;
        baseUrl = url;
        let closing: Promise<void> | undefined;
        const close = () =>
          (closing ??= new Promise<void>((done) => {
            faults.cancelTimers();
            server.close(() => done());
            // Keep-alive clients and delayed requests must not hold the server open.
            server.closeAllConnections();
          }));
        resolve({ url, port: actual, server, close });
      });
    });
  }

  return sim;
}

export { DEMO_APPS, DEMO_MERCHANT, DEMO_MERCHANT_V3, demoOptions } from './demo';
export { createSimMerchantV3, type SimMerchantV3Keys } from './pay-v3/merchants';
export { WECHAT_NOTIFY_RETRY_DELAYS_MS } from './pay-v3/notify';
export type { SentSubscribe, SimSubscribeInput } from './api/subscriptions';
export type { SimQrcode, SimQrcodes } from './api/qrcodes';
export type { SentCustomMessage } from './api/custom-message';
export type { SimPushInput, SimPushResult, SimPushAttempt } from './phone/push';
export type { SimScanInput } from './phone/scan';
export type { SimLink, SimWxacode, SimWxacodes } from './api/wxacode-state';
export type { SimParcel, SimShipment, SimShipping } from './api/shipping-state';
export type { IssuePhoneCodeOptions, SimWxa, SimTextCheck, SimMediaCheck, SimVerdict } from './api/wxa-state';
