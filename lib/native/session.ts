import type { WxContext } from '../context';
import { isWxAuthError, WxAuthError } from '../errors';
import type { LoginAction } from '../identity/types';
import type { AppCredentials } from '../options';
import type { WechatUserinfo } from '../hooks';
import { SESSION_TTL_SECONDS, type SessionRecords, type SessionTimes } from './sessions';
import { exchangeCode, fetchUserinfo, nativeSessionId, refreshAccessToken, scopeAllowsUserinfo, type OAuthTokenResponse } from './wechat';

/** `X-Client-Type`. */
export type ClientType = 'web' | 'ios' | 'android';
export const CLIENT_TYPES: ReadonlySet<string> = new Set<ClientType>(['web', 'ios', 'android']);

/** Who is calling, from the request headers (kept with the session for audit). */
export interface ClientInfo {
  type: ClientType;
  version?: string;
  /** `X-User-Ip` / `X-User-Agent`: the end user behind a `web` client's server. */
  userIp?: string;
  userAgent?: string;
}

/** A native-app session as stored server-side. The OAuth tokens never leave the server. */
export interface NativeSession extends SessionTimes {
  appid: string;
  openid: string;
  unionid?: string;
  action: LoginAction;
  scope: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms); refreshed on demand after that. */
  accessExpiresAt: number;
  refreshedAt?: number;
  userinfo?: WechatUserinfo;
  client: ClientInfo;
  isSnapshotUser?: boolean;
}

// WeChat errcodes meaning the refresh token is dead: the session can never be refreshed again.
const DEAD_REFRESH_TOKEN = new Set([40030, 42002]);
// Refresh this long before WeChat's stated expiry, so a token is never used in its last seconds.
const ACCESS_MARGIN_MS = 60_000;

/**
 * A fresh login from a code: exchange it, read the profile, and build the session (not saved
 * yet — the caller first runs the shared login step, which may refuse the user).
 */
export async function loginWithCode(
  ctx: WxContext,
  app: AppCredentials,
  action: LoginAction,
  code: string,
  client: ClientInfo,
): Promise<{ sessionId: string; session: NativeSession }> {
  const tokens = await exchangeCode(ctx, app, code);
  // A snapshot-page user is refused by the shared login step; do not read its profile first.
  const userinfo = !tokens.is_snapshotuser && scopeAllowsUserinfo(tokens.scope) ? await fetchUserinfo(ctx, tokens.access_token, tokens.openid) : undefined;
  const now = ctx.now();
  const session: NativeSession = {
    ...fromTokens(tokens, now),
    appid: app.appid,
    openid: tokens.openid,
    ...unionOf(userinfo, tokens),
    action,
    ...(userinfo ? { userinfo } : {}),
    client,
    createdAt: now,
    expiresAt: now + SESSION_TTL_SECONDS * 1000,
    ...(tokens.is_snapshotuser ? { isSnapshotUser: true } : {}),
  };
  return { sessionId: nativeSessionId(tokens.access_token, tokens.refresh_token, tokens.openid), session };
}

/**
 * `PUT /wx/oauth/refresh`: new access token from the stored refresh token, profile read again,
 * session updated in place (same id, same 30-day end: WeChat does not extend the refresh
 * token's life). A dead refresh token deletes the session.
 */
export async function refreshSession(
  ctx: WxContext,
  sessions: SessionRecords<NativeSession>,
  sessionId: string,
  session: NativeSession,
): Promise<NativeSession> {
  let tokens: OAuthTokenResponse;
  try {
    tokens = await refreshAccessToken(ctx, session.appid, session.refreshToken);
  } catch (error) {
    if (isWxAuthError(error) && DEAD_REFRESH_TOKEN.has(Number(error.errcode))) await sessions.delete(sessionId);
    throw error;
  }
  if (tokens.openid !== session.openid) throw new WxAuthError('access_error', 'WeChat refreshed a token of another openid');
  const scope = tokens.scope || session.scope;
  const userinfo = scopeAllowsUserinfo(scope) ? await fetchUserinfo(ctx, tokens.access_token, session.openid) : session.userinfo;
  const now = ctx.now();
  const updated: NativeSession = {
    ...session,
    ...fromTokens({ ...tokens, scope }, now),
    ...unionOf(userinfo, tokens, session.unionid),
    ...(userinfo ? { userinfo } : {}),
    refreshedAt: now,
  };
  await sessions.save(sessionId, updated);
  return updated;
}

/** A session whose access token is usable now: refreshed first when it has expired. */
export async function ensureFreshSession(
  ctx: WxContext,
  sessions: SessionRecords<NativeSession>,
  sessionId: string,
  session: NativeSession,
): Promise<NativeSession> {
  if (session.accessExpiresAt - ACCESS_MARGIN_MS > ctx.now()) return session;
  return refreshSession(ctx, sessions, sessionId, session);
}

function fromTokens(tokens: OAuthTokenResponse, now: number): Pick<NativeSession, 'accessToken' | 'refreshToken' | 'accessExpiresAt' | 'scope'> {
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    accessExpiresAt: now + tokens.expires_in * 1000,
    scope: tokens.scope,
  };
}

function unionOf(userinfo: WechatUserinfo | undefined, tokens: OAuthTokenResponse, previous?: string): { unionid?: string } {
  const unionid = (typeof userinfo?.unionid === 'string' && userinfo.unionid) || tokens.unionid || previous;
  return unionid ? { unionid } : {};
}
