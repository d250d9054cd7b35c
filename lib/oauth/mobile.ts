import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import { mobileApps, type AppCredentials, type ResolvedOptions } from '../options';
import { exchangeCode, fetchUserinfo, type ExchangeResult } from './exchange';
import type { WechatUserinfo } from '../hooks';

const CODE_FORMAT = /^[\x21-\x7e]{1,512}$/;

/** The mobile app a request names by `appid`; the only one when there is one and none is named. */
export function pickMobileApp(options: ResolvedOptions, appid: unknown): AppCredentials {
  const apps = mobileApps(options);
  if (!apps.length) throw new WxAuthError('args_error', 'mobile login is not configured');
  if (appid === undefined || appid === null || appid === '') {
    if (apps.length === 1) return apps[0]!;
    throw new WxAuthError('args_error', '"appid" is required: several mobile apps are configured');
  }
  const app = typeof appid === 'string' ? apps.find((a) => a.appid === appid) : undefined;
  if (!app) throw new WxAuthError('args_error', '"appid" is not a configured mobile app');
  return app;
}

/**
 * Native-app login (OpenSDK `SendAuth` gives the app a code, which it posts to us): exchange the
 * code with that app's secret — once, never retried — and read the profile (mobile codes carry
 * `snsapi_userinfo`).
 */
export async function mobileLogin(ctx: WxContext, app: AppCredentials, code: unknown): Promise<ExchangeResult & { userinfo?: WechatUserinfo }> {
  if (code === undefined || code === null || code === '') throw new WxAuthError('args_error', '"code" is required');
  if (typeof code !== 'string' || !CODE_FORMAT.test(code)) throw new WxAuthError('args_error', '"code" is malformed');
  const result = await exchangeCode(ctx, app, code);
  if (result.isSnapshotUser) return result;
  const userinfo = await fetchUserinfo(ctx, result.access);
  if (!result.access.unionid && typeof userinfo.unionid === 'string' && userinfo.unionid) result.access.unionid = userinfo.unionid;
  return { ...result, userinfo };
}
