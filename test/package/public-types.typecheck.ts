/**
 * Type-level test of the public API, checked by `npm run typecheck` (never executed): valid
 * configurations compile, wrong ones are compile errors, and the router's helpers are typed.
 */
import type { Request, Response } from 'express';
import { wxauth, WxAuthError, ErrorCodes, type RequireLoginOptions, type WxAuthOptions, type WxIdentity, type PayApi } from '../../lib';

const options: WxAuthOptions = {
  mp: { appid: 'wx1234567890abcdef', secret: 's' },
  mountPath: '/auth',
  storeTimeoutMs: 500,
  storage: 'cookie',
  cookie: { secret: 'x'.repeat(32), sameSite: 'lax' },
  jssdk: { jsApiList: ['chooseImage'] },
  pay: { appid: 'wx1234567890abcdef', mchid: '1900000109', key: 'k'.repeat(32), signType: 'HMAC-SHA256' },
};

// @ts-expect-error storage is one of three words
const badStorage: WxAuthOptions = { storage: 'redis' };
// @ts-expect-error storeTimeoutMs is a number of ms
const badTimeout: WxAuthOptions = { storeTimeoutMs: '1s' };
// @ts-expect-error an app needs its secret
const noSecret: WxAuthOptions = { mp: { appid: 'wx1234567890abcdef' } };
// @ts-expect-error signType is MD5 or HMAC-SHA256
const badSign: WxAuthOptions = { pay: { appid: 'wx1', mchid: '1', key: 'k', signType: 'SHA1' } };

export function typedRouter(req: Request, res: Response): void {
  const router = wxauth(options);
  router.successHandler(async (_req, _res, { action, access, userinfo, next }) => {
    const a: 'mp' | 'qrcode' | 'mobile' | 'miniprogram' | 'follow' = action;
    const openid: string = access.openid;
    const nickname: string | undefined = userinfo?.nickname;
    void [a, openid, nickname, next];
    return { upgrade: 'snsapi_userinfo' };
  });
  router.errorHandler((_req, _res, { error }) => {
    const code: string = error.code;
    void code;
  });
  const identity: WxIdentity | undefined = req.wxauth;
  const guard = router.requireLogin({ action: 'mp', scope: 'snsapi_userinfo' });
  // Follow-to-login is a login action like the others; it has no scope, and no next (the request's own URL).
  const followGuard = router.requireLogin({ action: 'follow' });
  const followGuardOptions: RequireLoginOptions = { action: 'follow' };
  // @ts-expect-error follow-to-login takes no scope
  const followWithScope = router.requireLogin({ action: 'follow', scope: 'snsapi_userinfo' });
  // @ts-expect-error requireLogin always comes back to the request's own URL
  const guardWithNext = router.requireLogin({ action: 'follow', next: '/' });
  // @ts-expect-error an action the router does not know
  const unknownAction = router.requireLogin({ action: 'sms' });
  void [followGuard, followGuardOptions, followWithScope, guardWithNext, unknownAction, router.auth(req, res, { action: 'follow', next: '/' })];
  const pay: PayApi = router.pay;
  const ticket: Promise<string> = router.client.getJsapiTicket();
  // A template msgid is a 64-bit integer: a decimal string, never a number that would round it.
  const sent: Promise<{ msgid: string }> = router.client.sendTemplate({ touser: 'o1', templateId: 't', data: {} });
  // @ts-expect-error msgid is a string
  const rounded: Promise<{ msgid: number }> = router.client.sendTemplate({ touser: 'o1', templateId: 't', data: {} });
  void [identity, guard, pay, ticket, sent, rounded, router.auth(req, res, { next: '/' })];
  const e = new WxAuthError(ErrorCodes.CONFIG, 'x');
  const status: number = e.status;
  void status;
}

void [badStorage, badTimeout, noSecret, badSign];
