import type { OAuthScope } from '../oauth/authorize-url';
import type { FinishResult } from '../oauth/flow';
import type { WechatUserinfo } from '../hooks';

/**
 * What `verify` receives: Passport's normalized profile fields (`provider`, `id`, `displayName`,
 * `photos`) plus WeChat's own identifiers. No token and no secret is in it, so it can go into a
 * session or a log as it is.
 */
export interface WxAuthProfile {
  provider: 'wechat';
  /** The openid (Passport's `id`). */
  id: string;
  /** The user's openid for `appid` (one per app). */
  openid: string;
  /** The same person across your apps when they are bound to one open-platform account; from the code exchange, else from the profile. */
  unionid?: string;
  /** The AppID the user logged in with. */
  appid: string;
  /** `mp` (official account) or `qrcode` (website app). */
  action: 'mp' | 'qrcode';
  /** `snsapi_base` (openid only), `snsapi_userinfo` or `snsapi_login` (with the profile). */
  scope: OAuthScope;
  /** The nickname (`snsapi_userinfo`, `snsapi_login`). */
  displayName?: string;
  /** The avatar (`headimgurl`). */
  photos?: { value: string }[];
  /** The profile as WeChat sent it (`/sns/userinfo`), when the scope reads it. */
  _json?: WechatUserinfo;
}

/** The profile of a finished login (unionid already joined from the profile when the exchange lacked it). */
export function toProfile(result: FinishResult): WxAuthProfile {
  const { access, userinfo, record } = result;
  const nickname = userinfo && typeof userinfo.nickname === 'string' && userinfo.nickname ? userinfo.nickname : undefined;
  const photo = userinfo && typeof userinfo.headimgurl === 'string' && userinfo.headimgurl ? userinfo.headimgurl : undefined;
  return {
    provider: 'wechat',
    id: access.openid,
    openid: access.openid,
    ...(access.unionid ? { unionid: access.unionid } : {}),
    appid: record.appid,
    action: record.action,
    scope: record.scope,
    ...(nickname ? { displayName: nickname } : {}),
    ...(photo ? { photos: [{ value: photo }] } : {}),
    ...(userinfo ? { _json: userinfo } : {}),
  };
}
