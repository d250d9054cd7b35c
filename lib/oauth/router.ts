// STUB — replaced by the OAuth implementation.
import type { Request, RequestHandler, Response, Router } from 'express';
import type { SurfaceDeps } from '../deps';
import type { LoginAction } from '../identity/types';

export interface AuthStartOptions {
  action?: Extract<LoginAction, 'mp' | 'qrcode'>;
  scope?: 'snsapi_base' | 'snsapi_userinfo';
  next?: string;
}
export type RequireLoginOptions = Omit<AuthStartOptions, 'next'>;

export function mountOAuth(
  _router: Router,
  _deps: SurfaceDeps,
): { auth(req: Request, res: Response, o?: AuthStartOptions): Promise<void>; requireLogin(o?: RequireLoginOptions): RequestHandler; logout(req: Request, res: Response): Promise<void> } {
  throw new Error('not implemented yet');
}
