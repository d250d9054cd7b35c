import type { AxiosInstance } from 'axios';
import type { Request } from 'express';
import { z } from 'zod';
import { WxAuthError } from '../errors';
import type { Logger } from '../log';
import type { AppCredentials, CookieOptions, ResolvedOptions } from '../options';
import type { Endpoints } from '../wechat/endpoints';
import { fields, validateOptions } from '../validate';
import type { WxAuthProfile } from './profile';

/** Options of `new WxAuthStrategy(options, verify)`. */
export interface WxAuthStrategyOptions {
  /** Official account (公众号): login inside WeChat's browser (`snsapi_base` / `snsapi_userinfo`). */
  mp?: AppCredentials;
  /** Website app (网站应用): QR-code login on desktop browsers (`snsapi_login`). */
  qrcode?: AppCredentials;
  /** Public origin for `redirect_uri` and the `next` check, e.g. `https://shop.example.com`. Default: from the request (trust-proxy aware). */
  baseUrl?: string;
  /**
   * Where WeChat sends the browser back: a path (`/auth/wechat/callback`, under `baseUrl` or the
   * request's origin) or an absolute URL. Default: the path of the request that starts the login,
   * so one route (`app.get('/auth/wechat', passport.authenticate('wechat'), …)`) does both.
   */
  callbackURL?: string;
  /** Key material (at least 32 characters) for the sealed pending-login cookie. Default: derived from the app secrets. */
  secret?: string;
  /** The pending-login cookie: `<name>_pending` (`__Host-<name>_pending` over HTTPS). Default name `wxauth`; `secure` defaults to `req.secure`. */
  cookie?: { name?: string; secure?: boolean };
  /** Extra origins (`https://m.example.com`) that `next` may point to. Default: same origin only. */
  allowedRedirects?: string[];
  /** Default action when neither `authenticate(…, { action })` nor `?action=` gives one. Default: from the User-Agent (`MicroMessenger` → mp). */
  action?: 'mp' | 'qrcode';
  /** Default mp scope: `snsapi_base` (silent, openid only; the default) or `snsapi_userinfo` (consent page, profile). */
  scope?: 'snsapi_base' | 'snsapi_userinfo';
  /**
   * Silent first, profile only when you need it: called after an mp `snsapi_base` login, before
   * `verify`. Answer `true` and the browser goes round again with `snsapi_userinfo` (the consent
   * page), `next` kept; `verify` then runs once, with the profile.
   */
  upgrade?: (profile: WxAuthProfile, req: Request) => boolean | Promise<boolean>;
  /** Call `verify(req, profile, done)` instead of `verify(profile, done)`. */
  passReqToCallback?: boolean;
  /** The strategy's name for `passport.authenticate(name)`. Default `wechat`. */
  name?: string;
  /** WeChat hosts; defaults are WeChat's real ones. Point them at the simulator for offline work. */
  endpoints?: Partial<Endpoints>;
  /** Timeout of each call to WeChat in ms. Default 5000. */
  timeoutMs?: number;
  /** Your own axios instance for calls to WeChat. */
  axios?: AxiosInstance;
  /** Where warnings and errors go (safe fields only: code, errcode, action, appid). Default: console. */
  logger?: Logger;
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
}

const credentials = z.strictObject({ appid: fields.appid, secret: fields.secret });
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
// A path on our origin (one leading slash, no `//` or `\`), or an absolute http(s) URL.
const callbackUrl = z.union([z.string().regex(/^\/(?![/\\])[\x21-\x7e]*$/), fields.url], { error: 'must be a path like "/auth/wechat/callback" or an absolute http(s) URL' });

const schema = z.strictObject({
  mp: credentials.optional(),
  qrcode: credentials.optional(),
  baseUrl: fields.url.optional(),
  callbackURL: callbackUrl.optional(),
  secret: z.string({ error: 'must be a string' }).min(32, 'must be at least 32 characters').optional(),
  cookie: z
    .strictObject({
      name: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a valid cookie name').optional(),
      secure: z.boolean({ error: 'must be a boolean' }).optional(),
    })
    .optional(),
  allowedRedirects: z.array(fields.url).optional(),
  action: z.enum(['mp', 'qrcode']).optional(),
  scope: z.enum(['snsapi_base', 'snsapi_userinfo']).optional(),
  upgrade: fn.optional(),
  passReqToCallback: z.boolean({ error: 'must be a boolean' }).optional(),
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be a strategy name such as "wechat"').optional(),
  endpoints: z.strictObject({ open: fields.url.optional(), api: fields.url.optional(), pay: fields.url.optional() }).optional(),
  timeoutMs: z.number().int().positive().max(60_000).optional(),
  axios: z.custom<AxiosInstance>((v) => typeof v === 'function' || (v !== null && typeof v === 'object'), 'must be an axios instance').optional(),
  logger: z.custom<Logger>((v) => !!v && typeof (v as Logger).warn === 'function' && typeof (v as Logger).error === 'function', 'must have warn() and error()').optional(),
  now: fn.optional(),
});

/**
 * The strategy's options, checked at construction (`config_error` naming the field, never the
 * value), and the subset of the router's options the shared OAuth cores read.
 */
export function resolveStrategyOptions(input: unknown, verify: unknown): { options: WxAuthStrategyOptions; core: ResolvedOptions } {
  const options = validateOptions<WxAuthStrategyOptions>(schema, input ?? {});
  if (!options.mp && !options.qrcode) throw new WxAuthError('config_error', '"options" must configure "mp" or "qrcode" (or both)', { field: 'options' });
  if (options.action && !options[options.action]) throw new WxAuthError('config_error', `"action" is "${options.action}", which is not configured`, { field: 'action' });
  if (typeof verify !== 'function') throw new WxAuthError('config_error', '"verify" must be a function (profile, done) => void', { field: 'verify' });
  const core: ResolvedOptions = {
    ...(options.mp ? { mp: options.mp } : {}),
    ...(options.qrcode ? { qrcode: options.qrcode } : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.secret ? { secret: options.secret } : {}),
    ...(options.allowedRedirects ? { allowedRedirects: options.allowedRedirects } : {}),
    // The pending-login cookie reads only the name and Secure flag; there is no login cookie to sign here.
    ...(options.cookie ? { cookie: options.cookie as CookieOptions } : {}),
  };
  return { options, core };
}
