import type { NextFunction, Request, Response } from 'express';
import type { IdentityStorage } from '../identity/types';
import { failLogin } from './fail';
import { assertSameOrigin, guardNext, redirect, wantsJson } from './http';
import type { OAuthRouteContext } from './route-context';

/** `router.logout(req, res)`: end the login (session / cookie / token) and forget it for this request. */
export async function logout(identity: IdentityStorage, req: Request, res: Response): Promise<void> {
  await identity.logout(req, res);
  delete req.wxauth;
}

/** `POST /oauth/wechat/logout?next=`: same-origin only; 204 for API clients, else a 303 to `next`. */
export function handleLogout(rc: OAuthRouteContext) {
  return (req: Request, res: Response, nextFn: NextFunction): void => {
    (async () => {
      assertSameOrigin(req, rc.options);
      await logout(rc.identity, req, res);
      if (wantsJson(req)) res.status(204).end();
      else redirect(res, 303, guardNext(req, rc.options, req.query.next));
    })().catch((error) => failLogin(rc, req, res, nextFn, error, { next: '/' }));
  };
}
