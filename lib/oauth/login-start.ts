import type { NextFunction, Request, Response } from 'express';
import { requireSession } from '../identity/session';
import type { LoginAction } from '../identity/types';
import { resolveAction, resolveScope, startLogin, type BrowserAction } from './flow';
import { failLogin, retryLink } from './fail';
import { guardNext, redirect, routerPrefix, wantsJson } from './http';
import { PATHS } from './paths';
import type { OAuthRouteContext } from './route-context';

/** Options of `router.auth(req, res, options)`. */
export interface AuthStartOptions {
  /** `mp` (inside WeChat) or `qrcode` (desktop). Default: from the User-Agent (`MicroMessenger` → mp). */
  action?: Extract<LoginAction, 'mp' | 'qrcode'>;
  /** mp only: `snsapi_base` (default, silent, openid only) or `snsapi_userinfo` (consent page, profile). */
  scope?: 'snsapi_base' | 'snsapi_userinfo';
  /** Where to go after login; checked against the same origin and `allowedRedirects`. Default: the current URL. */
  next?: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Send the browser to WeChat's authorize / qrconnect page, its pending login sealed into this
 * browser's cookie. `upgrade`: the snsapi_userinfo round after a completed base login (a Deny
 * then keeps the base login).
 */
export async function redirectToWechat(rc: OAuthRouteContext, req: Request, res: Response, action: BrowserAction, scope: ReturnType<typeof resolveScope>, next: string, upgrade = false): Promise<void> {
  const { ctx, options, identity } = rc;
  if (identity.kind === 'session') requireSession(req); // fail before the WeChat round trip, not after
  const { url, record } = startLogin(ctx, options, { action, scope, next, redirectUri: rc.callbackUrl(req) });
  rc.pendingLogins().add(req, res, upgrade ? { ...record, upgrade: true } : record);
  ctx.logger.debug?.('login started', { action, scope, appid: record.appid });
  res.set('Cache-Control', 'no-store');
  redirect(res, 302, url);
}

/**
 * `router.auth()` for a browser login (mp / qrcode) from the app's own route: a redirect to
 * WeChat, or for API clients a 401 JSON naming our login start. Failures answer like the routes.
 */
export async function startBrowserLogin(rc: OAuthRouteContext, req: Request, res: Response, o: AuthStartOptions = {}): Promise<void> {
  const { options } = rc;
  let next = '/';
  let action: BrowserAction | undefined;
  try {
    next = guardNext(req, options, o.next ?? req.originalUrl);
    action = resolveAction(options, o.action, req.get('User-Agent'));
    const scope = resolveScope(action, o.scope);
    if (wantsJson(req)) {
      // API clients get where to send the user, not a redirect they cannot follow; no login is
      // started until the browser actually goes there. The link comes from `baseUrl` or is
      // root-relative — never from the Host header — and no cache may keep it.
      const query = new URLSearchParams({ ...(o.action ? { action } : {}), ...(o.scope ? { scope } : {}), next });
      res.status(401).set('Cache-Control', 'no-store').json({ error: 'WXAUTH_REQUIRED', login: `${routerPrefix(options, rc.mountPath(), true)}${PATHS.login}?${query}` });
      return;
    }
    await redirectToWechat(rc, req, res, action, scope, next);
  } catch (error) {
    await failLogin(rc, req, res, (e) => Promise.reject(e), error, { action, next, retry: retryLink(rc, action, o.scope, next) });
  }
}

/** `GET /oauth/wechat/login?action=&scope=&next=`: start a browser login. */
export function handleLoginStart(rc: OAuthRouteContext) {
  return (req: Request, res: Response, nextFn: NextFunction): void => {
    let next = '/';
    let action: BrowserAction | undefined;
    (async () => {
      next = guardNext(req, rc.options, req.query.next);
      action = resolveAction(rc.options, req.query.action, req.get('User-Agent'));
      await redirectToWechat(rc, req, res, action, resolveScope(action, req.query.scope), next);
    })().catch((error) => failLogin(rc, req, res, nextFn, error, { action, next, retry: retryLink(rc, action, str(req.query.scope), next) }));
  };
}
