import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { AppCredentials } from '../options';
import { SESSION_TTL_SECONDS, SessionRecords, type SessionTimes } from '../native/sessions';

/** `/sns/jscode2session`, with `session_key` renamed: it is a key, and it never leaves the server. */
export interface Code2Session {
  openid: string;
  unionid?: string;
  sessionKey: string;
}

/** A mini-program session as stored server-side (the session_key is stored apart, by openid). */
export interface MiniSession extends SessionTimes {
  appid: string;
  openid: string;
  unionid?: string;
}

/**
 * Exchange a `wx.login()` code. Never retried, not even on errcode -1: the code is single-use.
 */
export async function code2Session(ctx: WxContext, app: AppCredentials, code: string): Promise<Code2Session> {
  const body = await ctx.http.apiGet(
    '/sns/jscode2session',
    { appid: app.appid, secret: app.secret, js_code: code, grant_type: 'authorization_code' },
    { errorCode: 'auth_error', idempotent: false },
  );
  const { openid, session_key: sessionKey, unionid } = body;
  if (typeof openid !== 'string' || !openid || typeof sessionKey !== 'string' || !sessionKey) {
    throw new WxAuthError('auth_error', 'WeChat answered jscode2session without openid or session_key');
  }
  return { openid, sessionKey, ...(typeof unionid === 'string' && unionid ? { unionid } : {}) };
}

/**
 * Mini-program sessions and session keys. The session_key is kept per (appid, openid) — WeChat
 * invalidates the previous one at every `wx.login()`, so the latest is the one that decrypts —
 * and looked up from either the `X-Session-Id` session or the verified login (JWT / cookie).
 */
export class MiniSessions {
  readonly records: SessionRecords<MiniSession>;

  constructor(private readonly ctx: WxContext) {
    this.records = new SessionRecords<MiniSession>(ctx, 'mini:session');
  }

  private keyOf(appid: string, openid: string): string {
    return `mini:skey:${appid}:${openid}`;
  }

  /** Record a login: the session under `sessionId`, the session_key under the openid. */
  async start(sessionId: string, appid: string, result: Code2Session): Promise<MiniSession> {
    const now = this.ctx.now();
    const session: MiniSession = {
      appid,
      openid: result.openid,
      ...(result.unionid ? { unionid: result.unionid } : {}),
      createdAt: now,
      expiresAt: now + SESSION_TTL_SECONDS * 1000,
    };
    await this.ctx.store.set(this.keyOf(appid, result.openid), result.sessionKey, SESSION_TTL_SECONDS);
    await this.records.save(sessionId, session);
    return session;
  }

  /** Log out: forget the session and the user's session_key. */
  async end(sessionId: string, appid: string): Promise<void> {
    const session = await this.records.get(sessionId);
    if (!session || session.appid !== appid) return;
    await this.records.delete(sessionId);
    await this.ctx.store.del(this.keyOf(appid, session.openid));
  }

  async sessionKey(appid: string, openid: string): Promise<string | undefined> {
    return this.ctx.store.get(this.keyOf(appid, openid));
  }
}
