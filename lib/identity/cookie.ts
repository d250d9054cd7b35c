import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { hostCookieName, readCookie } from './cookie-jar';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { CookieOptions, ResolvedOptions } from '../options';
import { createDenyList } from './deny-list';
import type { IdentityStorage, LoginAction, WxIdentity } from './types';

export const DEFAULT_COOKIE_NAME = 'wxauth';
/** 30 days, in ms (express `maxAge` unit). */
export const DEFAULT_COOKIE_MAX_AGE = 30 * 24 * 60 * 60 * 1000;
/** Cookies beyond this are dropped by browsers (RFC 6265 asks for at least 4096 bytes per cookie). */
const MAX_COOKIE_BYTES = 4000;
// Domain separation: a MAC made for this cookie can never be replayed as another HMAC'd value of ours.
const MAC_CONTEXT = 'express-wxauth.cookie.v1.';
const ACTIONS: ReadonlySet<LoginAction> = new Set(['mp', 'qrcode', 'mobile', 'miniprogram', 'follow']);

// The two parts of the cookie are unpadded base64url; the MAC is always 43 characters (32 bytes).
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MAC_SHAPE = /^[A-Za-z0-9_-]{43}$/;
// The login id: whatever ctx.randomHex gives (hex by default), bounded so it is a safe store key.
const JTI = /^[A-Za-z0-9_-]{8,128}$/;
/** Bytes of randomness in a login id (128 bits, as the JWT `jti`). */
const JTI_BYTES = 16;
/** Logged-out login ids, until the cookie would have expired anyway. */
const DENY_PREFIX = 'cookie:deny:';

/**
 * The payload inside the signed cookie: the identity, issued-at / expiry (seconds) and a random
 * login id (`jti`) that logout puts on the deny-list. Version 2: version 1 cookies carried no id,
 * so they could never be revoked; they are refused (the user logs in once more).
 */
interface CookiePayload {
  v: 2;
  iat: number;
  exp: number;
  jti: string;
  id: WxIdentity;
}

/** A cookie whose MAC and expiry check out: who, and the login id and expiry logout needs. */
export interface VerifiedCookie {
  identity: WxIdentity;
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

// Cookie reading lives in cookie-jar.ts (a name sent twice reads as absent); re-exported for existing imports.
export { readCookie } from './cookie-jar';

/**
 * Sign `identity` as `base64url(payload).base64url(HMAC-SHA256(secret, context + payload))`.
 * The payload carries `iat` and `exp`, so a cookie stolen or kept past `maxAge` stops working even
 * when the browser is told to keep it, and the login id `jti` that logout revokes.
 */
export function signIdentityCookie(identity: WxIdentity, secret: string, nowMs: number, maxAgeMs: number, jti: string): string {
  const iat = Math.floor(nowMs / 1000);
  const payload: CookiePayload = { v: 2, iat, exp: iat + Math.ceil(maxAgeMs / 1000), jti, id: identity };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/**
 * The identity, login id and expiry in a signed cookie value, or undefined when it is forged,
 * malformed, expired or version 1. Only the one canonical spelling verifies: base64url decoding
 * ignores padding, stray characters and the unused low bits of the last character, so both
 * parts are checked as strings (the MAC against the one we compute, the body by re-encoding),
 * never as decoded bytes. Pure: the deny-list is the storage's `read`.
 */
export function openIdentityCookie(value: string | undefined, secret: string, nowMs: number): VerifiedCookie | undefined {
  if (!value || value.length > MAX_COOKIE_BYTES * 2) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return undefined;
  const body = value.slice(0, dot);
  const given = value.slice(dot + 1);
  if (!BASE64URL.test(body) || !MAC_SHAPE.test(given)) return undefined;
  // Both are 43 ASCII characters now, so the ASCII bytes are the characters: a constant-time
  // compare of the strings, not of what they decode to.
  if (!timingSafeEqual(Buffer.from(given, 'ascii'), Buffer.from(mac(secret, body), 'ascii'))) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body) return undefined;
  let payload: CookiePayload;
  try {
    payload = JSON.parse(bytes.toString('utf8')) as CookiePayload;
  } catch {
    return undefined;
  }
  if (!payload || payload.v !== 2 || typeof payload.exp !== 'number' || payload.exp * 1000 <= nowMs) return undefined;
  if (typeof payload.jti !== 'string' || !JTI.test(payload.jti) || !isIdentity(payload.id)) return undefined;
  return { identity: payload.id, jti: payload.jti, exp: payload.exp };
}

/** The identity in a signed cookie value (see `openIdentityCookie`; the deny-list is not consulted). */
export function verifyIdentityCookie(value: string | undefined, secret: string, nowMs: number): WxIdentity | undefined {
  return openIdentityCookie(value, secret, nowMs)?.identity;
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
 * Logging in overwrites the cookie (the analogue of regenerating a session id). Logging out
 * also puts the cookie's login id on a deny-list in the store until its expiry, so a copy kept
 * elsewhere stops working too; reading a verified cookie costs one store `get` for that.
 */
export function createCookieIdentity(ctx: WxContext, options: ResolvedOptions): IdentityStorage {
  const config = options.cookie;
  if (!config?.secret) {
    throw new WxAuthError('config_error', '"cookie.secret" is required when storage is "cookie"', { field: 'cookie.secret' });
  }
  // `__Host-wxauth` over HTTPS (Secure, Path=/, no Domain: no subdomain can plant or overwrite it), `wxauth` over http.
  const name = (req: Request) => hostCookieName(config.name ?? DEFAULT_COOKIE_NAME, cookieAttributes(config, req).secure);
  const maxAge = config.maxAge ?? DEFAULT_COOKIE_MAX_AGE;
  const denied = createDenyList(ctx.store, DENY_PREFIX);
  return {
    kind: 'cookie',
    async login(req: Request, res: Response, identity: WxIdentity) {
      const value = signIdentityCookie(identity, config.secret, ctx.now(), maxAge, ctx.randomHex(JTI_BYTES));
      if (value.length > MAX_COOKIE_BYTES) {
        // Usually a large `resolveUser` result: the browser would silently drop the cookie.
        ctx.logger.warn('the login cookie is larger than browsers keep; return less from resolveUser', { bytes: value.length });
      }
      res.cookie(name(req), value, { ...cookieAttributes(config, req), maxAge });
      return {};
    },
    async read(req: Request) {
      const cookie = openIdentityCookie(readCookie(req, name(req), ctx.logger), config.secret, ctx.now());
      // One store read, and only for a cookie that verified: forged ones never reach the store.
      if (!cookie || (await denied.has(cookie.jti))) return undefined;
      return cookie.identity;
    },
    async logout(req: Request, res: Response) {
      // A copy of the cookie (another device, a stolen one) must die too, not only this browser's.
      const cookie = openIdentityCookie(readCookie(req, name(req), ctx.logger), config.secret, ctx.now());
      res.clearCookie(name(req), cookieAttributes(config, req));
      if (cookie) await denied.add(cookie.jti, cookie.exp, ctx.now());
    },
  };
}
