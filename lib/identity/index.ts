import type { RequestHandler } from 'express';
import type { WxContext } from '../context';
import type { ResolvedOptions } from '../options';
import { createCookieIdentity } from './cookie';
import { createJwtIdentity } from './jwt';
import { createSessionIdentity } from './session';
import type { IdentityStorage } from './types';

export { completeLogin } from './complete-login';
export { requireSession } from './session';
export { readCookie, signIdentityCookie, verifyIdentityCookie } from './cookie';

/** The identity storage chosen by `options.storage` (default `session`). */
export function createIdentityStorage(ctx: WxContext, options: ResolvedOptions): IdentityStorage {
  switch (options.storage ?? 'session') {
    case 'cookie':
      return createCookieIdentity(ctx, options);
    case 'jwt':
      return createJwtIdentity(ctx, options);
    default:
      return createSessionIdentity(ctx);
  }
}

/**
 * Sets `req.wxauth` on every request that carries a (verified) login, and clears anything a
 * previous middleware put there — the field is ours and must only ever hold a verified identity.
 */
export function identityMiddleware(storage: IdentityStorage): RequestHandler {
  return (req, _res, next) => {
    storage.read(req).then((identity) => {
      if (identity) req.wxauth = identity;
      else delete req.wxauth;
      next();
    }, next);
  };
}
