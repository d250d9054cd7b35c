import type { Request, RequestHandler } from 'express';
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

/** Requests whose `req.wxauth` this storage has already set (or cleared). */
const identified = new WeakMap<object, IdentityStorage>();

/**
 * Sets `req.wxauth` on every request that carries a (verified) login, and clears anything a
 * previous middleware put there — the field is ours and must only ever hold a verified identity.
 */
export function identityMiddleware(storage: IdentityStorage): RequestHandler {
  return (req, _res, next) => {
    identify(storage, req).then(() => next(), next);
  };
}

/**
 * Make sure `req.wxauth` was set by `storage` for this request. The router does it for requests
 * that pass through it; `requireLogin()` on a route outside the router (`app.use('/auth', router)`
 * and `app.get('/account', router.requireLogin())`) relies on this instead.
 */
export async function identify(storage: IdentityStorage, req: Request): Promise<void> {
  if (identified.get(req) === storage) return;
  const identity = await storage.read(req);
  if (identity) req.wxauth = identity;
  else delete req.wxauth;
  identified.set(req, storage);
}
