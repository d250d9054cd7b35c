import type { Request, Response } from 'express';
import type { SurfaceDeps } from '../deps';
import { WxAuthError } from '../errors';
import type { ResolveUserInput } from '../options';
import type { WxIdentity } from './types';

/**
 * The last step every login shares (browser, mobile, mini program): refuse snapshot users,
 * bind the app's own user through `resolveUser`, then persist the identity (session
 * regenerated / cookie set / JWT signed). Returns the identity and, in JWT mode, the token.
 */
export async function completeLogin(
  deps: SurfaceDeps,
  req: Request,
  res: Response,
  input: ResolveUserInput & { isSnapshotUser?: boolean },
): Promise<{ identity: WxIdentity; token?: string }> {
  refuseSnapshotUser(input.isSnapshotUser);
  const identity: WxIdentity = {
    openid: input.openid,
    ...(input.unionid ? { unionid: input.unionid } : {}),
    action: input.action,
    appid: input.appid,
  };
  if (deps.options.resolveUser) {
    const user = await deps.options.resolveUser({ ...input, ...(input.unionid ? { unionid: input.unionid } : {}) });
    if (user !== undefined && user !== null) identity.user = user;
  }
  const { token } = await deps.identity.login(req, res, identity);
  req.wxauth = identity;
  return token === undefined ? { identity } : { identity, token };
}

/** Throws `snapshot_user` for a "snapshot page" virtual user (`is_snapshotuser: 1`). Shared with the Passport strategy. */
export function refuseSnapshotUser(isSnapshotUser: boolean | undefined): void {
  if (isSnapshotUser) {
    // A "snapshot page" virtual user: WeChat's docs say never to bind or create an account for it.
    throw new WxAuthError('snapshot_user', 'this is a snapshot-page virtual user; open the page in WeChat to log in');
  }
}
