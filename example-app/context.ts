/**
 * The contract between the example app and its feature files: what a feature's `register` /
 * `options` receives and what a feature module may export. app.ts and every `features/*.ts`
 * import these from here (never from app.ts, which imports the features: that would be a cycle).
 */
import type { Express } from 'express';
import type { AppCredentials, WxAuthOptions, WxAuthRouter } from '../lib';
import type { SimMerchant, SimMerchantV3Keys, Simulator, SimulatorOptions } from '../lib/simulator';
import type { NavLink } from './layout';

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
  /** The simulator's merchant (simulator mode only): a v2 key and a v3 block. */
  merchant?: SimMerchant;
  /** That merchant's v3 keys, made at start-up (simulator mode only): `pay.v3` is built from them. */
  merchantV3?: SimMerchantV3Keys;
}

/** What each feature's `register` / `options` receives. */
export interface ExampleContext {
  env: ExampleEnv;
  credentials: ExampleCredentials;
  /** The simulator, when running offline. */
  simulator?: Simulator;
  simulatorUrl?: string;
  /**
   * The app's own origin, from configuration only (never from a request's Host header):
   * `BASE_URL`, else — offline — the address `listen()` bound. Pay notify URLs are built on it.
   */
  baseUrl?: string;
  /** The navigation bar (features' `nav` exports, in order); push more with `addNav`. */
  nav: NavLink[];
  addNav(link: NavLink): void;
  /** One line for the operator (`npm start` prints it; silent unless `createExampleApp` is given a `log`). */
  log(line: string): void;
}

/** The optional parts of a feature module. */
export interface ExampleFeature {
  register(app: Express, router: WxAuthRouter, context: ExampleContext): void | Promise<void>;
  nav?: readonly NavLink[];
  options?(context: ExampleContext): Partial<WxAuthOptions> | Promise<Partial<WxAuthOptions>>;
  simulator?: Partial<Pick<SimulatorOptions, 'apps' | 'merchants' | 'users'>>;
}
