import express, { type Request, type Response, type Router } from 'express';
import { parse as parseCookie } from 'cookie';
import type { SimApp } from './types';
import type { SimState } from './state';
import { noteAppid, param } from './http';
import { consentPage, errorPage, outsideWechatPage, qrconnectPage } from './pages';

const USER_COOKIE = 'wxsim_user';
const DEFAULT_USER = 'alice';
const USER_RE = /^[\w.@-]{1,64}$/;

/** The simulated user: `sim_user` query, else the `wxsim_user` cookie, else `alice`. */
function userOf(req: Request, fromForm?: string): string {
  const candidates = [fromForm, param(req.query, 'sim_user'), parseCookie(req.headers.cookie ?? '')[USER_COOKIE]];
  return candidates.find((u): u is string => !!u && USER_RE.test(u)) ?? DEFAULT_USER;
}

/** Append `code`/`state` the way WeChat does: to the existing query, before any fragment. */
export function appendParams(uri: string, params: Record<string, string | undefined>): string {
  const hashAt = uri.indexOf('#');
  const base = hashAt === -1 ? uri : uri.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : uri.slice(hashAt);
  const query = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  const sep = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&';
  return base + sep + query + fragment;
}

/** WeChat checks redirect_uri against the registered domains (exact host for mp; subdomains too for website apps). */
function redirectAllowed(app: SimApp, redirectUri: string): boolean {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (!app.redirectDomains) return true;
  return app.redirectDomains.some(
    (d) => url.host === d || url.hostname === d || (app.type === 'qrcode' && url.hostname.endsWith(`.${d}`)),
  );
}

type Checked = { app: SimApp; redirectUri: string; scope: string; state: string | undefined } | { errcode: number; message: string };

/** The checks WeChat makes before showing a login page; failures are its error pages. */
function check(state: SimState, source: unknown, kind: 'mp' | 'qrcode'): Checked {
  const appid = param(source, 'appid');
  if (!appid) return { errcode: 10012, message: 'appid 参数错误' };
  const app = state.app(appid);
  if (!app) return { errcode: 40013, message: 'appid 参数错误' };
  const scope = param(source, 'scope') ?? '';
  if (kind === 'mp') {
    if (app.type !== 'mp') return { errcode: 10016, message: '不支持微信开放平台的Appid，请使用公众号Appid' };
    if (!scope) return { errcode: 10010, message: 'scope 不能为空' };
    if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo') return { errcode: 10005, message: '此公众号并没有这些 scope 的权限' };
  } else if (app.type !== 'qrcode' || !scope.split(',').includes('snsapi_login')) {
    return { errcode: 10005, message: 'Scope 参数错误或没有 Scope 权限' };
  }
  const redirectUri = param(source, 'redirect_uri');
  if (!redirectUri) return { errcode: 10011, message: 'redirect_uri 参数错误' };
  if (!redirectAllowed(app, redirectUri)) return { errcode: 10003, message: 'redirect_uri 参数错误' };
  const responseType = param(source, 'response_type');
  if (responseType !== undefined && responseType !== 'code') return { errcode: 10002, message: 'response_type 参数错误' };
  return { app, redirectUri, scope: kind === 'qrcode' ? 'snsapi_login' : scope, state: param(source, 'state') };
}

function showError(res: Response, result: { errcode: number; message: string }): void {
  res.status(400).type('html').send(errorPage(result.errcode, result.message));
}

function rememberUser(res: Response, user: string): void {
  res.cookie(USER_COOKIE, user, { httpOnly: true, sameSite: 'lax', path: '/' });
}

export interface OpenHostOptions {
  /** Accept `/connect/oauth2/authorize` from browsers other than WeChat's. Default false. */
  allowMpOutsideWechat?: boolean;
}

/** WeChat's built-in browser says `MicroMessenger` in its User-Agent. */
function inWechat(req: Request): boolean {
  return /MicroMessenger/i.test(req.get('user-agent') ?? '');
}

/**
 * The open host (`open.weixin.qq.com`): the mp authorize flow with its consent page and the
 * website-app QR page. `#wechat_redirect` is not required: browsers never send the fragment.
 * Like WeChat, the mp authorize page answers "请在微信客户端打开链接" outside the WeChat client
 * unless `allowMpOutsideWechat`.
 */
export function openHost(state: SimState, options: OpenHostOptions = {}): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  router.get('/connect/oauth2/authorize', (req, res) => {
    noteAppid(state, res, param(req.query, 'appid'));
    if (!options.allowMpOutsideWechat && !inWechat(req)) {
      return res.status(403).set('Cache-Control', 'no-store').type('html').send(outsideWechatPage());
    }
    const checked = check(state, req.query, 'mp');
    if ('errcode' in checked) return showError(res, checked);
    const { app, redirectUri, scope, state: st } = checked;
    const user = userOf(req);
    if (scope === 'snsapi_base') {
      // Silent: no page, straight back with a code.
      const code = state.issueCode(app.appid, user, scope);
      return res.redirect(302, appendParams(redirectUri, { code, state: st ?? '' }));
    }
    const fields = { appid: app.appid, redirect_uri: redirectUri, scope, state: st ?? '' };
    res.set('Cache-Control', 'no-store').type('html').send(consentPage(app, fields, user));
  });

  // Approve → redirect with code and state; Deny → redirect with state only (WeChat's refusal).
  router.post('/connect/oauth2/authorize/confirm', form, (req, res) => {
    noteAppid(state, res, param(req.body, 'appid'));
    const checked = check(state, req.body, 'mp');
    if ('errcode' in checked) return showError(res, checked);
    const user = userOf(req, param(req.body, 'user'));
    rememberUser(res, user);
    const st = checked.state ?? '';
    if (param(req.body, 'decision') !== 'approve') return res.redirect(302, appendParams(checked.redirectUri, { state: st }));
    const code = state.issueCode(checked.app.appid, user, checked.scope);
    res.redirect(302, appendParams(checked.redirectUri, { code, state: st }));
  });

  router.get('/connect/qrconnect', (req, res) => {
    noteAppid(state, res, param(req.query, 'appid'));
    const checked = check(state, req.query, 'qrcode');
    if ('errcode' in checked) return showError(res, checked);
    const selfRedirect = param(req.query, 'self_redirect') === 'true';
    const fields = { appid: checked.app.appid, redirect_uri: checked.redirectUri, scope: checked.scope, state: checked.state ?? '' };
    // The WxLogin widget frames this page, so it must not forbid framing.
    res.set('Cache-Control', 'no-store').type('html').send(qrconnectPage(checked.app, fields, userOf(req), selfRedirect));
  });

  // The phone confirmed the scan: a code is issued now. JSON for the page's script, 302 otherwise.
  router.post('/connect/qrconnect/confirm', form, (req, res) => {
    noteAppid(state, res, param(req.body, 'appid'));
    const checked = check(state, req.body, 'qrcode');
    const wantsJson = req.accepts(['html', 'json']) === 'json';
    if ('errcode' in checked) {
      if (wantsJson) return res.status(400).json({ error: checked.message, errcode: checked.errcode });
      return showError(res, checked);
    }
    const user = userOf(req, param(req.body, 'user'));
    rememberUser(res, user);
    const code = state.issueCode(checked.app.appid, user, checked.scope);
    const redirect = appendParams(checked.redirectUri, { code, state: checked.state ?? '' });
    if (wantsJson) return res.set('Cache-Control', 'no-store').json({ redirect });
    res.redirect(302, redirect);
  });

  return router;
}
