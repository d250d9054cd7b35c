import type { Request } from 'express';
import type { SurfaceDeps } from '../deps';
import type { IdentityStorage } from '../identity/types';
import { isoSeconds } from './sessions';

/** The login answer of the native-app and mini-program APIs. */
export interface ApiSessionBody {
  /** Send back as `X-Session-Id`. A credential: keep it like a password. */
  sessionId: string;
  /** `null` when WeChat gave no unionid (app not bound to an open-platform account). */
  unionId: string | null;
  /** When the session was created, ISO 8601 UTC; it ends 30 days later. */
  createdAt: string;
  /** The JWT, when `storage: 'jwt'`. */
  token?: string;
}

export function sessionBody(sessionId: string, unionid: string | undefined, createdAt: number, token?: string): ApiSessionBody {
  return { sessionId, unionId: unionid ?? null, createdAt: isoSeconds(createdAt), ...(token ? { token } : {}) };
}

/**
 * The deps an API login hands to `completeLogin`. API clients hold their own server-side session
 * (`X-Session-Id`); the shared login step still runs (snapshot refusal, `resolveUser`, and the
 * configured storage: a JWT in JWT mode, the signed cookie in cookie mode). With `storage:
 * 'session'` the express-session login only happens when express-session is mounted — a
 * native-only backend need not mount it just for this API.
 */
export function apiLoginDeps(deps: SurfaceDeps): SurfaceDeps {
  if (deps.identity.kind !== 'session') return deps;
  const inner = deps.identity;
  const identity: IdentityStorage = {
    kind: inner.kind,
    login: (req, res, id) => (hasSession(req) ? inner.login(req, res, id) : Promise.resolve({})),
    read: (req) => inner.read(req),
    logout: (req, res) => inner.logout(req, res),
  };
  return { ...deps, identity };
}

function hasSession(req: Request): boolean {
  const session = (req as Request & { session?: { regenerate?: unknown } }).session;
  return !!session && typeof session.regenerate === 'function';
}
