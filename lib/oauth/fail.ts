import type { NextFunction, Request, Response } from 'express';
import { isWxAuthError } from '../errors';
import type { LoginAction } from '../identity/types';
import { routerPrefix, sendDefaultError } from './http';
import { PATHS } from './paths';
import type { OAuthRouteContext } from './route-context';

export interface FailContext {
  action?: LoginAction | undefined;
  next: string;
  /** Answer JSON whatever the request accepts (mobile clients). */
  json?: boolean;
  /** The error page's "try again" link: the login start for the same action / next. */
  retry?: string | undefined;
  /** The callback came back without a code: the user pressed Deny. */
  cancelled?: boolean;
}

/**
 * A login step failed: log the safe fields, run the error hook, else answer the default 4xx page
 * or JSON. An error that is not ours (the app's `resolveUser` or hook threw) goes to `nextFn`,
 * so the app's own Express error handler decides.
 */
export async function failLogin(rc: OAuthRouteContext, req: Request, res: Response, nextFn: NextFunction, error: unknown, failure: FailContext): Promise<void> {
  const { action, next, json: asJson = false, retry, cancelled = false } = failure;
  if (!isWxAuthError(error)) return nextFn(error);
  const meta = {
    code: error.code,
    ...(error.errcode === undefined ? {} : { errcode: error.errcode }),
    ...(action ? { action } : {}),
    // A misconfiguration is the developer's to fix, and the page no longer says what it is: the log does.
    ...(error.code === 'config_error' ? { message: error.message } : {}),
  };
  if (error.status >= 500) rc.ctx.logger.error('login failed', meta);
  else rc.ctx.logger.warn('login failed', meta);
  try {
    if (rc.hooks.error) await rc.hooks.error(req, res, { error, ...(action ? { action } : {}), next, cause: error.cause });
  } catch (hookError) {
    return nextFn(hookError);
  }
  sendDefaultError(req, res, error, { retry, cancelled }, asJson);
}

/** The error page's "try again": our login start (root-relative, never from Host) for the same action, scope and next. */
export function retryLink(rc: OAuthRouteContext, action?: LoginAction, scope?: string, next?: string): string {
  const query = new URLSearchParams({
    ...(action === 'mp' || action === 'qrcode' ? { action } : {}),
    ...(action === 'mp' && scope === 'snsapi_userinfo' ? { scope } : {}),
    ...(next ? { next } : {}),
  }).toString();
  return `${routerPrefix(rc.options, rc.mountPath(), false)}${PATHS.login}${query ? `?${query}` : ''}`;
}
