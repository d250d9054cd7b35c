import type { Request, RequestHandler, Response, Router } from 'express';
import type { SurfaceDeps } from '../deps';
import type { FollowStartOptions } from '../follow/router';
import { identify } from '../identity';
import { handleCallback } from './callback';
import { handleLoginStart, startBrowserLogin, type AuthStartOptions } from './login-start';
import { handleLogout, logout } from './logout';
import { mobileCodeLogin } from './mobile-route';
import { PATHS } from './paths';
import { createRouteContext } from './route-context';
import { qrconnectUrl, serveWidgetScript } from './widget-routes';

export type { AuthStartOptions } from './login-start';
export { PATHS } from './paths';

/**
 * Options of `router.requireLogin(options)`: how to start the login when the request has none —
 * a browser login (`mp` / `qrcode`, or from the User-Agent) or follow-to-login (`{ action: 'follow' }`,
 * which takes no `scope`). The destination is always the request's own URL.
 */
export type RequireLoginOptions = Omit<AuthStartOptions, 'next'> | Omit<FollowStartOptions, 'next'>;

/** Starts one kind of login from the app's own route (`router.auth(req, res, { action })`). */
export type LoginStarter<O extends { action?: string } = { action?: string }> = (req: Request, res: Response, options: O) => Promise<void>;

/**
 * The OAuth surface's routes — each handler in its own file — and the helpers `wxauth()` puts on
 * the router:
 *
 *   GET  /oauth/wechat/login      handleLoginStart   (login-start.ts)
 *   GET  /oauth/wechat/callback   handleCallback     (callback.ts)
 *   GET  /weixin-login.js         serveWidgetScript  (widget-routes.ts)
 *   GET  /oauth/wechat/qrconnect  qrconnectUrl       (widget-routes.ts)
 *   POST /oauth/wechat/mobile     mobileCodeLogin    (mobile-route.ts)
 *   POST /oauth/wechat/logout     handleLogout       (logout.ts)
 *
 * `auth()` dispatches on `action`: mp and qrcode (or none: from the User-Agent) start a browser
 * login here; another surface adds its own login with `addLoginAction` (follow-to-login does).
 */
export function mountOAuth(router: Router, deps: SurfaceDeps) {
  const rc = createRouteContext(deps);
  router.use(rc.watchMountPath);
  router.get(PATHS.login, handleLoginStart(rc));
  router.get(PATHS.callback, handleCallback(rc));
  router.get(PATHS.script, serveWidgetScript(rc));
  router.get(PATHS.qrconnect, qrconnectUrl(rc));
  router.post(PATHS.mobile, mobileCodeLogin(rc));
  router.post(PATHS.logout, handleLogout(rc));

  const browserLogin: LoginStarter<AuthStartOptions> = (req, res, o) => startBrowserLogin(rc, req, res, o);
  const starters = new Map<string, LoginStarter>();

  /** `router.auth()`: the starter registered for `action`, else the browser login (which refuses an unknown action). */
  function auth(req: Request, res: Response, o: { action?: string } = {}): Promise<void> {
    const start = (o.action === undefined ? undefined : starters.get(o.action)) ?? (browserLogin as LoginStarter);
    return start(req, res, o);
  }

  function requireLogin(o: RequireLoginOptions = {}): RequestHandler {
    return (req, res, nextFn) => {
      // On a route outside the router nothing has read the login yet: read it here.
      identify(deps.identity, req).then(() => (req.wxauth ? nextFn() : auth(req, res, o)), nextFn).catch(nextFn);
    };
  }

  return {
    auth,
    requireLogin,
    logout: (req: Request, res: Response) => logout(deps.identity, req, res),
    /** Let `router.auth(req, res, { action })` start another surface's login. */
    addLoginAction<O extends { action: string }>(action: O['action'], start: LoginStarter<O>): void {
      starters.set(action, start as LoginStarter);
    },
  };
}
