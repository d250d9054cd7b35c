import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { AppCredentials, ResolvedOptions } from '../options';
import { buildAuthorizeUrl, buildQrconnectUrl, type OAuthScope } from './authorize-url';
import { exchangeCode, fetchUserinfo } from './exchange';
import type { OAuthAccess, WechatUserinfo } from '../hooks';
import { newStateRecord, stateError, type StateRecord } from './state';

/**
 * The browser login, step by step, with no Express in sight: choose the action and scope, start
 * (a pending login + authorize URL), and finish (code exchange, profile). The router keeps the
 * pending logins in their sealed cookie and adds redirects and hooks around these.
 */
export type BrowserAction = 'mp' | 'qrcode';
const CODE_FORMAT = /^[\x21-\x7e]{1,512}$/;

/** The app configured for a browser action, or undefined. */
export function browserApp(options: ResolvedOptions, action: BrowserAction): AppCredentials | undefined {
  return action === 'mp' ? options.mp : options.qrcode;
}

/**
 * `action` as asked, or from the User-Agent: WeChat's built-in browser (`MicroMessenger`) logs in
 * with the official account, every other browser with the QR code. Falls back to the one that is
 * configured when only one is.
 */
export function resolveAction(options: ResolvedOptions, requested: unknown, userAgent: string | undefined): BrowserAction {
  if (requested !== undefined && requested !== '') {
    if (requested !== 'mp' && requested !== 'qrcode') throw new WxAuthError('args_error', '"action" must be "mp" or "qrcode"');
    if (!browserApp(options, requested)) throw new WxAuthError('args_error', `login with "${requested}" is not configured`);
    return requested;
  }
  const preferred: BrowserAction = /MicroMessenger/i.test(userAgent ?? '') ? 'mp' : 'qrcode';
  const other: BrowserAction = preferred === 'mp' ? 'qrcode' : 'mp';
  if (browserApp(options, preferred)) return preferred;
  if (browserApp(options, other)) return other;
  throw new WxAuthError('args_error', 'browser login is not configured (configure "mp" or "qrcode")');
}

/** The scope for `action`: mp takes `snsapi_base` (default, silent) or `snsapi_userinfo`; qrcode is always `snsapi_login`. */
export function resolveScope(action: BrowserAction, requested: unknown): OAuthScope {
  if (action === 'qrcode') return 'snsapi_login';
  if (requested === undefined || requested === '') return 'snsapi_base';
  if (requested !== 'snsapi_base' && requested !== 'snsapi_userinfo') throw new WxAuthError('args_error', '"scope" must be "snsapi_base" or "snsapi_userinfo"');
  return requested;
}

export interface StartInput {
  action: BrowserAction;
  scope: OAuthScope;
  /** Already passed through the `next` guard. */
  next: string;
  /** Our callback URL, absolute. */
  redirectUri: string;
}

/**
 * A fresh pending login (its state) and WeChat's authorize / qrconnect URL. Nothing is stored:
 * the caller seals the record into the browser's pending-login cookie.
 */
export function startLogin(ctx: WxContext, options: ResolvedOptions, input: StartInput): { url: string; record: StateRecord } {
  const app = browserApp(options, input.action);
  if (!app) throw new WxAuthError('args_error', `login with "${input.action}" is not configured`);
  const record = newStateRecord(ctx, { action: input.action, scope: input.scope, appid: app.appid, next: input.next });
  const common = { open: ctx.http.endpoints.open, appid: app.appid, redirectUri: input.redirectUri, state: record.state };
  const url =
    input.action === 'qrcode'
      ? buildQrconnectUrl(common)
      : buildAuthorizeUrl({ ...common, scope: input.scope === 'snsapi_userinfo' ? 'snsapi_userinfo' : 'snsapi_base' });
  return { url, record };
}

export interface FinishResult {
  record: StateRecord;
  access: OAuthAccess;
  userinfo?: WechatUserinfo;
  isSnapshotUser: boolean;
}

/**
 * The callback, once the router has taken the pending login its state names out of this
 * browser's cookie (single use, this browser, not expired): require a code (none means the user
 * refused consent), check the app is still the one the login started with, exchange the code
 * once, and read the profile when the scope allows it (`snsapi_userinfo`, `snsapi_login`).
 */
export async function finishLogin(ctx: WxContext, options: ResolvedOptions, input: { code: unknown; record: StateRecord }): Promise<FinishResult> {
  const { record } = input;
  if (input.code === undefined || input.code === '') {
    throw new WxAuthError('args_error', 'the WeChat login was cancelled (no code); please try again');
  }
  if (typeof input.code !== 'string' || !CODE_FORMAT.test(input.code)) throw new WxAuthError('args_error', 'the login code is malformed');
  const app = browserApp(options, record.action);
  if (!app || app.appid !== record.appid) throw stateError('of a login started for an app that is not configured here');
  const { access, isSnapshotUser } = await exchangeCode(ctx, app, input.code);
  if (isSnapshotUser) return { record, access, isSnapshotUser }; // no profile for a virtual user
  const wantsProfile = record.scope === 'snsapi_userinfo' || record.scope === 'snsapi_login';
  if (!wantsProfile) return { record, access, isSnapshotUser };
  const userinfo = await fetchUserinfo(ctx, access);
  if (!access.unionid && typeof userinfo.unionid === 'string' && userinfo.unionid) access.unionid = userinfo.unionid;
  return { record, access, userinfo, isSnapshotUser };
}
