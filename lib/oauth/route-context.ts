import type { Request, RequestHandler } from 'express';
import type { SurfaceDeps } from '../deps';
import { WxAuthError } from '../errors';
import { PendingLogins, routerUrl } from './http';
import { PATHS } from './paths';
import { createSealer } from './sealed-cookie';
import { sealingSecrets } from './state';

/**
 * What every OAuth route handler shares: the surface's deps, where the router is mounted, the
 * pending browser logins and our callback URL. Built once per `wxauth()` router.
 */
export interface OAuthRouteContext extends SurfaceDeps {
  /** Where the app mounted us: the `mountPath` option when given, else the last request's `baseUrl`. */
  mountPath(): string;
  /** The sealed-cookie pending logins; `args_error` when neither mp nor qrcode is configured. */
  pendingLogins(): PendingLogins;
  /** Our callback URL, absolute (WeChat's `redirect_uri`). */
  callbackUrl(req: Request): string;
  /** Runs first on every request to the router: learns the mount path (or warns once that the option differs). */
  readonly watchMountPath: RequestHandler;
}

export function createRouteContext(deps: SurfaceDeps): OAuthRouteContext {
  const { ctx, options } = deps;
  let mountPath = options.mountPath ?? '';
  let warnedMount = false;
  // Pending browser logins live in a sealed cookie, not in the store (state.ts). Only browser
  // logins need it: a router with only mobile / mini program / pay never builds the key.
  const pending = options.mp || options.qrcode ? new PendingLogins(ctx, options, createSealer(sealingSecrets(options))) : undefined;

  const watchMountPath: RequestHandler = (req, _res, next) => {
    if (options.mountPath === undefined) mountPath = req.baseUrl;
    else if (req.baseUrl !== options.mountPath && !warnedMount) {
      warnedMount = true; // once: a misconfiguration, not an event per request
      ctx.logger.warn('"mountPath" differs from where the router is mounted; redirect_uri and notify URLs use "mountPath"', { mountPath: options.mountPath, mountedAt: req.baseUrl });
    }
    next();
  };

  return {
    ...deps,
    mountPath: () => mountPath,
    pendingLogins() {
      if (!pending) throw new WxAuthError('args_error', 'browser login is not configured (configure "mp" or "qrcode")');
      return pending;
    },
    callbackUrl: (req) => routerUrl(req, options, mountPath) + PATHS.callback,
    watchMountPath,
  };
}
