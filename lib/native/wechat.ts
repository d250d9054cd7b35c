import { createHash } from 'node:crypto';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { AppCredentials } from '../options';
import { exchangeCode as exchangeOAuthCode, fetchUserinfo as fetchOAuthUserinfo } from '../oauth/exchange';
import type { WechatUserinfo } from '../hooks';

/** `/sns/oauth2/access_token` and `/sns/oauth2/refresh_token` answers. */
export interface OAuthTokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  openid: string;
  scope: string;
  unionid?: string;
  is_snapshotuser?: number;
}

/**
 * Exchange an OpenSDK / forwarded web `code` (the browser login's exchange, never retried: the
 * code is single-use) and insist on a refresh token — the native session lives on it.
 */
export async function exchangeCode(ctx: WxContext, app: AppCredentials, code: string): Promise<OAuthTokenResponse> {
  const { access, isSnapshotUser } = await exchangeOAuthCode(ctx, app, code);
  return tokenResponse({ ...access, ...(isSnapshotUser ? { is_snapshotuser: 1 } : {}) }, 'auth_error');
}

/** Renew the access token with the refresh token (valid 30 days; may be used repeatedly, so retrying is safe). */
export async function refreshAccessToken(ctx: WxContext, appid: string, refreshToken: string): Promise<OAuthTokenResponse> {
  const body = await ctx.http.apiGet(
    '/sns/oauth2/refresh_token',
    { appid, grant_type: 'refresh_token', refresh_token: refreshToken },
    { errorCode: 'access_error', idempotent: true },
  );
  return tokenResponse(body, 'access_error');
}

/** The profile behind an OAuth access token (an expired / refused token is `access_error`). */
export function fetchUserinfo(ctx: WxContext, accessToken: string, openid: string): Promise<WechatUserinfo> {
  return fetchOAuthUserinfo(ctx, { access_token: accessToken, openid });
}

/** Whether a scope lets us read the profile (`snsapi_base` does not). */
export function scopeAllowsUserinfo(scope: string | undefined): boolean {
  return !scope || scope.split(',').some((s) => s === 'snsapi_userinfo' || s === 'snsapi_login');
}

/**
 * The contract's session id: md5 hex of `<access token>:<refresh token>:<openid>`. Unguessable
 * because the tokens are; the tokens themselves never leave the server.
 */
export function nativeSessionId(accessToken: string, refreshToken: string, openid: string): string {
  return createHash('md5').update(`${accessToken}:${refreshToken}:${openid}`).digest('hex');
}

function tokenResponse(body: Record<string, unknown>, code: 'auth_error' | 'access_error'): OAuthTokenResponse {
  const { access_token, refresh_token, openid, expires_in } = body;
  if (typeof access_token !== 'string' || !access_token || typeof refresh_token !== 'string' || !refresh_token || typeof openid !== 'string' || !openid) {
    throw new WxAuthError(code, 'WeChat answered without access_token, refresh_token or openid');
  }
  return {
    access_token,
    refresh_token,
    openid,
    expires_in: typeof expires_in === 'number' && expires_in > 0 ? expires_in : 7200,
    scope: typeof body.scope === 'string' ? body.scope : '',
    ...(typeof body.unionid === 'string' && body.unionid ? { unionid: body.unionid } : {}),
    ...(body.is_snapshotuser === 1 || body.is_snapshotuser === '1' ? { is_snapshotuser: 1 } : {}),
  };
}
