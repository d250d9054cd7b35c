import type { Request, Response } from 'express';
import type { WxAuthError } from './errors';
import type { LoginAction, WxIdentity } from './identity/types';

/** OAuth tokens of one login, as WeChat returned them — never the app secret. */
export interface OAuthAccess {
  openid: string;
  unionid?: string;
  scope: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** `/sns/userinfo` profile. */
export interface WechatUserinfo {
  openid: string;
  unionid?: string;
  nickname?: string;
  sex?: number;
  province?: string;
  city?: string;
  country?: string;
  headimgurl?: string;
  privilege?: string[];
  [field: string]: unknown;
}

export interface SuccessContext {
  action: LoginAction;
  scope: string;
  access: OAuthAccess;
  userinfo?: WechatUserinfo;
  /** Where the user goes next (already checked against the allowed targets). */
  next: string;
  /** What was stored for the session / cookie / token. */
  identity: WxIdentity;
  /**
   * The user pressed Deny on the consent page of an upgrade round (`{ upgrade: 'snsapi_userinfo' }`):
   * the base login stands and the user goes on to `next`. No code was exchanged in that round, so
   * `access` carries only the openid / unionid and `scope: 'snsapi_base'` (empty tokens) and there is no `userinfo`.
   */
  upgradeRefused?: boolean;
}

/**
 * Runs after a successful browser login. It may send its own response; if it does not, the
 * router redirects to `next`. Returning `{ upgrade: 'snsapi_userinfo' }` after an mp
 * `snsapi_base` login sends the user round again for the profile.
 */
export type SuccessHandler = (
  req: Request,
  res: Response,
  context: SuccessContext,
) => void | { upgrade?: 'snsapi_userinfo' } | Promise<void | { upgrade?: 'snsapi_userinfo' }>;

export interface ErrorContext {
  error: WxAuthError;
  action?: LoginAction;
  next: string;
  cause?: unknown;
}

/** Runs when a login fails. If it sends nothing, the router answers a 4xx page / JSON. */
export type ErrorHandler = (req: Request, res: Response, context: ErrorContext) => void | Promise<void>;
