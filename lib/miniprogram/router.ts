import type { Request, Router } from 'express';
import type { SurfaceDeps } from '../deps';
import { WxAuthError } from '../errors';
import { completeLogin } from '../identity/complete-login';
import { apiLoginDeps, sessionBody } from '../native/api-login';
import { apiErrorHandler, bodyObject, handle, header, jsonApiRouter, sendError, stringField, validationFailed } from '../native/http';
import { checkRawDataSignature, decryptMiniProgramData } from './crypto';
import { MAX_PHONE_CODE_LENGTH } from './phone';
import { code2Session, MiniSessions } from './session';

const MAX_CODE_LENGTH = 512;

/**
 * Mini-program login (mounted when `miniprogram` is configured):
 *
 * - `POST /wx/miniprogram/login {code}` — `wx.login()` code → jscode2session → server-side session;
 *   answers `{sessionId, unionId, createdAt}` (+ `token` in JWT mode). The session_key stays here.
 *   Without a code, a valid `X-Session-Id` logs in again (e.g. for a fresh JWT).
 * - `POST /wx/miniprogram/decrypt {encryptedData, iv, rawData?, signature?}` — the caller proves its
 *   login with `X-Session-Id` or, failing that, the configured storage (`Authorization: Bearer`
 *   in JWT mode); answers the decrypted data once `watermark.appid` is ours, `watermark.timestamp`
 *   recent (`miniprogram.maxDataAgeSeconds`, default 10 minutes) and any `openId` the caller's.
 * - `POST /wx/miniprogram/phone {code}` — the getPhoneNumber button's code of the logged-in caller →
 *   getuserphonenumber → `{phoneNumber, purePhoneNumber, countryCode}`; `resolveUser` sees `phone`.
 * - `DELETE /wx/miniprogram/session` — ends the `X-Session-Id` session → 204.
 */
export function mountMiniprogram(router: Router, deps: SurfaceDeps): void {
  const { ctx, options } = deps;
  const app = options.miniprogram;
  if (!app) return;
  const sessions = new MiniSessions(ctx);
  const loginDeps = apiLoginDeps(deps);
  const api = jsonApiRouter(options);

  api.post(
    '/login',
    handle(ctx.logger, async (req, res) => {
      const body = bodyObject(req, res);
      if (body === false) return;
      const code = stringField(body, 'code');
      if (code && code.length > MAX_CODE_LENGTH) return validationFailed(res, 'code', 'invalid');
      if (!code) {
        const presented = header(req, 'X-Session-Id');
        const existing = await sessions.records.get(presented);
        if (!presented || !existing || existing.appid !== app.appid) return validationFailed(res, 'code');
        const { token } = await completeLogin(loginDeps, req, res, { openid: existing.openid, ...unionOf(existing.unionid), appid: app.appid, action: 'miniprogram' });
        res.set('Cache-Control', 'no-store').status(200).json(sessionBody(presented, existing.unionid, existing.createdAt, token));
        return;
      }
      const result = await code2Session(ctx, app, code);
      const { token } = await completeLogin(loginDeps, req, res, { openid: result.openid, ...unionOf(result.unionid), appid: app.appid, action: 'miniprogram' });
      // Random, not derived from the session_key: nothing about the key can be learnt from the id.
      const sessionId = ctx.randomHex(16);
      const session = await sessions.start(sessionId, app.appid, result);
      res.set('Cache-Control', 'no-store').status(200).json(sessionBody(sessionId, session.unionid, session.createdAt, token));
    }),
  );

  api.post(
    '/decrypt',
    handle(ctx.logger, async (req, res) => {
      const body = bodyObject(req, res);
      if (body === false) return;
      const who = await caller(req, deps, sessions, app.appid);
      if (!who) return sendError(res, 401, 'Log in first: send the X-Session-Id from /wx/miniprogram/login (or your Bearer token)', 'login_required');
      const encryptedData = stringField(body, 'encryptedData');
      const iv = stringField(body, 'iv');
      if (!encryptedData) return validationFailed(res, 'encryptedData');
      if (!iv) return validationFailed(res, 'iv');
      const rawData = body?.rawData;
      if (rawData !== undefined && typeof rawData !== 'string') return validationFailed(res, 'rawData', 'invalid');
      const signature = stringField(body, 'signature');
      if (rawData !== undefined && !signature) return validationFailed(res, 'signature');
      const sessionKey = await sessions.sessionKey(app.appid, who.openid);
      if (!sessionKey) return sendError(res, 401, 'The session key has expired: call wx.login() and log in again', 'login_required');
      if (rawData !== undefined && !checkRawDataSignature(rawData, sessionKey, signature!)) {
        return sendError(res, 400, 'rawData does not match its signature', 'sign_error');
      }
      const data = decryptMiniProgramData({ sessionKey, encryptedData, iv, appid: app.appid, now: ctx.now, ...(app.maxDataAgeSeconds === undefined ? {} : { maxAgeSeconds: app.maxDataAgeSeconds }) });
      // Data carrying an openId must be this user's. Not a formality: the caller picks the iv, so it
      // can rewrite the first 16 bytes of the plaintext — where `{"openId":"…` sits (see
      // decryptMiniProgramData). Any `openId` that is not exactly the session's, even one turned into
      // a number that way, is refused.
      if ('openId' in data && data.openId !== who.openid) {
        throw new WxAuthError('decrypt_error', 'the data could not be decrypted for this session and mini program');
      }
      res.set('Cache-Control', 'no-store').status(200).json(data);
    }),
  );

  // The phone number by code: the logged-in user's getPhoneNumber button code → getuserphonenumber.
  // With resolveUser, the login runs its last step again with `phone`, so the account it returns
  // (now holding the number) becomes the session's user — and, in JWT mode, a fresh token says so.
  api.post(
    '/phone',
    handle(ctx.logger, async (req, res) => {
      const body = bodyObject(req, res);
      if (body === false) return;
      const who = await caller(req, deps, sessions, app.appid);
      if (!who) return sendError(res, 401, 'Log in first: send the X-Session-Id from /wx/miniprogram/login (or your Bearer token)', 'login_required');
      const code = stringField(body, 'code');
      if (!code) return validationFailed(res, 'code');
      if (code.length > MAX_PHONE_CODE_LENGTH) return validationFailed(res, 'code', 'invalid');
      const phone = await deps.client.getPhoneNumber(code, app.appid).catch((error: unknown) => {
        // Every user is refused until more quota is bought: the operator must hear of it.
        if (error instanceof WxAuthError && error.code === 'phone_quota_exhausted') ctx.logger.warn('the mini program\'s phone-number quota is used up (errcode 1400001): buy more in the WeChat console', { appid: app.appid });
        throw error;
      });
      let token: string | undefined;
      if (options.resolveUser) {
        ({ token } = await completeLogin(loginDeps, req, res, { openid: who.openid, ...unionOf(who.unionid), appid: app.appid, action: 'miniprogram', phone }));
      }
      res.set('Cache-Control', 'no-store').status(200).json({ ...phone, ...(token ? { token } : {}) });
    }),
  );

  // Log out: the session and the user's session_key are forgotten (the next wx.login makes new ones).
  api.delete(
    '/session',
    handle(ctx.logger, async (req, res) => {
      const presented = header(req, 'X-Session-Id');
      if (!presented) return validationFailed(res, 'X-Session-Id');
      await sessions.end(presented, app.appid);
      res.status(204).end();
    }),
  );

  api.use(apiErrorHandler(ctx.logger));
  router.use('/wx/miniprogram', api);
}

/** Who is asking: the `X-Session-Id` session, else a verified mini-program login of this app. */
async function caller(req: Request, deps: SurfaceDeps, sessions: MiniSessions, appid: string): Promise<{ openid: string; unionid?: string } | undefined> {
  const presented = header(req, 'X-Session-Id');
  if (presented) {
    // A session id that is presented but dead is an answer in itself: no fallback to another login.
    const session = await sessions.records.get(presented);
    return session && session.appid === appid ? { openid: session.openid, ...unionOf(session.unionid) } : undefined;
  }
  const identity = req.wxauth ?? (await deps.identity.read(req));
  return identity && identity.action === 'miniprogram' && identity.appid === appid ? { openid: identity.openid, ...unionOf(identity.unionid) } : undefined;
}

function unionOf(unionid: string | undefined): { unionid?: string } {
  return unionid ? { unionid } : {};
}
