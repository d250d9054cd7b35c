import type { Request, Response } from 'express';

/** How the user logged in (`follow`: scanned the official account's QR code on a desktop page). */
export type LoginAction = 'mp' | 'qrcode' | 'mobile' | 'miniprogram' | 'follow';

/** Who is logged in: what `req.wxauth` carries after login. Never holds a token or secret. */
export interface WxIdentity {
  openid: string;
  unionid?: string;
  action: LoginAction;
  appid: string;
  /** What `resolveUser` returned for this login, if configured. */
  user?: unknown;
}

/**
 * Where the identity lives between requests: the express-session session, a signed cookie,
 * or a JWT handed to the client. One implementation per `storage` option.
 */
export interface IdentityStorage {
  readonly kind: 'session' | 'cookie' | 'jwt';
  /** Log in: regenerate the session / set the cookie / sign a token (returned for JWT). */
  login(req: Request, res: Response, identity: WxIdentity): Promise<{ token?: string }>;
  /** The identity carried by this request, if any (verified). */
  read(req: Request): Promise<WxIdentity | undefined>;
  logout(req: Request, res: Response): Promise<void>;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the wxauth router on every request after login. */
    wxauth?: WxIdentity;
  }
}
