import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import { wxauth, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { captureLogger, type CapturedLogger } from '../helpers/logs';

export const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-0123456789abcdef' };
export const QR = { appid: 'wxqr000000000001', secret: 'qr-secret-0123456789abcdef' };
export const MOBILE = { appid: 'wxmo000000000001', secret: 'mobile-secret-0123456789ab' };
export const MOBILE2 = { appid: 'wxmo000000000002', secret: 'mobile2-secret-0123456789a' };
export const SECRETS = [MP.secret, QR.secret, MOBILE.secret, MOBILE2.secret];
export const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
export const DESKTOP_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

export interface SimHandle {
  sim: Simulator;
  url: string;
  close(): Promise<void>;
}

/** The simulator on a real port, with one app of each browser/mobile kind. */
export async function startSimulator(now?: () => number): Promise<SimHandle> {
  const sim = createSimulator({
    apps: [
      { ...MP, type: 'mp', name: 'Test Shop' },
      { ...QR, type: 'qrcode' },
      { ...MOBILE, type: 'mobile' },
      { ...MOBILE2, type: 'mobile' },
    ],
    users: { ghost: { isSnapshotUser: true } },
    ...(now ? { now } : {}),
  });
  const { url, close } = await sim.listen();
  return { sim, url, close };
}

export interface AppHandle {
  app: Express;
  router: WxAuthRouter;
  logger: CapturedLogger;
  url: string;
  close(): Promise<void>;
}

/**
 * An app with express-session (unless storage is cookie, or `session: false`), the wxauth router,
 * `/me` (who is logged in), `/profile` behind requireLogin and `/api/me` behind requireLogin.
 */
export async function startApp(
  sim: SimHandle,
  options: Partial<WxAuthOptions> = {},
  setup: { session?: Partial<session.SessionOptions> | false; before?: (app: Express) => void; routes?: (app: Express, router: WxAuthRouter) => void } = {},
): Promise<AppHandle> {
  const logger = captureLogger();
  const router = wxauth({
    mp: MP,
    qrcode: QR,
    mobile: [MOBILE, MOBILE2],
    endpoints: { open: sim.url, api: sim.url, pay: sim.url },
    logger,
    ...options,
  });
  const app = express();
  setup.before?.(app);
  if (setup.session !== false && options.storage !== 'cookie') {
    app.use(session({ secret: 'session-secret-for-tests', resave: false, saveUninitialized: false, ...(setup.session ?? {}) }));
  }
  app.use(router);
  setup.routes?.(app, router);
  app.get('/me', (req, res) => res.json(req.wxauth ?? null));
  app.get('/profile', router.requireLogin(), (req, res) => res.send(`hello ${req.wxauth!.openid}`));
  app.get('/api/me', router.requireLogin({ action: 'mp' }), (req, res) => res.json(req.wxauth));
  app.get('/start', (req, res) => router.auth(req, res, { action: 'mp', scope: 'snsapi_userinfo', next: '/welcome' }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    app,
    router,
    logger,
    url,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface Hop {
  url: string;
  status: number;
  location?: string;
}

/**
 * A browser: one cookie jar per origin (the app and the simulator), a User-Agent, and redirect
 * following across both. Every response body is kept for secret-leak checks.
 */
export class Browser {
  readonly hops: Hop[] = [];
  readonly bodies: string[] = [];
  private readonly agents = new Map<string, ReturnType<typeof request.agent>>();

  constructor(
    private readonly appUrl: string,
    private readonly simUrl: string,
    private readonly userAgent = DESKTOP_UA,
  ) {}

  private agentFor(origin: string) {
    if (origin !== this.appUrl && origin !== this.simUrl) throw new Error(`the browser left our test hosts: ${origin}`);
    let agent = this.agents.get(origin);
    if (!agent) this.agents.set(origin, (agent = request.agent(origin)));
    return agent;
  }

  private record(url: string, res: request.Response): request.Response {
    this.hops.push({ url, status: res.status, ...(res.headers.location ? { location: res.headers.location } : {}) });
    this.bodies.push(res.text ?? '', JSON.stringify(res.headers));
    return res;
  }

  /** One GET, no redirect following. `url` may be relative to the app. */
  async get(url: string, headers: Record<string, string> = {}): Promise<request.Response> {
    const target = new URL(url, this.appUrl);
    const res = await this.agentFor(target.origin).get(target.pathname + target.search).set('User-Agent', this.userAgent).set(headers);
    return this.record(target.href, res);
  }

  async post(url: string, body: string | object, type: 'form' | 'json' = 'form', headers: Record<string, string> = {}): Promise<request.Response> {
    const target = new URL(url, this.appUrl);
    const res = await this.agentFor(target.origin).post(target.pathname + target.search).set('User-Agent', this.userAgent).set(headers).type(type).send(body);
    return this.record(target.href, res);
  }

  /** Follow redirects from `res` until a non-redirect answer. */
  async follow(res: request.Response, from: string, max = 10): Promise<{ res: request.Response; url: string }> {
    let current = res;
    let url = from;
    for (let i = 0; i < max && current.status >= 300 && current.status < 400; i++) {
      url = new URL(current.headers.location!, url).href;
      current = await this.get(url);
    }
    return { res: current, url };
  }

  /** GET and follow. */
  async visit(url: string): Promise<{ res: request.Response; url: string }> {
    const first = await this.get(url);
    return this.follow(first, new URL(url, this.appUrl).href);
  }

  /** On a simulator consent / QR page: submit its form (Approve / Deny / Scan and confirm). */
  async submitSimForm(page: request.Response, pageUrl: string, extra: Record<string, string>): Promise<{ res: request.Response; url: string }> {
    const form = page.text.match(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/);
    if (!form) throw new Error(`no form on ${pageUrl}: ${page.text.slice(0, 200)}`);
    const fields: Record<string, string> = {};
    for (const m of form[2]!.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields[m[1]!] = decodeEntities(m[2]!);
    const action = new URL(decodeEntities(form[1]!), pageUrl).href;
    const res = await this.post(action, { ...fields, ...extra });
    return this.follow(res, action);
  }
}

function decodeEntities(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'");
}

/** Start an mp login and stop at the callback URL WeChat sends the browser to (not visited). */
export async function mpCallbackUrl(browser: Browser, loginUrl = '/oauth/wechat/login?action=mp&next=/profile'): Promise<string> {
  const start = await browser.get(loginUrl);
  const wechat = await browser.get(start.headers.location!);
  if (wechat.status !== 302) throw new Error(`expected WeChat to redirect, got ${wechat.status}`);
  return wechat.headers.location!;
}

/**
 * A login test file's frame: one simulator for the file, apps and browsers that are tracked, and
 * after every test the leak check — no answer a browser received and no line an app logged
 * carries an app secret or an OAuth token (those stay on the server). `start` starts the file's app.
 */
export function loginSuite<A extends { url: string; logger: { text(): string }; close(): Promise<void> }, R extends unknown[]>(
  start: (sim: SimHandle, ...rest: R) => Promise<A>,
) {
  let sim: SimHandle | undefined;
  const opened: A[] = [];
  const browsers: Browser[] = [];
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterEach(async () => {
    for (const b of browsers.splice(0)) {
      for (const body of b.bodies) {
        for (const secret of SECRETS) expect(body).not.toContain(secret);
        expect(body).not.toMatch(/access_token|refresh_token/);
      }
    }
    for (const a of opened) {
      for (const secret of SECRETS) expect(a.logger.text()).not.toContain(secret);
      expect(a.logger.text()).not.toMatch(/access_token|refresh_token|[?&]code=/);
    }
    await Promise.all(opened.splice(0).map((a) => a.close()));
    sim?.sim.reset();
  });
  afterAll(() => sim?.close());
  const suite = {
    get sim(): SimHandle {
      if (!sim) throw new Error('the simulator starts in beforeAll');
      return sim;
    },
    async app(...rest: R): Promise<A> {
      const handle = await start(suite.sim, ...rest);
      opened.push(handle);
      return handle;
    },
    browser(a: A, ua = WECHAT_UA): Browser {
      const b = new Browser(a.url, suite.sim.url, ua);
      browsers.push(b);
      return b;
    },
  };
  return suite;
}
