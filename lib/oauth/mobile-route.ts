import { json, type NextFunction, type Request, type Response } from 'express';
import { WxAuthError } from '../errors';
import { completeLogin } from '../identity/complete-login';
import { failLogin } from './fail';
import { assertSameOrigin } from './http';
import { mobileLogin, pickMobileApp } from './mobile';
import type { OAuthRouteContext } from './route-context';

/**
 * `POST /oauth/wechat/mobile {"code", "appid"?}`: a native app's OpenSDK code, exchanged and
 * logged in, answered in JSON (mobile clients speak JSON, errors included).
 */
export function mobileCodeLogin(rc: OAuthRouteContext) {
  const { ctx, options, hooks } = rc;
  const parseJson = json({ limit: '16kb' });
  return (req: Request, res: Response, nextFn: NextFunction): void => {
    (async () => {
      assertSameOrigin(req, options);
      await new Promise<void>((resolve, reject) =>
        parseJson(req, res, (err?: unknown) => (err ? reject(new WxAuthError('args_error', 'the body must be JSON {"code", "appid"?}', { cause: err })) : resolve())),
      );
      const body = (req.body ?? {}) as Record<string, unknown>;
      const app = pickMobileApp(options, body.appid);
      const { access, userinfo, isSnapshotUser } = await mobileLogin(ctx, app, body.code);
      const { identity: who, token } = await completeLogin(rc, req, res, {
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
    })().catch((error) => failLogin(rc, req, res, nextFn, error, { action: 'mobile', next: '/', json: true }));
  };
}
