import type { WxContext } from '../context';
import type { CallOptions, WechatJson } from '../wechat/client';

/**
 * What each group of server APIs (`lib/client/*-api.ts`) is built on: the injected I/O, the app a
 * call is for, and the shared basic access token with its heal-and-retry-once on 40001 / 42001.
 */
export interface ClientCore {
  ctx: WxContext;
  /** `appid`, else the default app (`jssdk.appid`, `mp.appid`, the only app); `config_error` when none. */
  appidOf(appid: string | undefined): string;
  /** `appid`, else the configured mini program's; `config_error` when there is none. */
  miniprogramAppidOf(appid: string | undefined): string;
  /** Run `call` with the app's access token; on an invalid-token errcode: drop it, fetch once, retry once. */
  withToken<T>(appid: string, call: (token: string) => Promise<T>): Promise<T>;
  /** POST JSON to the api host with `access_token` of `appid` in the query, through `withToken`. */
  post<T extends WechatJson = WechatJson>(appid: string, path: string, body: unknown, options?: CallOptions): Promise<T>;
}
