import type { ApiClient } from '../client/types';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import { parseOrigin } from './page-url';
import type { WxConfig } from './script';
import { signJssdk, stripFragment } from './sign';

/** What `wx.config` needs besides the API lists. */
export interface JssdkSignature {
  appId: string;
  /** Seconds since the epoch. */
  timestamp: number;
  nonceStr: string;
  signature: string;
}

/** `router.jssdk`: sign page URLs with the shared jsapi_ticket. */
export interface JssdkApi {
  /** Sign `url` (fragment dropped): `{ appId, timestamp, nonceStr, signature }`. The URL is trusted: check it first if it comes from a request. */
  sign(url: string): Promise<JssdkSignature>;
  /** The whole `wx.config({...})` argument for `url`, with the configured `jsApiList` / `openTagList`. */
  config(url: string, options?: { debug?: boolean }): Promise<WxConfig>;
}

export interface JssdkSettings {
  appId: string;
  jsApiList: string[];
  openTagList?: string[];
  debug: boolean;
}

const NONCE_BYTES = 8;

/** The signing core: no Express, only the client (ticket), the clock and the nonce source. */
export function createJssdkSigner(ctx: WxContext, client: ApiClient, settings: JssdkSettings) {
  const { appId } = settings;
  /** `nonceStr`: 16 hex characters of CSPRNG output. */
  const nonce = () => ctx.randomHex(NONCE_BYTES);

  /** Sign with a ticket already in hand (the hot path: synchronous, no I/O). */
  const signWith = (ticket: string, url: string): JssdkSignature => {
    const nonceStr = nonce();
    const timestamp = Math.floor(ctx.now() / 1000);
    return { appId, timestamp, nonceStr, signature: signJssdk({ ticket, nonceStr, timestamp, url }) };
  };

  const ticket = (): Promise<string> | string => client.cachedJsapiTicket(appId) ?? client.getJsapiTicket(appId);

  const api: JssdkApi = {
    async sign(url) {
      if (typeof url !== 'string' || !parseOrigin(url)) {
        throw new WxAuthError('args_error', 'the URL to sign must be an absolute http(s) URL', { field: 'url' });
      }
      return signWith(await ticket(), stripFragment(url));
    },
    async config(url, options = {}) {
      const signed = await api.sign(url);
      return {
        debug: options.debug ?? settings.debug,
        ...signed,
        jsApiList: settings.jsApiList,
        ...(settings.openTagList ? { openTagList: settings.openTagList } : {}),
      };
    },
  };
  return { api, signWith, ticket };
}
