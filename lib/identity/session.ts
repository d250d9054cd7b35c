import type { Request, Response } from 'express';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { IdentityStorage, WxIdentity } from './types';

/**
 * The slice of an express-session session we use. Typed locally so the package does not depend
 * on express-session's types (it is the app's choice of session middleware).
 */
interface SessionLike {
  regenerate(callback: (error?: unknown) => void): void;
  destroy(callback: (error?: unknown) => void): void;
  save(callback: (error?: unknown) => void): void;
  wxauth?: unknown;
}

/** Key under which the identity lives in `req.session`. */
export const SESSION_KEY = 'wxauth';

/** The request's session, or a `config_error` explaining how to mount express-session. */
export function requireSession(req: Request): SessionLike {
  const session = (req as Request & { session?: SessionLike }).session;
  if (!session || typeof session.regenerate !== 'function') {
    throw new WxAuthError(
      'config_error',
      'storage "session" needs express-session mounted before the wxauth router: app.use(session({ secret, resave: false, saveUninitialized: false })); or use storage "cookie"',
      { field: 'storage' },
    );
  }
  return session;
}

function call(session: SessionLike, method: 'regenerate' | 'destroy' | 'save'): Promise<void> {
  return new Promise((resolve, reject) =>
    session[method]((error) => (error ? reject(new WxAuthError('store_error', `the session could not be ${method === 'save' ? 'saved' : method === 'destroy' ? 'destroyed' : 'regenerated'}`, { cause: error })) : resolve())),
  );
}

/**
 * `storage: 'session'` (default): the identity lives in express-session. Logging in regenerates
 * the session first — a session id fixed before login (session fixation) never becomes a
 * logged-in one — and logging out destroys it.
 */
export function createSessionIdentity(ctx: WxContext): IdentityStorage {
  let warned = false;
  return {
    kind: 'session',
    async login(req: Request, _res: Response, identity: WxIdentity) {
      await call(requireSession(req), 'regenerate');
      // `regenerate` replaces req.session with a fresh object.
      const session = requireSession(req);
      session.wxauth = { ...identity };
      await call(session, 'save');
      return {};
    },
    async read(req: Request) {
      const session = (req as Request & { session?: SessionLike }).session;
      if (!session) {
        // Not an error on every request (pay notifies, the native API may not use sessions);
        // starting a login throws the config_error that says what to do.
        if (!warned) {
          warned = true;
          ctx.logger.warn('storage "session" but req.session is missing; mount express-session before the wxauth router');
        }
        return undefined;
      }
      const id = session.wxauth as WxIdentity | undefined;
      return id && typeof id.openid === 'string' ? id : undefined;
    },
    async logout(req: Request) {
      const session = (req as Request & { session?: SessionLike }).session;
      if (session && typeof session.destroy === 'function') await call(session, 'destroy');
    },
  };
}
