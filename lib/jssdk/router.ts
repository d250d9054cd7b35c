import type { Request, Response, Router } from 'express';
import { collectCredentials } from '../client/credentials';
import type { SurfaceDeps } from '../deps';
import { WxAuthError } from '../errors';
import { checkPageUrl, createPageUrlPolicy, type PageUrlCheck } from './page-url';
import { createScriptRenderer, scriptJson } from './script';
import { createJssdkSigner, type JssdkApi, type JssdkSettings } from './signer';

export type { JssdkApi, JssdkSignature } from './signer';

/**
 * `GET /weixin-config.js?url=…&debug=true` (a script calling `wx.config`) and
 * `GET /weixin-config.json?url=…` (the same object, for SPAs). Mounted when `jssdk` or `mp` is
 * configured; returns `router.jssdk`. The page URL comes from `url`, else the Referer, and is
 * signed only for this site or an `allowedRedirects` origin ("this site": the `baseUrl` host;
 * without `baseUrl`, the request's host outside production only — see page-url.ts).
 */
export function mountJssdk(router: Router, deps: SurfaceDeps): JssdkApi | undefined {
  const { options, ctx, client } = deps;
  if (!options.jssdk && !options.mp) return undefined;
  const settings = resolveSettings(deps);
  const signer = createJssdkSigner(ctx, client, settings);
  const render = createScriptRenderer({ appId: settings.appId, jsApiList: settings.jsApiList, ...(settings.openTagList ? { openTagList: settings.openTagList } : {}) });
  // Checked at start-up: in production without baseUrl there may be nothing to sign.
  const policy = createPageUrlPolicy(options.baseUrl, options.allowedRedirects, process.env.NODE_ENV === 'production');
  const jsonLists = { jsApiList: settings.jsApiList, ...(settings.openTagList ? { openTagList: settings.openTagList } : {}) };

  const failed = (error: unknown): WxAuthError => {
    const wx = error instanceof WxAuthError ? error : new WxAuthError('token_error', 'could not sign the page', { cause: error });
    ctx.logger.error('jssdk: could not sign a page', { code: wx.code, ...(wx.errcode === undefined ? {} : { errcode: wx.errcode }) });
    return wx;
  };

  router.get('/weixin-config.js', (req, res) => {
    const query = req.query as Record<string, unknown>; // Express 5 re-parses on every access
    const page = pageUrl(req, query, policy);
    if (!page.ok) return send(res, 400, JS, render.error(page.reason));
    const debug = debugFlag(query.debug, settings.debug);
    const script = (ticket: string): string => {
      const s = signer.signWith(ticket, page.url);
      return render.config(debug, s.timestamp, s.nonceStr, s.signature);
    };
    const ticket = signer.ticket();
    // Warm cache: answer synchronously, no promise, no store call.
    if (typeof ticket === 'string') return send(res, 200, JS, script(ticket));
    ticket.then(
      (t) => send(res, 200, JS, script(t)),
      (error: unknown) => {
        const wx = failed(error);
        send(res, wx.status, JS, render.error(`could not sign this page (${wx.code})`));
      },
    );
  });

  router.get('/weixin-config.json', (req, res) => {
    const query = req.query as Record<string, unknown>;
    const page = pageUrl(req, query, policy);
    if (!page.ok) return send(res, 400, JSON_TYPE, scriptJson({ error: 'url_not_allowed', message: page.reason }));
    const debug = debugFlag(query.debug, settings.debug);
    Promise.resolve(signer.ticket()).then(
      (t) => send(res, 200, JSON_TYPE, scriptJson({ debug, ...signer.signWith(t, page.url), ...jsonLists })),
      (error: unknown) => {
        const wx = failed(error);
        send(res, wx.status, JSON_TYPE, scriptJson(wx.toJSON()));
      },
    );
  });

  return signer.api;
}

const JS = 'application/javascript; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** Plain `res.end`: no ETag hashing of a body that must never be cached anyway. */
function send(res: Response, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  // A signature is for one page load: never let a browser or a proxy replay it.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(body);
}

function pageUrl(req: Request, query: Record<string, unknown>, policy: ReturnType<typeof createPageUrlPolicy>): PageUrlCheck {
  const raw = query.url !== undefined ? query.url : req.headers.referer;
  return checkPageUrl(raw, req.hostname, policy);
}

function debugFlag(value: unknown, fallback: boolean): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return fallback;
}

/** Which app signs, and a start-up `config_error` when it cannot have a ticket. */
function resolveSettings({ options }: SurfaceDeps): JssdkSettings {
  const jssdk = options.jssdk;
  const appId = jssdk?.appid ?? options.mp?.appid;
  if (!appId) throw new WxAuthError('config_error', '"jssdk.appid" is required when "mp" is not configured', { field: 'jssdk.appid' });
  if (!options.getAccessToken && !collectCredentials(options).has(appId)) {
    throw new WxAuthError('config_error', `"jssdk.appid" ${appId} has no secret: configure it as mp (or another app), or pass getAccessToken`, {
      field: 'jssdk.appid',
    });
  }
  return {
    appId,
    jsApiList: jssdk?.jsApiList ?? [],
    ...(jssdk?.openTagList ? { openTagList: jssdk.openTagList } : {}),
    debug: jssdk?.debug ?? false,
  };
}
