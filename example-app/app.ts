/**
 * The example app: WeChat login (mp / QR / mobile), plus whatever the feature files add (JSSDK
 * page, shop, account binding). Offline by default: without `WX_MP_APPID`/`WX_MP_SECRET` it starts
 * the WeChat simulator on a free port and points every WeChat endpoint at it.
 *
 * A feature file (`features/*.ts`) exports `register(app, router, context)` and may export
 * `nav` (links for the navigation bar), `options(context)` (extra `wxauth()` options such as
 * `pay`, `jssdk`, `resolveUser`) and `simulator` (extra simulated apps / merchants / users).
 * Features import the types they share with this file (`ExampleContext`, …) from `./context`.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import session from 'express-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { isWxAuthError, wxauth, type AppCredentials, type WxAuthOptions, type WxAuthRouter } from '../lib';
import { createSimMerchantV3, createSimulator, type SimApp, type SimMerchant, type Simulator } from '../lib/simulator';
import { viewerContext, type NavLink } from './layout';
import type { ExampleContext, ExampleCredentials, ExampleEnv, ExampleFeature } from './context';
import { StartError } from './start-error';
import { redactUrl } from './redact';
import * as login from './features/login';
import * as jssdk from './features/jssdk';
import * as shop from './features/shop';
import * as accounts from './features/accounts';
import * as followLogin from './features/follow-login';
import * as miniprogram from './features/miniprogram';
import * as miniprogramCodes from './features/miniprogram-codes';
import * as echoBot from './features/echo-bot';
import { createAccounts } from './features/accounts';

/** How the example is built, beyond its environment. */
export interface ExampleAppOptions {
  /** Where operator lines go (a failed login's code, …). Default: nowhere; `npm start` prints them. */
  log?: (line: string) => void;
}

export interface ExampleApp {
  app: Express;
  router: WxAuthRouter;
  context: ExampleContext;
  /**
   * Listen on `port` (default 0, a free one). Without `BASE_URL` this also fixes `context.baseUrl`
   * to the bound address. Rejects with one clear line for a busy or forbidden port (`StartError`).
   */
  listen(port?: number, host?: string): Promise<{ server: http.Server; url: string }>;
  /** Stop the simulator, close Redis connections, and the server `listen()` started (a server of your own is yours to close). */
  close(): Promise<void>;
}


export { StartError, redactUrl };
export type { ExampleContext, ExampleCredentials, ExampleEnv, ExampleFeature } from './context';

/** Simulated apps and merchant used offline. Secrets are fake: the simulator is the only one that knows them. */
export const SIM_APPS: SimApp[] = [
  { appid: 'wxexamplemp00001', secret: 'sim-mp-secret-example-0001', type: 'mp', name: 'Example Shop' },
  { appid: 'wxexampleqr00001', secret: 'sim-qr-secret-example-0001', type: 'qrcode', name: 'Example Shop (web)' },
  { appid: 'wxexamplemo00001', secret: 'sim-mobile-secret-exmpl-01', type: 'mobile', name: 'Example Shop (app)' },
  { appid: 'wxexamplemini001', secret: 'sim-mini-secret-example-01', type: 'miniprogram', name: 'Example Shop (mini)' },
];
/** The v2 side of the simulator's merchant; each start adds a fresh v3 block (`createSimMerchantV3()`). */
export const SIM_MERCHANT: SimMerchant = { mchid: '1900000109', key: 'simulatedmerchantkey0123456789ab', appid: 'wxexamplemp00001', name: 'Example Shop' };

/**
 * The features, in navigation order. Account binding is wired per app instance (its own store,
 * from this `env`), so its `resolveUser` goes into `wxauth()` and its database pool closes with us.
 */
function features(env: ExampleEnv, cleanups: Array<() => Promise<unknown>>): ExampleFeature[] {
  const bound = createAccounts(env);
  cleanups.push(() => bound.store.close());
  const accountFeature: ExampleFeature = {
    nav: accounts.nav,
    options: () => ({ resolveUser: bound.resolveUser }),
    register: (app, router, context) => bound.register(app, router, context),
  };
  return [login, followLogin, echoBot, jssdk, shop, accountFeature, miniprogram, miniprogramCodes];
}

function credentialsFromEnv(env: ExampleEnv): ExampleCredentials {
  const pair = (appid?: string, secret?: string) => (appid && secret ? { appid, secret } : undefined);
  const out: ExampleCredentials = {};
  const mp = pair(env.WX_MP_APPID, env.WX_MP_SECRET);
  const qrcode = pair(env.WX_QRCODE_APPID, env.WX_QRCODE_SECRET);
  const mobile = pair(env.WX_MOBILE_APPID, env.WX_MOBILE_SECRET);
  const miniprogram = pair(env.WX_MINIPROGRAM_APPID, env.WX_MINIPROGRAM_SECRET);
  if (mp) out.mp = mp;
  if (qrcode) out.qrcode = qrcode;
  if (mobile) out.mobile = mobile;
  if (miniprogram) out.miniprogram = miniprogram;
  return out;
}

function credentialsOf(type: SimApp['type']): AppCredentials {
  const app = SIM_APPS.find((a) => a.type === type)!;
  return { appid: app.appid, secret: app.secret };
}

/** Build the example app (does not listen). */
export async function createExampleApp(env: ExampleEnv = process.env, appOptions: ExampleAppOptions = {}): Promise<ExampleApp> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    return await build(env, appOptions, cleanups, close);
  } catch (error) {
    await close(); // a half-built app must not leave the simulator or Redis open
    throw error;
  }
}

async function build(env: ExampleEnv, appOptions: ExampleAppOptions, cleanups: Array<() => Promise<unknown>>, close: () => Promise<void>): Promise<ExampleApp> {
  const offline = !(env.WX_MP_APPID && env.WX_MP_SECRET);
  const featureList = features(env, cleanups);
  const nav: NavLink[] = [];
  const context: ExampleContext = { env, credentials: {}, nav, addNav: (link) => void nav.push(link), log: appOptions.log ?? (() => undefined) };
  for (const feature of featureList) nav.push(...(feature.nav ?? []));

  if (env.BASE_URL) context.baseUrl = env.BASE_URL.replace(/\/+$/, '');

  if (offline) {
    const extra = featureList.map((f) => f.simulator ?? {});
    // The merchant takes v2 and v3 (public-key mode), as most merchants registered before 2024-10 do.
    const merchantV3 = createSimMerchantV3();
    // Bound to the mini program too (v3 appids), as a shop's merchant is: its JSAPI payments are the same merchant's.
    const merchant: SimMerchant = { ...SIM_MERCHANT, v3: { ...merchantV3.v3, appids: [credentialsOf('miniprogram').appid] } };
    const simulator = simulatorOrExplain(() =>
      createSimulator({
        apps: [...SIM_APPS, ...extra.flatMap((e) => e.apps ?? [])],
        merchants: [merchant, ...extra.flatMap((e) => e.merchants ?? [])],
        users: Object.assign({}, ...extra.map((e) => e.users ?? {})),
      }),
    );
    // A free port: the simulator's own port cannot be busy.
    const server = await simulator.listen().catch((error: NodeJS.ErrnoException) => {
      throw new StartError(`the WeChat simulator could not listen on 127.0.0.1 (${error.code ?? error.message})`);
    });
    cleanups.push(() => server.close());
    context.simulator = simulator;
    context.simulatorUrl = server.url;
    context.credentials = {
      mp: credentialsOf('mp'),
      qrcode: credentialsOf('qrcode'),
      mobile: credentialsOf('mobile'),
      miniprogram: credentialsOf('miniprogram'),
      merchant,
      merchantV3,
    };
  } else {
    context.credentials = credentialsFromEnv(env);
  }

  const redisPrefix = env.REDIS_PREFIX ?? 'wxauth-example:';
  let redis: RedisClient | undefined;
  if (env.REDIS_URL) {
    redis = await connectRedis(env.REDIS_URL);
    const client = redis;
    cleanups.push(() => client.quit().catch(() => undefined));
  }

  const { mp, qrcode, mobile, miniprogram } = context.credentials;
  let options: WxAuthOptions = {
    ...(mp ? { mp } : {}),
    ...(qrcode ? { qrcode } : {}),
    ...(mobile ? { mobile } : {}),
    ...(miniprogram ? { miniprogram } : {}),
    ...(env.BASE_URL ? { baseUrl: env.BASE_URL } : {}),
    ...(redis ? { store: redis, storePrefix: redisPrefix } : {}),
    ...(context.simulatorUrl ? { endpoints: { open: context.simulatorUrl, api: context.simulatorUrl, pay: context.simulatorUrl } } : {}),
  };
  for (const feature of featureList) if (feature.options) options = { ...options, ...(await feature.options(context)) };
  const router = wxauth(options);

  const app = express();
  app.disable('x-powered-by');
  if (env.BASE_URL) app.set('trust proxy', 'loopback');
  // Every page's navigation bar knows the visitor's browser (desktop-only links leave WeChat's out).
  app.use(viewerContext);
  app.use(
    session({
      secret: env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: env.BASE_URL?.startsWith('https:') ?? false },
      ...(redis ? { store: new ConnectRedisStore({ client: redis, prefix: `${redisPrefix}sess:` }) } : {}),
    }),
  );
  app.use(router);
  for (const feature of featureList) await feature.register(app, router, context);

  let listening: http.Server | undefined;
  const listen = (port = 0, host?: string) =>
    new Promise<{ server: http.Server; url: string }>((resolve, reject) => {
      const server = http.createServer(app);
      server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, port)));
      server.listen(port, host, () => {
        const actual = (server.address() as AddressInfo).port;
        const shown = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
        const url = `http://${shown}:${actual}`;
        // Offline without BASE_URL: the simulator (on this machine) sends notifies to this address.
        if (offline) context.baseUrl ??= url;
        listening = server;
        resolve({ server, url });
      });
    });
  cleanups.push(async () => {
    const server = listening;
    if (!server?.listening) return;
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  return { app, router, context, listen, close };
}

type RedisClient = ReturnType<typeof createClient>;

/** Give up after 3 s at start-up, not forever: each failure is one line naming REDIS_URL. */
const REDIS_CONNECT_TIMEOUT_MS = 3000;

/**
 * Connect to Redis once, or fail with a `StartError`. node-redis would otherwise retry an
 * unreachable server forever and `npm start` would hang silently; once connected, a lost
 * connection is retried with a backoff (and logged) as usual.
 */
async function connectRedis(url: string): Promise<RedisClient> {
  const where = redactUrl(url);
  let connected = false;
  let client: RedisClient;
  try {
    client = createClient({
      url,
      socket: {
        connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries) => (connected ? Math.min(100 * 2 ** retries, 5000) : false),
      },
    });
  } catch {
    throw new StartError(`REDIS_URL is not a Redis URL (${where}): use redis://host:6379, or unset it for in-memory sessions`);
  }
  // Before the first connection the error is reported once, by the rejected connect() below.
  client.on('error', (error: Error) => {
    if (connected) console.error(`redis: ${error.message}`);
  });
  // connectTimeout covers the TCP connect only: a server that accepts and never answers (not
  // Redis, or frozen) would keep connect() waiting for its handshake reply, so time that out too.
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s`)), REDIS_CONNECT_TIMEOUT_MS);
  });
  const connecting = client.connect();
  connecting.catch(() => undefined); // its failure is handled by the race below (or it lost to the timer)
  try {
    await Promise.race([connecting, silent]);
  } catch (error) {
    client.destroy();
    const reason = error instanceof Error && error.message ? error.message : 'no answer';
    throw new StartError(`REDIS_URL: cannot connect to Redis at ${where} (${reason}): start Redis, fix REDIS_URL, or unset it for in-memory sessions`);
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  return client;
}

function listenError(error: NodeJS.ErrnoException, port: number): Error {
  if (error.code === 'EADDRINUSE') return new StartError(`PORT ${port} is in use: stop what is using it, or set PORT to a free port (PORT=3001 npm start)`);
  if (error.code === 'EACCES') return new StartError(`PORT ${port} needs elevated privileges: set PORT to a port above 1023`);
  if (error.code === 'EADDRNOTAVAIL') return new StartError(`cannot listen on port ${port}: that address is not on this machine`);
  return error;
}

/** The simulator refuses NODE_ENV=production: say what that means for the example. */
function simulatorOrExplain(make: () => Simulator): Simulator {
  try {
    return make();
  } catch (error) {
    if (isWxAuthError(error) && error.field === 'simulator.allowProduction') {
      throw new StartError('NODE_ENV=production needs the real WeChat: set WX_MP_APPID and WX_MP_SECRET (without them the example runs on the WeChat simulator, which refuses production)');
    }
    throw error;
  }
}
