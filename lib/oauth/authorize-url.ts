/**
 * WeChat's browser-login URLs. WeChat is strict about the query: the parameters must come in
 * the documented order (appid, redirect_uri, response_type, scope, state) and the URL must end
 * with `#wechat_redirect`, or the mp authorize page shows an error instead of logging in.
 * See shared/wechat-api.md §1.
 */

/** OAuth scopes of browser logins. */
export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo' | 'snsapi_login';

export interface AuthorizeUrlInput {
  /** The `open` endpoint (`https://open.weixin.qq.com` or the simulator). */
  open: string;
  appid: string;
  /** Our callback, absolute; encoded here. */
  redirectUri: string;
  scope: OAuthScope;
  state: string;
}

function query(input: AuthorizeUrlInput): string {
  // Built by hand, not with URLSearchParams: it encodes spaces as `+` and we need a fixed order
  // and `encodeURIComponent` semantics for redirect_uri.
  return [
    `appid=${encodeURIComponent(input.appid)}`,
    `redirect_uri=${encodeURIComponent(input.redirectUri)}`,
    'response_type=code',
    `scope=${encodeURIComponent(input.scope)}`,
    `state=${encodeURIComponent(input.state)}`,
  ].join('&');
}

/** Official account (mp) login inside WeChat's browser: `/connect/oauth2/authorize`. */
export function buildAuthorizeUrl(input: Omit<AuthorizeUrlInput, 'scope'> & { scope: 'snsapi_base' | 'snsapi_userinfo' }): string {
  return `${input.open}/connect/oauth2/authorize?${query(input)}#wechat_redirect`;
}

/** Website app (qrcode) login on a desktop browser: `/connect/qrconnect` with `snsapi_login`. */
export function buildQrconnectUrl(input: Omit<AuthorizeUrlInput, 'scope'>): string {
  return `${input.open}/connect/qrconnect?${query({ ...input, scope: 'snsapi_login' })}#wechat_redirect`;
}
