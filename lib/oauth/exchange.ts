import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { AppCredentials } from '../options';
import { OAUTH_TOKEN_ERRCODES, TOKEN_INVALID_ERRCODES } from '../wechat/errcodes';
import type { OAuthAccess, WechatUserinfo } from '../hooks';

/** The code exchange result: the tokens plus WeChat's snapshot-user flag. */
export interface ExchangeResult {
  access: OAuthAccess;
  /** `is_snapshotuser: 1` — a virtual user from a "snapshot page"; never bind an account to it. */
  isSnapshotUser: boolean;
}

/**
 * `code` → OAuth tokens (`/sns/oauth2/access_token`). Never retried, not even on errcode -1: a
 * code is single-use, so a second send can only fail with "code been used". Every WeChat
 * errcode becomes `auth_error` (configuration errcodes: `config_error`).
 */
export async function exchangeCode(ctx: WxContext, app: AppCredentials, code: string): Promise<ExchangeResult> {
  const body = await ctx.http.apiGet(
    '/sns/oauth2/access_token',
    { appid: app.appid, secret: app.secret, code, grant_type: 'authorization_code' },
    { errorCode: 'auth_error', idempotent: false },
  );
  const { access_token, refresh_token, openid } = body;
  if (typeof access_token !== 'string' || typeof openid !== 'string' || !openid) {
    throw new WxAuthError('auth_error', 'WeChat answered the code exchange without an openid or access token');
  }
  const access: OAuthAccess = {
    openid,
    scope: typeof body.scope === 'string' ? body.scope : '',
    access_token,
    refresh_token: typeof refresh_token === 'string' ? refresh_token : '',
    expires_in: Number(body.expires_in ?? 7200),
  };
  if (typeof body.unionid === 'string' && body.unionid) access.unionid = body.unionid;
  return { access, isSnapshotUser: Number(body.is_snapshotuser) === 1 };
}

/**
 * The profile (`/sns/userinfo`). Safe to retry on -1 (a read with a reusable token). An
 * expired/invalid OAuth token is `access_error`; any other errcode is `userinfo_error`.
 */
export async function fetchUserinfo(ctx: WxContext, access: Pick<OAuthAccess, 'access_token' | 'openid'>): Promise<WechatUserinfo> {
  let body;
  try {
    body = await ctx.http.apiGet(
      '/sns/userinfo',
      { access_token: access.access_token, openid: access.openid, lang: 'zh_CN' },
      { errorCode: 'userinfo_error', idempotent: true },
    );
  } catch (error) {
    const e = error as WxAuthError;
    if (e instanceof WxAuthError && typeof e.errcode === 'number' && (OAUTH_TOKEN_ERRCODES.has(e.errcode) || TOKEN_INVALID_ERRCODES.has(e.errcode))) {
      throw new WxAuthError('access_error', 'the WeChat OAuth access token was refused; please log in again', {
        errcode: e.errcode,
        ...(e.errmsg === undefined ? {} : { errmsg: e.errmsg }),
        cause: e,
      });
    }
    throw error;
  }
  if (typeof body.openid !== 'string' || body.openid !== access.openid) {
    // A profile for someone else would bind the wrong person: refuse rather than trust it.
    throw new WxAuthError('userinfo_error', 'WeChat answered the profile request for a different openid');
  }
  const { errcode: _errcode, errmsg: _errmsg, ...profile } = body;
  return profile as WechatUserinfo;
}
