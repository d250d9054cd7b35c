import type { Request, Response } from 'express';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import { readCookie } from '../identity/cookie';
import type { ResolvedOptions } from '../options';
import { safeNextUrl } from './next-url';
import { newBinding } from './state';

/** Express glue shared by the OAuth routes: origins, content negotiation, the binding cookie, error pages. */

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
  const base = options.baseUrl ? options.baseUrl.replace(/\/+$/, '') : requestOrigin(req, options);
  return base + mountPath;
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

/** Name of the cookie that binds a login's state to this browser. */
export function bindingCookieName(options: ResolvedOptions): string {
  return `${options.cookie?.name ?? 'wxauth'}_bind`;
}

/**
 * This browser's binding value, created (and set as a cookie) when missing. The cookie is
 * httpOnly and `SameSite=Lax` whatever the login cookie uses: WeChat's redirect back to the
 * callback is a cross-site top-level GET, which Lax allows and Strict would not.
 */
export function ensureBinding(ctx: WxContext, req: Request, res: Response, options: ResolvedOptions): string {
  const name = bindingCookieName(options);
  const existing = readCookie(req, name);
  if (existing && /^[a-f0-9]{32,128}$/.test(existing)) return existing;
  const binding = newBinding(ctx);
  res.cookie(name, binding, { httpOnly: true, sameSite: 'lax', secure: options.cookie?.secure ?? req.secure, path: '/' });
  return binding;
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

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The default error response: a small page or `{error, message}` JSON. No stack, no secret. */
export function sendDefaultError(req: Request, res: Response, error: WxAuthError, next: string, forceJson = false): void {
  if (res.headersSent) return;
  res.status(error.status).set('Cache-Control', 'no-store');
  if (forceJson || wantsJson(req) || req.query.format === 'json') {
    res.json(error.toJSON());
    return;
  }
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Login failed</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1>Login failed</h1>
<p>${escapeHtml(error.message)}</p>
<p><small>Error code: <code>${escapeHtml(String(error.code))}</code></small></p>
<p><a href="${escapeHtml(next)}">Continue</a></p>
</body></html>
`);
}
