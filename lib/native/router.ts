import { isIP } from 'node:net';
import type { Request, Response, Router } from 'express';
import type { SurfaceDeps } from '../deps';
import { completeLogin } from '../identity/complete-login';
import type { LoginAction } from '../identity/types';
import { mobileApps, type AppCredentials, type WxAuthOptions } from '../options';
import { sessionBody, apiLoginDeps } from './api-login';
import { apiErrorHandler, bodyObject, handle, header, jsonApiRouter, sendError, stringField, validationFailed } from './http';
import { SessionRecords } from './sessions';
import { CLIENT_TYPES, ensureFreshSession, loginWithCode, refreshSession, type ClientInfo, type ClientType, type NativeSession } from './session';

const MAX_CODE_LENGTH = 512;
const MAX_STATE_LENGTH = 128;

/**
 * The native-app API (mounted when `mobile` apps are configured):
 *
 * - `POST /wx/oauth/login` — OpenSDK code → server-side session; answers `{sessionId, unionId, createdAt}`
 *   (+ `token` in JWT mode). Without a code, a valid `X-Session-Id` logs in again (no code round-trip).
 * - `PUT /wx/oauth/refresh` — refresh token → new access token, profile re-read → 204.
 * - `DELETE /wx/oauth/session` — ends the `X-Session-Id` session → 204.
 * - `GET /wx/oauth/callback` — forwards a web login's `code`/`state` to `webCallbackUrl`.
 *
 * Routes are thin: WeChat calls and session records live in `session.ts`.
 */
export function mountNative(router: Router, deps: SurfaceDeps): void {
  const { ctx, options } = deps;
  const sessions = new SessionRecords<NativeSession>(ctx, 'native:session');
  const loginDeps = apiLoginDeps(deps);
  const api = jsonApiRouter(options);

  api.post(
    '/login',
    handle(ctx.logger, async (req, res) => {
      const body = bodyObject(req, res);
      if (body === false) return;
      const client = readClient(req, res);
      if (!client) return;
      const app = requireApp(req, res, options, client.type);
      if (!app) return;
      const code = stringField(body, 'code');
      let sessionId: string;
      let session: NativeSession;
      if (code) {
        if (code.length > MAX_CODE_LENGTH) return validationFailed(res, 'code', 'invalid');
        ({ sessionId, session } = await loginWithCode(ctx, app.credentials, app.action, code, client));
      } else {
        // "Still logged in? Skip the code": only with the session id, a secret. Never on a bare openid.
        const presented = header(req, 'X-Session-Id');
        const existing = presented ? await sessions.get(presented) : undefined;
        if (!presented || !existing || existing.appid !== app.credentials.appid) return validationFailed(res, 'code');
        sessionId = presented;
        session = await ensureFreshSession(ctx, sessions, presented, existing);
      }
      const { token } = await completeLogin(loginDeps, req, res, {
        openid: session.openid,
        ...(session.unionid ? { unionid: session.unionid } : {}),
        appid: session.appid,
        action: session.action,
        ...(session.userinfo ? { userinfo: session.userinfo } : {}),
        ...(session.isSnapshotUser ? { isSnapshotUser: true } : {}),
      });
      if (code) await sessions.save(sessionId, session);
      res.set('Cache-Control', 'no-store').status(200).json(sessionBody(sessionId, session.unionid, session.createdAt, token));
    }),
  );

  // `X-App-Id` + `X-Session-Id` → that app's session (undefined when unknown, expired or another
  // app's), or undefined after answering the request when a header is missing or wrong.
  const presentedSession = async (req: Request, res: Response) => {
    const app = requireApp(req, res, options, undefined);
    if (!app) return undefined;
    const sessionId = header(req, 'X-Session-Id');
    if (!sessionId) return void validationFailed(res, 'X-Session-Id');
    const stored = await sessions.get(sessionId);
    return { sessionId, session: stored && stored.appid === app.credentials.appid ? stored : undefined };
  };

  api.put(
    '/refresh',
    handle(ctx.logger, async (req, res) => {
      const found = await presentedSession(req, res);
      if (!found) return;
      const { sessionId, session } = found;
      if (!session) return sendError(res, 400, 'Unknown or expired session: log in again', 'login_required');
      await refreshSession(ctx, sessions, sessionId, session);
      res.set('Cache-Control', 'no-store').status(204).end();
    }),
  );

  // Log out of a native session (not in the published contract; the natural counterpart of login).
  api.delete(
    '/session',
    handle(ctx.logger, async (req, res) => {
      const found = await presentedSession(req, res);
      if (!found) return;
      if (found.session) await sessions.delete(found.sessionId);
      res.status(204).end();
    }),
  );

  api.get('/callback', (req, res) => forwardToWeb(req, res, options));
  api.use(apiErrorHandler(ctx.logger));
  router.use('/wx/oauth', api);
}

/**
 * Forward a web login's `code` and `state` to the configured `webCallbackUrl` — WeChat allows one
 * callback domain per app, this lets it be the API's. The target is only ever the configured
 * URL (never one from the request), so this is no open redirect.
 */
function forwardToWeb(req: Request, res: Response, options: WxAuthOptions): void {
  if (!options.webCallbackUrl) return sendError(res, 404, 'GET /wx/oauth/callback needs the webCallbackUrl option');
  const { code, state } = req.query;
  if ((code !== undefined && typeof code !== 'string') || (state !== undefined && typeof state !== 'string')) {
    return sendError(res, 400, 'code and state must be single values', 'args_error');
  }
  if ((code?.length ?? 0) > MAX_CODE_LENGTH || (state?.length ?? 0) > MAX_STATE_LENGTH) return sendError(res, 400, 'code or state is too long', 'args_error');
  const target = new URL(options.webCallbackUrl);
  // No code means the user refused: forward the state alone, as WeChat does.
  if (code) target.searchParams.set('code', code);
  if (state !== undefined) target.searchParams.set('state', state);
  res.set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer').redirect(302, target.toString());
}

/** `X-Client-Type` (+ version, and for `web` the end user's IP and User-Agent), or a 422 sent. */
function readClient(req: Request, res: Response): ClientInfo | undefined {
  const type = header(req, 'X-Client-Type')?.toLowerCase();
  if (!type) return void validationFailed(res, 'X-Client-Type');
  if (!CLIENT_TYPES.has(type)) return void validationFailed(res, 'X-Client-Type', 'invalid');
  const version = header(req, 'X-Client-Version');
  const client: ClientInfo = { type: type as ClientType, ...(version ? { version: version.slice(0, 64) } : {}) };
  if (type === 'web') {
    const userIp = header(req, 'X-User-Ip');
    const userAgent = header(req, 'X-User-Agent');
    if (!userIp) return void validationFailed(res, 'X-User-Ip');
    if (!isIP(userIp)) return void validationFailed(res, 'X-User-Ip', 'invalid');
    if (!userAgent) return void validationFailed(res, 'X-User-Agent');
    client.userIp = userIp;
    client.userAgent = userAgent.slice(0, 512);
  }
  return client;
}

interface SelectedApp {
  credentials: AppCredentials;
  action: LoginAction;
}

/**
 * The app `X-App-Id` names, or a 422 sent. Native clients pick one of the `mobile` apps; a `web`
 * client (a web server posting a code forwarded by `/wx/oauth/callback`) may also name the
 * website (`qrcode`) or official-account (`mp`) app, whose codes those are.
 */
function requireApp(req: Request, res: Response, options: WxAuthOptions, clientType: ClientType | undefined): SelectedApp | undefined {
  const appid = header(req, 'X-App-Id');
  if (!appid) return void validationFailed(res, 'X-App-Id');
  const mobile = mobileApps(options).find((app) => app.appid === appid);
  if (mobile) return { credentials: mobile, action: 'mobile' };
  if (clientType === undefined || clientType === 'web') {
    if (options.qrcode?.appid === appid) return { credentials: options.qrcode, action: 'qrcode' };
    if (options.mp?.appid === appid) return { credentials: options.mp, action: 'mp' };
  }
  return void validationFailed(res, 'X-App-Id', 'invalid');
}
