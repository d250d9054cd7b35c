import { json, type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { SurfaceDeps } from '../deps';
import { WxAuthError, isWxAuthError } from '../errors';
import { completeLogin } from '../identity/complete-login';
import { identify } from '../identity';
import { requireSession } from '../identity/session';
import type { LoginAction } from '../identity/types';
import { browserApp, finishLogin, resolveAction, resolveScope, startLogin, type BrowserAction } from './flow';
import { assertNotCrossSite, assertSameOrigin, guardNext, isPageNavigation, PendingLogins, redirect, routerPrefix, routerUrl, sendDefaultError, sendLandingPage, wantsJson } from './http';
import { mobileLogin, pickMobileApp } from './mobile';
import { createSealer } from './sealed-cookie';
import { sealingSecrets, type StateRecord } from './state';
import { WIDGET_HEADER, widgetFrameUrl, widgetScript } from './widget';

/** Options of `router.auth(req, res, options)`. */
export interface AuthStartOptions {
  /** `mp` (inside WeChat) or `qrcode` (desktop). Default: from the User-Agent (`MicroMessenger` → mp). */
  action?: Extract<LoginAction, 'mp' | 'qrcode'>;
  /** mp only: `snsapi_base` (default, silent, openid only) or `snsapi_userinfo` (consent page, profile). */
  scope?: 'snsapi_base' | 'snsapi_userinfo';
  /** Where to go after login; checked against the same origin and `allowedRedirects`. Default: the current URL. */
  next?: string;
}
/** Options of `router.requireLogin(options)`: how to start the login when the request has none. */
export type RequireLoginOptions = Omit<AuthStartOptions, 'next'>;

export const PATHS = {
  login: '/oauth/wechat/login',
  callback: '/oauth/wechat/callback',
  script: '/weixin-login.js',
  /** The widget's same-origin JSON endpoint: `{ url }` of one QR login's iframe. */
  qrconnect: '/oauth/wechat/qrconnect',
  mobile: '/oauth/wechat/mobile',
  logout: '/oauth/wechat/logout',
} as const;

interface FailContext {
  action?: LoginAction | undefined;
  next: string;
  /** Answer JSON whatever the request accepts (mobile clients). */
  json?: boolean;
  /** The error page's "try again" link: the login start for the same action / next. */
  retry?: string | undefined;
  /** The callback came back without a code: the user pressed Deny. */
  cancelled?: boolean;
}

const ID_FORMAT = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Browser login (mp / qrcode), the QR widget script, mobile code login and logout. The steps
 * themselves live in `flow.ts` / `mobile.ts`; this file only speaks HTTP.
 */
export function mountOAuth(router: Router, deps: SurfaceDeps) {
  const { ctx, options, identity, hooks } = deps;
  // Where the app mounted us: the option when given, else seen on each request through the router.
  let mountPath = options.mountPath ?? '';
  let warnedMount = false;
  const parseJson = json({ limit: '16kb' });
  // Pending browser logins live in a sealed cookie, not in the store (state.ts). Only browser
  // logins need it: a router with only mobile / mini program / pay never builds the key.
  const pending = options.mp || options.qrcode ? new PendingLogins(ctx, options, createSealer(sealingSecrets(options))) : undefined;
  const pendingLogins = (): PendingLogins => {
    if (!pending) throw new WxAuthError('args_error', 'browser login is not configured (configure "mp" or "qrcode")');
    return pending;
  };

  router.use((req, _res, next) => {
    if (options.mountPath === undefined) mountPath = req.baseUrl;
    else if (req.baseUrl !== options.mountPath && !warnedMount) {
      warnedMount = true; // once: a misconfiguration, not an event per request
      ctx.logger.warn('"mountPath" differs from where the router is mounted; redirect_uri and notify URLs use "mountPath"', { mountPath: options.mountPath, mountedAt: req.baseUrl });
    }
    next();
  });

  const callbackUrl = (req: Request) => routerUrl(req, options, mountPath) + PATHS.callback;

  /** `upgrade`: the snsapi_userinfo round after a completed base login (a Deny then keeps the base login). */
  async function redirectToWechat(req: Request, res: Response, action: BrowserAction, scope: ReturnType<typeof resolveScope>, next: string, upgrade = false) {
    if (identity.kind === 'session') requireSession(req); // fail before the WeChat round trip, not after
    const { url, record } = startLogin(ctx, options, { action, scope, next, redirectUri: callbackUrl(req) });
    pendingLogins().add(req, res, upgrade ? { ...record, upgrade: true } : record);
    ctx.logger.debug?.('login started', { action, scope, appid: record.appid });
    res.set('Cache-Control', 'no-store');
    redirect(res, 302, url);
  }

  /** Errors of a login step: log safe fields, run the error hook, else the default 4xx page/JSON. */
  async function fail(req: Request, res: Response, nextFn: NextFunction, error: unknown, { action, next, json: asJson = false, retry, cancelled = false }: FailContext) {
    if (!isWxAuthError(error)) return nextFn(error); // the app's own code (resolveUser, a hook) failed: its error handler decides
    const meta = {
      code: error.code,
      ...(error.errcode === undefined ? {} : { errcode: error.errcode }),
      ...(action ? { action } : {}),
      // A misconfiguration is the developer's to fix, and the page no longer says what it is: the log does.
      ...(error.code === 'config_error' ? { message: error.message } : {}),
    };
    if (error.status >= 500) ctx.logger.error('login failed', meta);
    else ctx.logger.warn('login failed', meta);
    try {
      if (hooks.error) await hooks.error(req, res, { error, ...(action ? { action } : {}), next, cause: error.cause });
    } catch (hookError) {
      return nextFn(hookError);
    }
    sendDefaultError(req, res, error, { retry, cancelled }, asJson);
  }

  /** The error page's "try again": our login start (root-relative, never from Host) for the same action, scope and next. */
  function retryLink(action?: LoginAction, scope?: string, next?: string): string {
    const query = new URLSearchParams({
      ...(action === 'mp' || action === 'qrcode' ? { action } : {}),
      ...(action === 'mp' && scope === 'snsapi_userinfo' ? { scope } : {}),
      ...(next ? { next } : {}),
    }).toString();
    return `${routerPrefix(options, mountPath, false)}${PATHS.login}${query ? `?${query}` : ''}`;
  }

  async function auth(req: Request, res: Response, o: AuthStartOptions = {}): Promise<void> {
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
        res.status(401).set('Cache-Control', 'no-store').json({ error: 'WXAUTH_REQUIRED', login: `${routerPrefix(options, mountPath, true)}${PATHS.login}?${query}` });
        return;
      }
      await redirectToWechat(req, res, action, scope, next);
    } catch (error) {
      await fail(req, res, (e) => Promise.reject(e), error, { action, next, retry: retryLink(action, o.scope, next) });
    }
  }

  function requireLogin(o: RequireLoginOptions = {}): RequestHandler {
    return (req, res, nextFn) => {
      // On a route outside the router nothing has read the login yet: read it here.
      identify(identity, req).then(() => (req.wxauth ? nextFn() : auth(req, res, o)), nextFn).catch(nextFn);
    };
  }

  async function logout(req: Request, res: Response): Promise<void> {
    await identity.logout(req, res);
    delete req.wxauth;
  }

  router.get(PATHS.login, (req, res, nextFn) => {
    let next = '/';
    let action: BrowserAction | undefined;
    (async () => {
      next = guardNext(req, options, req.query.next);
      action = resolveAction(options, req.query.action, req.get('User-Agent'));
      await redirectToWechat(req, res, action, resolveScope(action, req.query.scope), next);
    })().catch((error) => fail(req, res, nextFn, error, { action, next, retry: retryLink(action, str(req.query.scope), next) }));
  });

  /**
   * The end of a browser login. mp navigations land on `next` through a tiny page, not a 302: the
   * browser would carry WeChat's `#wechat_redirect` fragment on to `next` (error-page.ts,
   * `renderLandingPage`). API clients and other callers keep the plain 302 (or JSON).
   */
  function land(req: Request, res: Response, action: LoginAction, next: string) {
    res.set('Cache-Control', 'no-store');
    if (action === 'mp' && isPageNavigation(req)) sendLandingPage(req, res, next);
    else redirect(res, 302, next);
  }

  /**
   * Deny on the consent page of an upgrade round: the base login of that round already completed
   * (session / cookie / JWT set), so it stands — the user goes on to `next` and the success hook
   * hears `upgradeRefused: true`. Only when this browser is still logged in with that app.
   */
  async function upgradeRefused(req: Request, res: Response, record: StateRecord): Promise<boolean> {
    if (!record.upgrade || record.action !== 'mp' || (req.query.code !== undefined && req.query.code !== '')) return false;
    await identify(identity, req);
    const who = req.wxauth;
    if (!who || who.appid !== record.appid) return false;
    ctx.logger.info?.('login upgrade refused', { action: 'mp', appid: record.appid });
    if (hooks.success) {
      // No code, so no exchange this round: the OAuth tokens went to the hook in the base round.
      const access = { openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), scope: 'snsapi_base', access_token: '', refresh_token: '', expires_in: 0 };
      await hooks.success(req, res, { action: 'mp', scope: 'snsapi_base', access, next: record.next, identity: who, upgradeRefused: true });
    }
    if (res.headersSent) return true;
    if (req.query.format === 'json' || wantsJson(req)) {
      res.set('Cache-Control', 'no-store').json({ openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), action: 'mp', next: record.next, upgradeRefused: true });
    } else land(req, res, 'mp', record.next);
    return true;
  }

  router.get(PATHS.callback, (req, res, nextFn) => {
    let record: StateRecord | undefined;
    (async () => {
      // The state's pending login leaves this browser's cookie before anything else: single use.
      record = pendingLogins().take(req, res, req.query.state);
      if (await upgradeRefused(req, res, record)) return;
      const result = await finishLogin(ctx, options, { code: req.query.code, record });
      const { access, userinfo } = result;
      const { action, scope, next } = result.record;
      const { identity: who, token } = await completeLogin(deps, req, res, {
        openid: access.openid,
        ...(access.unionid ? { unionid: access.unionid } : {}),
        appid: result.record.appid,
        action,
        ...(userinfo ? { userinfo } : {}),
        isSnapshotUser: result.isSnapshotUser,
      });
      ctx.logger.info?.('login', { action, scope, appid: result.record.appid });
      const outcome = hooks.success ? await hooks.success(req, res, { action, scope, access, ...(userinfo ? { userinfo } : {}), next, identity: who }) : undefined;
      if (res.headersSent) return;
      if (outcome && outcome.upgrade === 'snsapi_userinfo' && action === 'mp' && scope === 'snsapi_base') {
        // chiki's base-then-userinfo: the user is known only by openid; go round again for the profile.
        await redirectToWechat(req, res, 'mp', 'snsapi_userinfo', next, true);
        return;
      }
      if (req.query.format === 'json' || wantsJson(req)) {
        res.set('Cache-Control', 'no-store').json({ openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), action, next, ...(token ? { token } : {}) });
        return;
      }
      land(req, res, action, next);
    })().catch((error) =>
      fail(req, res, nextFn, error, {
        ...(record ? { action: record.action } : {}),
        next: record?.next ?? '/',
        retry: record ? retryLink(record.action, record.scope, record.next) : retryLink(),
        cancelled: record !== undefined && (req.query.code === undefined || req.query.code === ''),
      }),
    );
  });

  /** The widget's query: element id, style, href, self_redirect and next. */
  function widgetQuery(req: Request) {
    const style = req.query.style === 'white' ? 'white' : 'black';
    const href = str(req.query.href);
    const selfRedirect = req.query.self_redirect === 'true' ? true : req.query.self_redirect === 'false' ? false : undefined;
    return { style, ...(href && /^https:\/\/[^\s"'<>]+$/i.test(href) ? { href } : {}), ...(selfRedirect === undefined ? {} : { selfRedirect }) };
  }

  // Every answer of the widget's two routes: not includable by another origin, never cached.
  const WIDGET_HEADERS = { 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin', 'X-Content-Type-Options': 'nosniff' };

  router.get(PATHS.script, (req, res) => {
    try {
      // A page of another origin — a sibling subdomain too — must not run our widget (CORP blocks
      // the load in browsers that know it; Sec-Fetch-Site refuses it in those that send it).
      assertNotCrossSite(req);
      if (!browserApp(options, 'qrcode')) throw new WxAuthError('args_error', 'QR login is not configured (the "qrcode" option)', { status: 404 });
      const id = str(req.query.id) ?? 'login_container';
      if (!ID_FORMAT.test(id)) throw new WxAuthError('args_error', '"id" must be an element id');
      const { style, href, selfRedirect } = widgetQuery(req);
      const next = guardNext(req, options, req.query.next);
      const query = new URLSearchParams({ next, style, ...(href ? { href } : {}), ...(selfRedirect === undefined ? {} : { self_redirect: String(selfRedirect) }) });
      const endpoint = `${routerPrefix(options, mountPath, false)}${PATHS.qrconnect}?${query}`;
      res.set(WIDGET_HEADERS).type('application/javascript').send(widgetScript(ctx.http.endpoints.open, { id, endpoint }));
    } catch (error: unknown) {
      const e = isWxAuthError(error) ? error : new WxAuthError('args_error', 'the login could not be prepared');
      ctx.logger.warn('weixin-login.js failed', { code: e.code });
      res.status(e.status).set(WIDGET_HEADERS).type('application/javascript').send(`console.error(${JSON.stringify(`express-wxauth: ${e.code}: ${e.message}`)});\n`);
    }
  });

  router.get(PATHS.qrconnect, (req, res) => {
    try {
      assertNotCrossSite(req);
      // Only our widget's fetch sends this header; cross-origin it would need a CORS preflight we never answer.
      if (req.get(WIDGET_HEADER) !== '1') throw new WxAuthError('args_error', `the "${WIDGET_HEADER}: 1" header is required`, { status: 403 });
      const app = browserApp(options, 'qrcode');
      if (!app) throw new WxAuthError('args_error', 'QR login is not configured (the "qrcode" option)', { status: 404 });
      if (identity.kind === 'session') requireSession(req);
      const next = guardNext(req, options, req.query.next);
      const redirectUri = callbackUrl(req);
      const { record } = startLogin(ctx, options, { action: 'qrcode', scope: 'snsapi_login', next, redirectUri });
      pendingLogins().add(req, res, record);
      ctx.logger.debug?.('login started', { action: 'qrcode', scope: 'snsapi_login', appid: app.appid });
      res.set(WIDGET_HEADERS).json({ url: widgetFrameUrl(ctx.http.endpoints.open, { appid: app.appid, redirectUri, state: record.state, ...widgetQuery(req) }) });
    } catch (error: unknown) {
      const e = isWxAuthError(error) ? error : new WxAuthError('args_error', 'the login could not be prepared');
      ctx.logger.warn('qrconnect failed', { code: e.code });
      res.status(e.status).set(WIDGET_HEADERS).json(e.toJSON());
    }
  });

  router.post(PATHS.mobile, (req, res, nextFn) => {
    (async () => {
      assertSameOrigin(req, options);
      await new Promise<void>((resolve, reject) =>
        parseJson(req, res, (err?: unknown) => (err ? reject(new WxAuthError('args_error', 'the body must be JSON {"code", "appid"?}', { cause: err })) : resolve())),
      );
      const body = (req.body ?? {}) as Record<string, unknown>;
      const app = pickMobileApp(options, body.appid);
      const { access, userinfo, isSnapshotUser } = await mobileLogin(ctx, app, body.code);
      const { identity: who, token } = await completeLogin(deps, req, res, {
        openid: access.openid,
        ...(access.unionid ? { unionid: access.unionid } : {}),
        appid: app.appid,
        action: 'mobile',
        ...(userinfo ? { userinfo } : {}),
        isSnapshotUser,
      });
      ctx.logger.info?.('login', { action: 'mobile', appid: app.appid });
      if (hooks.success) await hooks.success(req, res, { action: 'mobile', scope: access.scope || 'snsapi_userinfo', access, ...(userinfo ? { userinfo } : {}), next: '', identity: who });
      if (res.headersSent) return;
      res.set('Cache-Control', 'no-store').json({ openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), ...(token ? { token } : {}) });
    })().catch((error) => fail(req, res, nextFn, error, { action: 'mobile', next: '/', json: true })); // mobile clients speak JSON
  });

  router.post(PATHS.logout, (req, res, nextFn) => {
    (async () => {
      assertSameOrigin(req, options);
      await logout(req, res);
      if (wantsJson(req)) res.status(204).end();
      else redirect(res, 303, guardNext(req, options, req.query.next));
    })().catch((error) => fail(req, res, nextFn, error, { next: '/' }));
  });

  return { auth, requireLogin, logout };
}
