import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { hostCookieName, readCookie } from './cookie-jar';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { CookieOptions, ResolvedOptions } from '../options';
import type { IdentityStorage, LoginAction, WxIdentity } from './types';

export const DEFAULT_COOKIE_NAME = 'wxauth';
/** 30 days, in ms (express `maxAge` unit). */
export const DEFAULT_COOKIE_MAX_AGE = 30 * 24 * 60 * 60 * 1000;
/** Cookies beyond this are dropped by browsers (RFC 6265 asks for at least 4096 bytes per cookie). */
const MAX_COOKIE_BYTES = 4000;
// Domain separation: a MAC made for this cookie can never be replayed as another HMAC'd value of ours.
const MAC_CONTEXT = 'express-wxauth.cookie.v1.';
const ACTIONS: ReadonlySet<LoginAction> = new Set(['mp', 'qrcode', 'mobile', 'miniprogram']);

/** The payload inside the signed cookie: the identity plus issued-at / expiry (seconds). */
interface CookiePayload {
  v: 1;
  iat: number;
  exp: number;
  id: WxIdentity;
}

// Cookie reading lives in cookie-jar.ts (a name sent twice reads as absent); re-exported for existing imports.
export { readCookie } from './cookie-jar';

/**
 * Sign `identity` as `base64url(payload).base64url(HMAC-SHA256(secret, context + payload))`.
 * The payload carries `iat` and `exp`, so a cookie stolen or kept past `maxAge` stops working even
 * when the browser is told to keep it.
 */
export function signIdentityCookie(identity: WxIdentity, secret: string, nowMs: number, maxAgeMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const payload: CookiePayload = { v: 1, iat, exp: iat + Math.ceil(maxAgeMs / 1000), id: identity };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/** The identity in a signed cookie value, or undefined when it is forged, malformed or expired. */
export function verifyIdentityCookie(value: string | undefined, secret: string, nowMs: number): WxIdentity | undefined {
  if (!value || value.length > MAX_COOKIE_BYTES * 2) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return undefined;
  const body = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(secret, body), 'base64url');
  // Constant-time compare; the length check leaks only the (public) MAC length.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let payload: CookiePayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CookiePayload;
  } catch {
    return undefined;
  }
  if (!payload || payload.v !== 1 || typeof payload.exp !== 'number' || payload.exp * 1000 <= nowMs) return undefined;
  return isIdentity(payload.id) ? payload.id : undefined;
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(MAC_CONTEXT + body).digest('base64url');
}

function isIdentity(value: unknown): value is WxIdentity {
  const id = value as Partial<WxIdentity> | null;
  return (
    !!id &&
    typeof id === 'object' &&
    typeof id.openid === 'string' &&
    typeof id.appid === 'string' &&
    ACTIONS.has(id.action as LoginAction) &&
    (id.unionid === undefined || typeof id.unionid === 'string')
  );
}

/** Cookie attributes shared by set and clear (a clear must match path / sameSite / secure to work). */
export function cookieAttributes(options: Pick<CookieOptions, 'secure' | 'sameSite'>, req: Request) {
  const sameSite = options.sameSite ?? 'lax';
  // Browsers drop `SameSite=None` cookies that are not `Secure`.
  const secure = sameSite === 'none' ? true : (options.secure ?? req.secure);
  return { httpOnly: true, sameSite, secure, path: '/' } as const;
}

/**
 * `storage: 'cookie'`: the identity lives in a signed, httpOnly cookie — no server-side session.
 * Logging in overwrites the cookie (the analogue of regenerating a session id).
 */
export function createCookieIdentity(ctx: WxContext, options: ResolvedOptions): IdentityStorage {
  const config = options.cookie;
  if (!config?.secret) {
    throw new WxAuthError('config_error', '"cookie.secret" is required when storage is "cookie"', { field: 'cookie.secret' });
  }
  // `__Host-wxauth` over HTTPS (Secure, Path=/, no Domain: no subdomain can plant or overwrite it), `wxauth` over http.
  const name = (req: Request) => hostCookieName(config.name ?? DEFAULT_COOKIE_NAME, cookieAttributes(config, req).secure);
  const maxAge = config.maxAge ?? DEFAULT_COOKIE_MAX_AGE;
  return {
    kind: 'cookie',
    async login(req: Request, res: Response, identity: WxIdentity) {
      const value = signIdentityCookie(identity, config.secret, ctx.now(), maxAge);
      if (value.length > MAX_COOKIE_BYTES) {
        // Usually a large `resolveUser` result: the browser would silently drop the cookie.
        ctx.logger.warn('the login cookie is larger than browsers keep; return less from resolveUser', { bytes: value.length });
      }
      res.cookie(name(req), value, { ...cookieAttributes(config, req), maxAge });
      return {};
    },
    async read(req: Request) {
      return verifyIdentityCookie(readCookie(req, name(req), ctx.logger), config.secret, ctx.now());
    },
    async logout(req: Request, res: Response) {
      res.clearCookie(name(req), cookieAttributes(config, req));
    },
  };
}
