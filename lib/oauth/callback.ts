import type { NextFunction, Request, Response } from 'express';
import { identify } from '../identity';
import { completeLogin } from '../identity/complete-login';
import type { LoginAction } from '../identity/types';
import { failLogin, retryLink } from './fail';
import { finishLogin } from './flow';
import { isPageNavigation, redirect, sendLandingPage, wantsJson } from './http';
import { redirectToWechat } from './login-start';
import type { OAuthRouteContext } from './route-context';
import type { StateRecord } from './state';

/**
 * `GET /oauth/wechat/callback?code=&state=`: the end of a browser login. Take this browser's
 * pending login (single use), exchange the code, log in, run the success hook, then land on
 * `next` — or go round again for the profile when the hook asks for the upgrade.
 */
export function handleCallback(rc: OAuthRouteContext) {
  const { ctx, options, hooks } = rc;
  return (req: Request, res: Response, nextFn: NextFunction): void => {
    let record: StateRecord | undefined;
    (async () => {
      // The state's pending login leaves this browser's cookie before anything else: single use.
      record = rc.pendingLogins().take(req, res, req.query.state);
      if (await upgradeRefused(rc, req, res, record)) return;
      const result = await finishLogin(ctx, options, { code: req.query.code, record });
      const { access, userinfo } = result;
      const { action, scope, next } = result.record;
      const { identity: who, token } = await completeLogin(rc, req, res, {
        openid: access.openid,
        ...(access.unionid ? { unionid: access.unionid } : {}),
        appid: result.record.appid,
        action,
        ...(userinfo ? { userinfo } : {}),
        isSnapshotUser: result.isSnapshotUser,
      });
      ctx.logger.info?.('login', { action, scope, appid: result.record.appid });
      const outcome = hooks.success ? await hooks.success(req, res, { action, scope, access, ...(userinfo ? { userinfo } : {}), next, identity: who }) : undefined;
      if (res.headersSent) return;
      if (outcome && outcome.upgrade === 'snsapi_userinfo' && action === 'mp' && scope === 'snsapi_base') {
        // chiki's base-then-userinfo: the user is known only by openid; go round again for the profile.
        await redirectToWechat(rc, req, res, 'mp', 'snsapi_userinfo', next, true);
        return;
      }
      if (req.query.format === 'json' || wantsJson(req)) {
        res.set('Cache-Control', 'no-store').json({ openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), action, next, ...(token ? { token } : {}) });
        return;
      }
      land(req, res, action, next);
    })().catch((error) =>
      failLogin(rc, req, res, nextFn, error, {
        ...(record ? { action: record.action } : {}),
        next: record?.next ?? '/',
        retry: record ? retryLink(rc, record.action, record.scope, record.next) : retryLink(rc),
        cancelled: record !== undefined && (req.query.code === undefined || req.query.code === ''),
      }),
    );
  };
}

/**
 * mp navigations land on `next` through a tiny page, not a 302: the browser would carry WeChat's
 * `#wechat_redirect` fragment on to `next` (error-page.ts, `renderLandingPage`). API clients and
 * other callers keep the plain 302 (or JSON).
 */
function land(req: Request, res: Response, action: LoginAction, next: string): void {
  res.set('Cache-Control', 'no-store');
  if (action === 'mp' && isPageNavigation(req)) sendLandingPage(req, res, next);
  else redirect(res, 302, next);
}

/**
 * Deny on the consent page of an upgrade round: the base login of that round already completed
 * (session / cookie / JWT set), so it stands — the user goes on to `next` and the success hook
 * hears `upgradeRefused: true`. Only when this browser is still logged in with that app.
 */
async function upgradeRefused(rc: OAuthRouteContext, req: Request, res: Response, record: StateRecord): Promise<boolean> {
  const { ctx, identity, hooks } = rc;
  if (!record.upgrade || record.action !== 'mp' || (req.query.code !== undefined && req.query.code !== '')) return false;
  await identify(identity, req);
  const who = req.wxauth;
  if (!who || who.appid !== record.appid) return false;
  ctx.logger.info?.('login upgrade refused', { action: 'mp', appid: record.appid });
  if (hooks.success) {
    // No code, so no exchange this round: the OAuth tokens went to the hook in the base round.
    const access = { openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), scope: 'snsapi_base', access_token: '', refresh_token: '', expires_in: 0 };
    await hooks.success(req, res, { action: 'mp', scope: 'snsapi_base', access, next: record.next, identity: who, upgradeRefused: true });
  }
  if (res.headersSent) return true;
  if (req.query.format === 'json' || wantsJson(req)) {
    res.set('Cache-Control', 'no-store').json({ openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), action: 'mp', next: record.next, upgradeRefused: true });
  } else land(req, res, 'mp', record.next);
  return true;
}
