import type { Request, Response } from 'express';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import { stripTrailingSlashes } from '../wechat/endpoints';
import { DEFAULT_COOKIE_NAME } from '../identity/cookie';
import { hostCookieName, readCookie } from '../identity/cookie-jar';
import type { ResolvedOptions } from '../options';
import { ERROR_PAGE_CSP, loginFailure, pageLanguage, renderErrorPage, renderLandingPage } from './error-page';
import { safeNextUrl } from './next-url';
import type { Sealer } from './sealed-cookie';
import { addPending, openPending, sealPending, STATE_TTL_SECONDS, takePending, type StateRecord } from './state';

/** Express glue shared by the OAuth routes: origins, content negotiation, the pending-login cookie, error pages. */

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Our public origin: `baseUrl` when configured (recommended in production), else the request's
 * protocol and host — `X-Forwarded-Proto/Host` only when the app trusts the proxy (`trust proxy`),
 * as Express itself decides for `req.protocol`.
 */
export function requestOrigin(req: Request, options: ResolvedOptions): string {
  if (options.baseUrl) return new URL(options.baseUrl).origin;
  let host = req.headers.host;
  const forwarded = req.get('X-Forwarded-Host');
  const trust = req.app.get('trust proxy fn') as ((addr: string | undefined, i: number) => boolean) | undefined;
  if (forwarded && trust && trust(req.socket.remoteAddress, 0)) host = forwarded.split(',')[0]!.trim();
  if (!host || !HOST.test(host)) throw new WxAuthError('args_error', 'the request has no valid Host header');
  return `${req.protocol}://${host.toLowerCase()}`;
}

/**
 * The absolute URL prefix of the router: `baseUrl` (with any path a proxy strips) or the request
 * origin, plus the path the router is mounted on.
 */
export function routerUrl(req: Request, options: ResolvedOptions, mountPath: string): string {
  const base = options.baseUrl ? stripTrailingSlashes(options.baseUrl) : requestOrigin(req, options);
  return base + mountPath;
}

/**
 * The router's URL prefix that needs no `Host` header: `baseUrl` (with its path) plus the mount
 * path when `baseUrl` is configured, else the root-relative mount path. For URLs we hand to the
 * browser ourselves (the 401 login link, the widget's endpoint); a forged `Host` cannot steer them.
 */
export function routerPrefix(options: ResolvedOptions, mountPath: string, absolute: boolean): string {
  if (!options.baseUrl) return mountPath;
  const base = stripTrailingSlashes(options.baseUrl);
  return (absolute ? base : stripTrailingSlashes(new URL(base).pathname)) + mountPath;
}

/** The `next` guard with our origin and `allowedRedirects`. */
export function guardNext(req: Request, options: ResolvedOptions, next: unknown): string {
  return safeNextUrl(next, { origin: requestOrigin(req, options), allowedRedirects: options.allowedRedirects ?? [] });
}

const HTML_AT_FULL_WEIGHT = /(?:^|,)\s*text\/html\s*(?:,|$)/i;

/** API clients (XHR, `Accept: application/json`, bearer tokens) get JSON instead of redirects and pages. */
export function wantsJson(req: Request): boolean {
  const { accept, authorization } = req.headers;
  const requestedWith = req.headers['x-requested-with'];
  if (typeof requestedWith === 'string' && requestedWith.toLowerCase() === 'xmlhttprequest') return true; // req.xhr
  if (authorization && /^Bearer\s/i.test(authorization)) return true;
  if (!accept) return false;
  // A browser navigation lists `text/html` at full weight and no JSON type: HTML wins the
  // negotiation (same weight, more specific than any wildcard), so skip it.
  if (!accept.includes('json') && HTML_AT_FULL_WEIGHT.test(accept)) return false;
  return req.accepts(['html', 'json']) === 'json';
}

/**
 * Cross-site POSTs (a form on another site logging the visitor in or out) are refused when the
 * browser says where they come from. Native apps send no `Origin`, so they pass.
 */
export function assertSameOrigin(req: Request, options: ResolvedOptions): void {
  const origin = req.get('Origin');
  if (!origin || origin === 'null') {
    if (origin === 'null') throw new WxAuthError('args_error', 'cross-site request refused', { status: 403 });
    return;
  }
  const allowed = new Set([requestOrigin(req, options), ...(options.allowedRedirects ?? []).map((u) => new URL(u).origin)]);
  if (!allowed.has(origin.toLowerCase())) throw new WxAuthError('args_error', 'cross-site request refused', { status: 403 });
}

/**
 * The browser's pending logins, kept in one sealed cookie (state.ts): `__Host-<name>_pending`
 * over HTTPS, `<name>_pending` over http. httpOnly and `SameSite=Lax` whatever the login cookie
 * uses: WeChat's redirect back to the callback is a cross-site top-level GET, which Lax allows
 * and Strict would not. It lives as long as its newest entry (10 minutes).
 */
export class PendingLogins {
  /** What this request has already read or written (a callback that starts again sees its own write). */
  private readonly seen = new WeakMap<Request, StateRecord[]>();

  constructor(
    private readonly ctx: WxContext,
    private readonly options: ResolvedOptions,
    private readonly sealer: Sealer,
  ) {}

  private secure(req: Request): boolean {
    return this.options.cookie?.secure ?? req.secure;
  }

  cookieName(req: Request): string {
    return hostCookieName(`${this.options.cookie?.name ?? DEFAULT_COOKIE_NAME}_pending`, this.secure(req));
  }

  /** The unexpired pending logins this browser sent (none when the cookie is absent, forged, sent twice or expired). */
  list(req: Request): StateRecord[] {
    let list = this.seen.get(req);
    if (!list) {
      list = openPending(this.sealer, readCookie(req, this.cookieName(req), this.ctx.logger), this.ctx.now());
      this.seen.set(req, list);
    }
    return list;
  }

  /** Add a login this browser starts (the oldest goes beyond `MAX_PENDING`). */
  add(req: Request, res: Response, record: StateRecord): void {
    this.save(req, res, addPending(this.list(req), record, this.ctx.now()));
  }

  /**
   * The pending login `state` names, removed from the cookie (single use) before anything else
   * happens: a replayed callback finds nothing. Throws `state_error`.
   */
  take(req: Request, res: Response, state: unknown): StateRecord {
    const list = this.list(req);
    try {
      const { record, rest } = takePending(list, state, this.ctx.now());
      this.save(req, res, rest);
      return record;
    } catch (error) {
      if (list.some((r) => !(r.exp > this.ctx.now()))) this.save(req, res, list.filter((r) => r.exp > this.ctx.now()));
      throw error;
    }
  }

  private save(req: Request, res: Response, list: StateRecord[]): void {
    this.seen.set(req, list);
    const name = this.cookieName(req);
    const attributes = { httpOnly: true, sameSite: 'lax', secure: this.secure(req), path: '/' } as const;
    dropSetCookie(res, name); // one Set-Cookie per name and response: the last write is the one that counts
    const value = sealPending(this.sealer, list);
    if (value) res.cookie(name, value, { ...attributes, maxAge: STATE_TTL_SECONDS * 1000 });
    else if (req.headers.cookie?.includes(`${name}=`)) res.clearCookie(name, attributes);
  }
}

function dropSetCookie(res: Response, name: string): void {
  const current = res.getHeader('Set-Cookie');
  if (!Array.isArray(current)) {
    if (typeof current === 'string' && current.startsWith(`${name}=`)) res.removeHeader('Set-Cookie');
    return;
  }
  const kept = current.filter((c) => !c.startsWith(`${name}=`));
  if (kept.length !== current.length) res.setHeader('Set-Cookie', kept);
}

/**
 * Requests the browser marks as coming from another site (`Sec-Fetch-Site: same-site` — a
 * sibling subdomain — or `cross-site`) are refused. Browsers that send no such header pass.
 */
export function assertNotCrossSite(req: Request): void {
  const site = req.get('Sec-Fetch-Site');
  if (site === 'same-site' || site === 'cross-site') throw new WxAuthError('args_error', 'cross-site request refused', { status: 403 });
}

/** Printable ASCII without spaces: a URL that can go into `Location` as it is. */
const PLAIN_URL = /^[\x21-\x7e]+$/;

/**
 * Redirect with an empty body. Express's `res.redirect` content-negotiates a "Redirecting to…"
 * body no browser shows; on the login path that negotiation cost more than our state check.
 * Our URLs come out of `URL`/`URLSearchParams` (percent-encoded already); anything else goes
 * through Express, which encodes it.
 */
export function redirect(res: Response, status: 302 | 303, url: string): void {
  if (!PLAIN_URL.test(url)) {
    res.redirect(status, url);
    return;
  }
  res.statusCode = status;
  res.setHeader('Location', url);
  res.setHeader('Content-Length', '0');
  res.end();
}

export { escapeHtml } from './error-page';

/** What the default error page needs beyond the error: the links, and whether the user pressed Deny. */
export interface ErrorPageLinks {
  /** "Try again": the login start for the same action / next (root-relative). */
  retry?: string | undefined;
  /** The callback came back without a code: the user refused (pressed Deny). */
  cancelled?: boolean;
}

/**
 * The default error response: `{error, message}` JSON for API clients, else a page for the person
 * (error-page.ts) — one sentence in their language, "try again" and "home", never the code.
 */
export function sendDefaultError(req: Request, res: Response, error: WxAuthError, links: ErrorPageLinks = {}, forceJson = false): void {
  if (res.headersSent) return;
  res.status(error.status).set('Cache-Control', 'no-store');
  if (forceJson || wantsJson(req) || req.query.format === 'json') {
    res.json(error.toJSON());
    return;
  }
  const lang = pageLanguage(req.get('Accept-Language'));
  const html = renderErrorPage({ failure: loginFailure(error, links.cancelled), lang, retry: links.retry });
  res.set({ 'Content-Security-Policy': ERROR_PAGE_CSP, 'Content-Language': lang === 'zh' ? 'zh-CN' : 'en' }).type('html').send(html);
}

/** A browser navigation (not an API client) that asked for HTML. */
export function isPageNavigation(req: Request): boolean {
  return /\btext\/html\b/i.test(req.get('Accept') ?? '') && !wantsJson(req) && req.query.format !== 'json';
}

/** Leave the callback for `next` without the inherited `#wechat_redirect` (see `renderLandingPage`). */
export function sendLandingPage(req: Request, res: Response, next: string): void {
  const { html, csp } = renderLandingPage(next, pageLanguage(req.get('Accept-Language')));
  res.status(200).set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': csp, 'Referrer-Policy': 'no-referrer' }).type('html').send(html);
}
