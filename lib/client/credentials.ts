import { WxAuthError } from '../errors';
import { mobileApps, type AppCredentials, type ResolvedOptions } from '../options';

/**
 * Every app whose basic access token we may fetch, by appid. The same appid configured twice
 * (e.g. as `mp` and as a mobile app) keeps the first secret found, in the order below.
 */
export function collectCredentials(options: ResolvedOptions): Map<string, AppCredentials> {
  const apps = new Map<string, AppCredentials>();
  const candidates = [options.mp, options.qrcode, ...mobileApps(options), options.miniprogram];
  for (const app of candidates) if (app && !apps.has(app.appid)) apps.set(app.appid, app);
  return apps;
}

/**
 * The app used when a call names none: `jssdk.appid`, else `mp.appid`, else the only configured
 * app. Undefined when that is ambiguous (callers then must pass an appid).
 */
export function defaultAppid(options: ResolvedOptions, apps: Map<string, AppCredentials>): string | undefined {
  if (options.jssdk?.appid) return options.jssdk.appid;
  if (options.mp) return options.mp.appid;
  return apps.size === 1 ? [...apps.keys()][0] : undefined;
}

/** The credentials of `appid`, or a `config_error` that names the appid (never the secret). */
export function requireCredentials(apps: Map<string, AppCredentials>, appid: string): AppCredentials {
  const app = apps.get(appid);
  if (!app) {
    throw new WxAuthError(
      'config_error',
      `no secret is configured for app ${appid}: add it to mp, qrcode, mobile or miniprogram, or pass getAccessToken`,
      { field: 'appid' },
    );
  }
  return app;
}
