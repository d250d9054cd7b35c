import type { Request, Response } from 'express';
import { WxAuthError, isWxAuthError } from '../errors';
import { requireSession } from '../identity/session';
import { browserApp, startLogin } from './flow';
import { assertNotCrossSite, guardNext, routerPrefix } from './http';
import { PATHS } from './paths';
import type { OAuthRouteContext } from './route-context';
import { WIDGET_HEADER, widgetFrameUrl, widgetScript } from './widget';

const ID_FORMAT = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

// Every answer of the widget's two routes: not includable by another origin, never cached.
const WIDGET_HEADERS = { 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin', 'X-Content-Type-Options': 'nosniff' };

/** The widget's query: element id, style, href, self_redirect and next. */
function widgetQuery(req: Request) {
  const style = req.query.style === 'white' ? 'white' : 'black';
  const href = str(req.query.href);
  const selfRedirect = req.query.self_redirect === 'true' ? true : req.query.self_redirect === 'false' ? false : undefined;
  return { style, ...(href && /^https:\/\/[^\s"'<>]+$/i.test(href) ? { href } : {}), ...(selfRedirect === undefined ? {} : { selfRedirect }) };
}

/**
 * `GET /weixin-login.js?id=&next=`: the script that puts the QR login in the page's element; when
 * it runs it fetches one login's iframe URL from `/oauth/wechat/qrconnect` (`qrconnectUrl`).
 */
export function serveWidgetScript(rc: OAuthRouteContext) {
  const { ctx, options } = rc;
  return (req: Request, res: Response): void => {
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
      const endpoint = `${routerPrefix(options, rc.mountPath(), false)}${PATHS.qrconnect}?${query}`;
      res.set(WIDGET_HEADERS).type('application/javascript').send(widgetScript(ctx.http.endpoints.open, { id, endpoint }));
    } catch (error: unknown) {
      const e = isWxAuthError(error) ? error : new WxAuthError('args_error', 'the login could not be prepared');
      ctx.logger.warn('weixin-login.js failed', { code: e.code });
      res.status(e.status).set(WIDGET_HEADERS).type('application/javascript').send(`console.error(${JSON.stringify(`express-wxauth: ${e.code}: ${e.message}`)});\n`);
    }
  };
}

/** `GET /oauth/wechat/qrconnect` (the widget's fetch only): `{ url }` of one QR login's iframe, its pending login sealed. */
export function qrconnectUrl(rc: OAuthRouteContext) {
  const { ctx, options, identity } = rc;
  return (req: Request, res: Response): void => {
    try {
      assertNotCrossSite(req);
      // Only our widget's fetch sends this header; cross-origin it would need a CORS preflight we never answer.
      if (req.get(WIDGET_HEADER) !== '1') throw new WxAuthError('args_error', `the "${WIDGET_HEADER}: 1" header is required`, { status: 403 });
      const app = browserApp(options, 'qrcode');
      if (!app) throw new WxAuthError('args_error', 'QR login is not configured (the "qrcode" option)', { status: 404 });
      if (identity.kind === 'session') requireSession(req);
      const next = guardNext(req, options, req.query.next);
      const redirectUri = rc.callbackUrl(req);
      const { record } = startLogin(ctx, options, { action: 'qrcode', scope: 'snsapi_login', next, redirectUri });
      rc.pendingLogins().add(req, res, record);
      ctx.logger.debug?.('login started', { action: 'qrcode', scope: 'snsapi_login', appid: app.appid });
      res.set(WIDGET_HEADERS).json({ url: widgetFrameUrl(ctx.http.endpoints.open, { appid: app.appid, redirectUri, state: record.state, ...widgetQuery(req) }) });
    } catch (error: unknown) {
      const e = isWxAuthError(error) ? error : new WxAuthError('args_error', 'the login could not be prepared');
      ctx.logger.warn('qrconnect failed', { code: e.code });
      res.status(e.status).set(WIDGET_HEADERS).json(e.toJSON());
    }
  };
}
