import express, { type Request, type Response, type Router } from 'express';
import type { SimState, Grant } from './state';
import { fail } from './state';
import { jsonRoute, noteAppid, param, WECHAT_CONTENT_TYPE } from './http';

/** `/sns/*` answers its JSON as `text/plain`, success or error, as WeChat's does. */
const snsRoute = (handler: Parameters<typeof jsonRoute>[0]) => jsonRoute(handler, { contentType: WECHAT_CONTENT_TYPE.text });

/** Nickname, city… for a user; `headimgurl` points at the simulator's own avatar route. */
function profile(state: SimState, req: Request, grant: Grant, openid: string): Record<string, unknown> {
  const p = state.profile(grant.user);
  const base = `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
  const body: Record<string, unknown> = {
    openid,
    nickname: p.nickname ?? grant.user.charAt(0).toUpperCase() + grant.user.slice(1),
    sex: p.sex ?? 0,
    language: '',
    city: p.city ?? '',
    province: p.province ?? '',
    country: p.country ?? '',
    headimgurl: p.headimgurl ?? `${base}/sim/avatar/${encodeURIComponent(grant.user)}.svg`,
    privilege: [],
  };
  return withUnionid(state, grant.appid, grant.user, body);
}

function withUnionid(state: SimState, appid: string, user: string, body: Record<string, unknown>): Record<string, unknown> {
  if (state.app(appid)?.unionid !== false) body.unionid = state.unionidOf(user);
  return body;
}

/** The api host's `/sns/*`: OAuth code exchange, refresh, profile, token check, mini program login. */
export function snsRoutes(state: SimState): Router {
  const router = express.Router();

  router.get(
    '/sns/oauth2/access_token',
    snsRoute((req, res) => {
      const appid = param(req.query, 'appid');
      noteAppid(state, res, appid);
      const app = state.authenticate(appid, param(req.query, 'secret'));
      if (app.type === 'miniprogram') fail(40013);
      if (param(req.query, 'grant_type') !== 'authorization_code') fail(40002);
      const grant = state.redeemCode(app.appid, param(req.query, 'code'));
      const { accessToken, refreshToken } = state.issueOAuthTokens(grant);
      const body: Record<string, unknown> = {
        access_token: accessToken,
        expires_in: 7200,
        refresh_token: refreshToken,
        openid: state.openidOf(app.appid, grant.user),
        scope: grant.scope,
      };
      if (grant.snapshotUser) body.is_snapshotuser = 1;
      return withUnionid(state, app.appid, grant.user, body);
    }),
  );

  // No secret here, as at WeChat: the refresh token itself is the credential.
  router.get(
    '/sns/oauth2/refresh_token',
    snsRoute((req, res) => {
      const appid = param(req.query, 'appid');
      noteAppid(state, res, appid);
      if (!appid) fail(41002);
      if (!state.app(appid)) fail(40013);
      if (param(req.query, 'grant_type') !== 'refresh_token') fail(40002);
      const refreshToken = param(req.query, 'refresh_token');
      const grant = state.refreshGrant(appid, refreshToken);
      const tokens = state.issueOAuthTokens(grant, refreshToken);
      return {
        access_token: tokens.accessToken,
        expires_in: 7200,
        refresh_token: tokens.refreshToken,
        openid: state.openidOf(appid, grant.user),
        scope: grant.scope,
      };
    }),
  );

  // `access_token` + `openid`, checked as WeChat does, for the two calls that take both.
  const grantOf = (req: Request, res: Response) => {
    const grant = state.oauthGrant(param(req.query, 'access_token'));
    noteAppid(state, res, grant.appid);
    const openid = param(req.query, 'openid');
    if (!openid) fail(41009);
    if (openid !== state.openidOf(grant.appid, grant.user)) fail(40003);
    return { grant, openid };
  };

  router.get(
    '/sns/userinfo',
    snsRoute((req, res) => {
      const { grant, openid } = grantOf(req, res);
      // snsapi_base grants the openid only; the profile needs snsapi_userinfo (or snsapi_login).
      if (grant.scope.split(',').every((s) => s === 'snsapi_base')) fail(48001);
      return profile(state, req, grant, openid);
    }),
  );

  router.get(
    '/sns/auth',
    snsRoute((req, res) => {
      grantOf(req, res); // throws WeChat's errcode when the token or openid is not valid
      return { errcode: 0, errmsg: 'ok' };
    }),
  );

  router.get(
    '/sns/jscode2session',
    snsRoute((req, res) => {
      const appid = param(req.query, 'appid');
      noteAppid(state, res, appid);
      const app = state.authenticate(appid, param(req.query, 'secret'));
      if (app.type !== 'miniprogram') fail(40013);
      if (param(req.query, 'grant_type') !== 'authorization_code') fail(40002);
      const grant = state.redeemCode(app.appid, param(req.query, 'js_code'));
      const body: Record<string, unknown> = {
        openid: state.openidOf(app.appid, grant.user),
        session_key: state.sessionKey(app.appid, grant.user, true),
      };
      return withUnionid(state, app.appid, grant.user, body);
    }),
  );

  return router;
}
