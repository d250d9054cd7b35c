/**
 * The example app: WeChat login (mp / QR / mobile), plus whatever the feature files add (JSSDK
 * page, shop, account binding). Offline by default: without `WX_MP_APPID`/`WX_MP_SECRET` it starts
 * the WeChat simulator on a free port and points every WeChat endpoint at it.
 *
 * A feature file (`features/*.ts`) exports `register(app, router, context)` and may export
 * `nav` (links for the navigation bar), `options(context)` (extra `wxauth()` options such as
 * `pay`, `jssdk`, `resolveUser`) and `simulator` (extra simulated apps / merchants / users).
 */
import { randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import session from 'express-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { wxauth, type AppCredentials, type WxAuthOptions, type WxAuthRouter } from '../lib';
import { createSimulator, type SimApp, type SimMerchant, type Simulator, type SimulatorOptions } from '../lib/simulator';
import type { NavLink } from './layout';
import * as login from './features/login';
import * as jssdk from './features/jssdk';
import * as shop from './features/shop';
import * as accounts from './features/accounts';
import { createAccounts } from './features/accounts';

/** Environment the example reads (all optional). */
export interface ExampleEnv {
  /** Official account; when both are set the example talks to the real WeChat. */
  WX_MP_APPID?: string;
  WX_MP_SECRET?: string;
  /** Website app for QR login (real WeChat mode). */
  WX_QRCODE_APPID?: string;
  WX_QRCODE_SECRET?: string;
  /** Native app for mobile login (real WeChat mode). */
  WX_MOBILE_APPID?: string;
  WX_MOBILE_SECRET?: string;
  /** Mini program (real WeChat mode). */
  WX_MINIPROGRAM_APPID?: string;
  WX_MINIPROGRAM_SECRET?: string;
  /** Public origin, e.g. `https://shop.example.com` (needed behind a proxy / for real WeChat). */
  BASE_URL?: string;
  /** Redis for sessions and the wxauth store; default: in-memory. */
  REDIS_URL?: string;
  /** Key prefix in Redis. Default `wxauth-example:`. */
  REDIS_PREFIX?: string;
  /** express-session secret; default: random per start (sessions end on restart). */
  SESSION_SECRET?: string;
  [name: string]: string | undefined;
}

/** The credentials in use (simulated or real), for features that build their own options. */
export interface ExampleCredentials {
  mp?: AppCredentials;
  qrcode?: AppCredentials;
  mobile?: AppCredentials;
  miniprogram?: AppCredentials;
  /** The simulator's merchant (simulator mode only). */
  merchant?: SimMerchant;
}

/** What each feature's `register` / `options` receives. */
export interface ExampleContext {
  env: ExampleEnv;
  credentials: ExampleCredentials;
  /** The simulator, when running offline. */
  simulator?: Simulator;
  simulatorUrl?: string;
  /** The navigation bar (features' `nav` exports, in order); push more with `addNav`. */
  nav: NavLink[];
  addNav(link: NavLink): void;
}

/** The optional parts of a feature module. */
export interface ExampleFeature {
  register(app: Express, router: WxAuthRouter, context: ExampleContext): void | Promise<void>;
  nav?: readonly NavLink[];
  options?(context: ExampleContext): Partial<WxAuthOptions> | Promise<Partial<WxAuthOptions>>;
  simulator?: Partial<Pick<SimulatorOptions, 'apps' | 'merchants' | 'users'>>;
}

export interface ExampleApp {
  app: Express;
  router: WxAuthRouter;
  context: ExampleContext;
  /** Stop the simulator and close Redis connections (the HTTP server is the caller's). */
  close(): Promise<void>;
}

/** Simulated apps and merchant used offline. Secrets are fake: the simulator is the only one that knows them. */
export const SIM_APPS: SimApp[] = [
  { appid: 'wxexamplemp00001', secret: 'sim-mp-secret-example-0001', type: 'mp', name: 'Example Shop' },
  { appid: 'wxexampleqr00001', secret: 'sim-qr-secret-example-0001', type: 'qrcode', name: 'Example Shop (web)' },
  { appid: 'wxexamplemo00001', secret: 'sim-mobile-secret-exmpl-01', type: 'mobile', name: 'Example Shop (app)' },
  { appid: 'wxexamplemini001', secret: 'sim-mini-secret-example-01', type: 'miniprogram', name: 'Example Shop (mini)' },
];
export const SIM_MERCHANT: SimMerchant = { mchid: '1900000109', key: 'simulatedmerchantkey0123456789ab', appid: 'wxexamplemp00001' };

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
  return [login, jssdk, shop, accountFeature];
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
export async function createExampleApp(env: ExampleEnv = process.env): Promise<ExampleApp> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    return await build(env, cleanups, close);
  } catch (error) {
    await close(); // a half-built app must not leave the simulator or Redis open
    throw error;
  }
}

async function build(env: ExampleEnv, cleanups: Array<() => Promise<unknown>>, close: () => Promise<void>): Promise<ExampleApp> {
  const offline = !(env.WX_MP_APPID && env.WX_MP_SECRET);
  const featureList = features(env, cleanups);
  const nav: NavLink[] = [];
  const context: ExampleContext = { env, credentials: {}, nav, addNav: (link) => void nav.push(link) };
  for (const feature of featureList) nav.push(...(feature.nav ?? []));

  if (offline) {
    const extra = featureList.map((f) => f.simulator ?? {});
    const simulator = createSimulator({
      apps: [...SIM_APPS, ...extra.flatMap((e) => e.apps ?? [])],
      merchants: [SIM_MERCHANT, ...extra.flatMap((e) => e.merchants ?? [])],
      users: Object.assign({}, ...extra.map((e) => e.users ?? {})),
    });
    const server = await simulator.listen();
    cleanups.push(() => server.close());
    context.simulator = simulator;
    context.simulatorUrl = server.url;
    context.credentials = {
      mp: credentialsOf('mp'),
      qrcode: credentialsOf('qrcode'),
      mobile: credentialsOf('mobile'),
      miniprogram: credentialsOf('miniprogram'),
      merchant: SIM_MERCHANT,
    };
  } else {
    context.credentials = credentialsFromEnv(env);
  }

  const redisPrefix = env.REDIS_PREFIX ?? 'wxauth-example:';
  let redis: ReturnType<typeof createClient> | undefined;
  if (env.REDIS_URL) {
    redis = createClient({ url: env.REDIS_URL });
    redis.on('error', (error: Error) => console.error(`redis: ${error.message}`));
    await redis.connect();
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

  return { app, router, context, close };
}
