import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { ResolvedOptions } from '../options';
import { TOKEN_INVALID_ERRCODES } from '../wechat/errcodes';
import { collectCredentials, defaultAppid, requireCredentials } from './credentials';
import { fetchAccessToken, fetchJsapiTicket, type Fetched } from './fetch';
import type { ClientCore } from './core';
import { templateApi } from './template-api';
import { customApi } from './custom-api';
import { subscribeApi } from './subscribe-api';
import { phoneApi } from './phone-api';
import { securityApi } from './security-api';
import { qrcodeApi } from './qrcode-api';
import { wxacodeApi } from './wxacode-api';
import { linksApi } from './links-api';
import { shippingApi } from './shipping-api';
import { SharedCache, type SharedCacheTuning } from './token-cache';
import type { ApiClient } from './types';

export type { ApiClient, TemplateMessage } from './types';
export type { CustomApi, CustomMessage } from './custom-api';
export { tplData, type TemplateField, type TplDataOptions } from './template';
export type { MiniprogramState, SubscribeApi, SubscribeLang, SubscribeMessage, SubscribeNotice } from './subscribe-api';
export type { SharedCacheTuning } from './token-cache';
export type { CreateQrcodeInput, FollowerInfo, Qrcode, QrcodeApi } from './qrcode-api';
export type { WxacodeApi, WxacodeForPathInput, WxacodeInput, WxacodeStyle } from './wxacode-api';
export type { LinkExpiry, LinkTarget, LinksApi, ShortLinkInput, UrlLinkInput, UrlSchemeInput } from './links-api';

/**
 * `router.client`: the basic access token and jsapi_ticket of each app, shared by every process
 * through `ctx.store`, and the calls that use them. Any call made with the token that WeChat
 * answers with 40001 / 40014 / 42001 drops that token (only if it is still the cached one),
 * fetches a new one once and retries once; -1 is retried with bounded backoff by the WeChat client.
 */
export function createApiClient(ctx: WxContext, options: ResolvedOptions, tuning: SharedCacheTuning = {}): ApiClient {
  const apps = collectCredentials(options);
  const fallbackAppid = defaultAppid(options, apps);
  const endpoint = options.tokenEndpoint ?? 'stable_token';
  const external = options.getAccessToken;
  const deps = { store: ctx.store, now: ctx.now, logger: ctx.logger };
  const tokens = new SharedCache('token', deps, tuning);
  const tickets = new SharedCache('ticket', deps, tuning);
  // One fetcher per app, made once: the hot path allocates no closure.
  const ticketFetchers = new Map<string, () => Promise<Fetched>>();

  const appidOf = (appid: string | undefined): string => {
    const id = appid ?? fallbackAppid;
    if (!id) throw new WxAuthError('config_error', 'no default app: pass an appid (or configure mp or jssdk.appid)', { field: 'appid' });
    return id;
  };

  const accessToken = async (appid: string): Promise<string> => {
    if (!external) {
      const app = requireCredentials(apps, appid);
      return tokens.get(appid, () => fetchAccessToken(ctx.http, app, endpoint));
    }
    // Another system owns the token (and its cache): ask it every time, never call /cgi-bin/token.
    let token: unknown;
    try {
      token = await external(appid);
    } catch (cause) {
      throw new WxAuthError('token_error', 'the getAccessToken option failed', { status: 502, cause });
    }
    if (typeof token !== 'string' || !token) throw new WxAuthError('token_error', 'the getAccessToken option returned no token', { status: 502 });
    return token;
  };

  /** Run `call` with the token; on an invalid-token errcode: drop it, fetch once, retry once. */
  const withToken = async <T>(appid: string, call: (token: string) => Promise<T>): Promise<T> => {
    const token = await accessToken(appid);
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof WxAuthError) || !TOKEN_INVALID_ERRCODES.has(Number(error.errcode))) throw error;
      if (!external) await tokens.invalidate(appid, token, true);
      const fresh = await accessToken(appid);
      // The external owner handed back the token WeChat just refused: a retry cannot help.
      if (external && fresh === token) throw error;
      ctx.logger.warn('access token refused by WeChat: fetched a new one and retried', { appid, errcode: error.errcode });
      return call(fresh);
    }
  };

  const ticketFetcher = (appid: string): (() => Promise<Fetched>) => {
    let fetcher = ticketFetchers.get(appid);
    if (!fetcher) {
      fetcher = () => withToken(appid, (token) => fetchJsapiTicket(ctx.http, token));
      ticketFetchers.set(appid, fetcher);
    }
    return fetcher;
  };

  const core: ClientCore = {
    ctx,
    appidOf,
    miniprogramAppidOf: (appid) => {
      const id = appid ?? options.miniprogram?.appid;
      if (!id) throw new WxAuthError('config_error', 'no mini program: pass an appid (or configure miniprogram)', { field: 'appid' });
      return id;
    },
    withToken,
    post: (appid, path, body, callOptions) => withToken(appid, (token) => ctx.http.apiPost(path, { access_token: token }, body, callOptions)),
  };

  const knownAppids = (): string[] => [...new Set([...apps.keys(), ...(fallbackAppid ? [fallbackAppid] : [])])];

  return {
    defaultAppid: fallbackAppid,
    getAccessToken: async (appid) => accessToken(appidOf(appid)),
    getJsapiTicket: async (appid) => {
      const id = appidOf(appid);
      return tickets.get(id, ticketFetcher(id));
    },
    cachedJsapiTicket: (appid) => {
      const id = appid ?? fallbackAppid;
      return id ? tickets.peek(id, ticketFetcher(id)) : undefined;
    },
    async invalidate(appid) {
      for (const id of appid ? [appid] : knownAppids()) {
        if (!external) await tokens.invalidate(id);
        await tickets.invalidate(id);
      }
    },
    // Each group of server APIs, built on the shared token (see core.ts).
    ...templateApi(core),
    ...customApi(core),
    ...subscribeApi(core),
    ...phoneApi(core),
    ...securityApi(core),
    ...qrcodeApi(core),
    ...wxacodeApi(core),
    ...linksApi(core),
    ...shippingApi(core),
  };
}
