import type { AxiosInstance } from 'axios';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { PhoneNumber } from './miniprogram/phone';
import type { LoginAction, WxIdentity } from './identity/types';
import type { Logger } from './log';
import type { Store } from './store/types';
import type { RedisLikeClient } from './store/redis';
import type { Endpoints } from './wechat/endpoints';
import { fields } from './validate';
import { jssdkOptionsSchema, type JssdkOptions } from './jssdk/options';
import { payOptionsSchema, type PayConfig } from './pay/options';
import { jwtOptionsSchema, type JwtOptions } from './identity/jwt-options';
import { followOptionsSchema, type FollowOptions } from './follow/options';
import { messageServerOptionsSchema, type MessageServerOptions } from './messages/options';
import type { SuccessHandler, ErrorHandler } from './hooks';

/** One WeChat app's credentials. The secret is never logged, echoed or put in an error. */
export interface AppCredentials {
  /** AppID, e.g. `wx1234567890abcdef`. */
  appid: string;
  /** AppSecret. */
  secret: string;
}

/** The official account: its credentials, and its message server when it has one. */
export interface MpOptions extends AppCredentials {
  /** The message server (服务器配置): `GET|POST <path>` (default `/wechat/message`); see `router.onMessage`. */
  messages?: MessageServerOptions;
}

/** The mini program: its credentials, and how old decrypted open data may be. */
export interface MiniProgramOptions extends AppCredentials {
  /** `POST /wx/miniprogram/decrypt` refuses data whose `watermark.timestamp` is older than this many seconds. Default 600. */
  maxDataAgeSeconds?: number;
}

/** What `resolveUser` receives on every successful login of any kind. */
export interface ResolveUserInput {
  openid: string;
  unionid?: string;
  appid: string;
  action: LoginAction;
  /** The WeChat profile, when the login read it (`snsapi_userinfo`, mobile). */
  userinfo?: Record<string, unknown>;
  /**
   * The phone number the user just shared, when this call comes from `POST /wx/miniprogram/phone`
   * (the user is already logged in: bind the number to the account and return the account).
   */
  phone?: PhoneNumber;
}

export interface CookieOptions {
  /** Cookie name. Default `wxauth`. */
  name?: string;
  /** HMAC key for the signature; at least 32 characters. */
  secret: string;
  /** Lifetime in ms. Default 30 days. */
  maxAge?: number;
  /** Default: true when the request is HTTPS. */
  secure?: boolean;
  /** Default `lax` (the WeChat redirect back is a top-level GET, which `lax` allows). */
  sameSite?: 'lax' | 'strict' | 'none';
}

export interface WxAuthOptions {
  /** Official account (公众号): login inside WeChat's browser, and the default JSSDK app. */
  mp?: MpOptions;
  /** Website app (网站应用): QR-code login on desktop browsers. */
  qrcode?: AppCredentials;
  /**
   * Follow the official account to log in (公众号扫码关注登录) on desktop browsers: `GET
   * /oauth/wechat/follow`. Needs `mp` with its message server (`mp.messages`); `{}` for the defaults.
   */
  follow?: FollowOptions;
  /** Native apps (移动应用) that send a code from the OpenSDK; several are chosen by appid. */
  mobile?: AppCredentials | AppCredentials[];
  /** Mini program (小程序): `wx.login()` code exchange. */
  miniprogram?: MiniProgramOptions;
  /**
   * Key material (at least 32 characters) for the sealed, encrypted cookie that carries a pending
   * browser login. Default: derived from the configured app secrets. Set it to keep pending
   * logins valid across an AppSecret rotation, or when others also hold an AppSecret.
   */
  secret?: string;
  /** Public origin used to build `redirect_uri`, e.g. `https://shop.example.com`. Default: from the request (trust-proxy aware). */
  baseUrl?: string;
  /**
   * Where you mount the router: `'/auth'` for `app.use('/auth', router)`. `redirect_uri` is built
   * under it, and so are the default pay notify URLs (`<baseUrl><mountPath>/wxpay/:type/callback`).
   * Without it the OAuth routes take the path from each request that passes through the router,
   * and the pay notify URLs use `''`. Set it when `requireLogin()` / `auth()` guard routes
   * outside the router (they may run before any request has gone through it).
   */
  mountPath?: string;
  /** Where the login lives: express-session (default), a signed cookie, or a JWT handed to the client. */
  storage?: 'session' | 'cookie' | 'jwt';
  /** The signed cookie, when `storage: 'cookie'`. */
  cookie?: CookieOptions;
  /** JWT settings, when `storage: 'jwt'`. */
  jwt?: JwtOptions;
  /** State, tokens, tickets, notify marks: a node-redis v4+ / ioredis client, or a `Store`. Default: in-memory (one process). */
  store?: RedisLikeClient | Store;
  /** Key prefix when `store` is a Redis client. Default `wxauth:`. */
  storePrefix?: string;
  /**
   * When `store` is a Redis client: a command not answered in this many ms fails with
   * `store_error` (503). Default 1000, at most 60000; 0 waits as long as the client does.
   * Refused with the in-memory default or your own `Store` (it has its own timeouts).
   */
  storeTimeoutMs?: number;
  /** Extra origins (`https://m.example.com`) that `next` and signed page URLs may point to. Default: same origin only. */
  allowedRedirects?: string[];
  /** WeChat hosts; defaults are WeChat's real ones. Point them at the simulator for offline work. */
  endpoints?: Partial<Endpoints>;
  /** Timeout of each call to WeChat in ms. Default 5000. */
  timeoutMs?: number;
  /** Your own axios instance for calls to WeChat. Default: one shared keep-alive instance. */
  axios?: AxiosInstance;
  /** Where warnings and errors go. Never receives a secret, code or token. Default: console (warn/error). */
  logger?: Logger;
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
  /** Called after every successful browser login (same as `router.successHandler(fn)`). */
  onSuccess?: SuccessHandler;
  /** Called when a login fails (same as `router.errorHandler(fn)`). */
  onError?: ErrorHandler;
  /** Map a WeChat identity to your own user (account binding). The result is `req.wxauth.user`. */
  resolveUser?: (input: ResolveUserInput) => Promise<unknown> | unknown;
  /** JSSDK `/weixin-config.js`; needs `mp` (or `jssdk.appid` with that app's secret). */
  jssdk?: JssdkOptions;
  /** Basic-token source: `stable_token` (default, safe to share) or the classic `token`. */
  tokenEndpoint?: 'stable_token' | 'token';
  /** When another system owns the basic access token: we then never call `/cgi-bin/token`. */
  getAccessToken?: (appid: string) => Promise<string>;
  /** WeChat Pay: v3 (`pay.v3`, the main path) and/or v2 (`pay.key`). */
  pay?: PayConfig;
  /** Native-app `GET /wx/oauth/callback` forwards `code` and `state` to this URL (and only this one). */
  webCallbackUrl?: string;
}

const credentials = z.strictObject({ appid: fields.appid, secret: fields.secret });
// The official account also has its message server.
const mpCredentials = credentials.extend({ messages: messageServerOptionsSchema.optional() });
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

export const wxauthOptionsSchema = z
  .strictObject({
    mp: mpCredentials.optional(),
    qrcode: credentials.optional(),
    follow: followOptionsSchema.optional(),
    // One app or a list; checked in superRefine below so a problem is reported at its own path
    // (`mobile.1.appid`) rather than as "mobile matches neither form".
    mobile: z.unknown().optional(),
    miniprogram: z
      .strictObject({
        appid: fields.appid,
        secret: fields.secret,
        maxDataAgeSeconds: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be 1 or more').max(86_400, 'must be at most 86400').optional(),
      })
      .optional(),
    secret: z.string({ error: 'must be a string' }).min(32, 'must be at least 32 characters').optional(),
    baseUrl: fields.url.optional(),
    mountPath: z
      .string({ error: 'must be a string' })
      // Plain segments only: no dot segments, no Express pattern characters (: * ( )), escapes well-formed.
      .regex(/^(?:\/(?!\.\.?(?:\/|$))(?:[A-Za-z0-9._~!$&'+,;=@-]|%[0-9A-Fa-f]{2})+)*$/, "must be '' or a path like '/auth' (leading slash, no trailing slash)")
      .optional(),
    storage: z.enum(['session', 'cookie', 'jwt']).optional(),
    cookie: z
      .strictObject({
        name: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a valid cookie name').optional(),
        secret: z.string({ error: 'must be a string' }).min(32, 'must be at least 32 characters'),
        maxAge: z.number().int().positive().optional(),
        secure: z.boolean().optional(),
        sameSite: z.enum(['lax', 'strict', 'none']).optional(),
      })
      .optional(),
    jwt: jwtOptionsSchema.optional(),
    store: z.custom<RedisLikeClient | Store>((v) => v !== null && typeof v === 'object', 'must be a node-redis client, an ioredis client or a Store').optional(),
    storePrefix: z.string().optional(),
    storeTimeoutMs: z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be 0 or more').max(60_000, 'must be at most 60000').optional(),
    allowedRedirects: z.array(fields.url).optional(),
    endpoints: z.strictObject({ open: fields.url.optional(), api: fields.url.optional(), pay: fields.url.optional(), mp: fields.url.optional() }).optional(),
    timeoutMs: z.number().int().positive().max(60_000).optional(),
    axios: z.custom<AxiosInstance>((v) => typeof v === 'function' || (v !== null && typeof v === 'object'), 'must be an axios instance').optional(),
    logger: z.custom<Logger>((v) => !!v && typeof (v as Logger).warn === 'function' && typeof (v as Logger).error === 'function', 'must have warn() and error()').optional(),
    now: fn.optional(),
    onSuccess: fn.optional(),
    onError: fn.optional(),
    resolveUser: fn.optional(),
    jssdk: jssdkOptionsSchema.optional(),
    tokenEndpoint: z.enum(['stable_token', 'token']).optional(),
    getAccessToken: fn.optional(),
    pay: payOptionsSchema.optional(),
    webCallbackUrl: fields.url.optional(),
  })
  .superRefine((o, ctx) => {
    if (o.mobile !== undefined) {
      const schema = Array.isArray(o.mobile) ? z.array(credentials).min(1, 'must list at least one app') : credentials;
      const result = schema.safeParse(o.mobile);
      if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: ['mobile', ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
    }
    if (o.storage === 'cookie' && !o.cookie) ctx.addIssue({ code: 'custom', path: ['cookie'], message: 'is required when storage is "cookie" (at least { secret })' });
    if (o.storage === 'jwt' && !o.jwt) ctx.addIssue({ code: 'custom', path: ['jwt'], message: 'is required when storage is "jwt"' });
  });

/** Options after validation (types as the user gave them; defaults are applied where used). */
export type ResolvedOptions = WxAuthOptions;

/** The configured mobile apps as a list (the option takes one or many). */
export function mobileApps(options: WxAuthOptions): AppCredentials[] {
  if (!options.mobile) return [];
  return Array.isArray(options.mobile) ? options.mobile : [options.mobile];
}

// Re-exported for the hooks' types.
export type { WxIdentity, Request, Response };
