import type { TemplateApi } from './template-api';
import type { CustomApi } from './custom-api';
import type { SubscribeApi } from './subscribe-api';
import type { PhoneApi } from './phone-api';
import type { SecurityApi } from './security-api';
import type { QrcodeApi } from './qrcode-api';
import type { WxacodeApi } from './wxacode-api';
import type { LinksApi } from './links-api';
import type { ShippingApi } from './shipping-api';

/**
 * `router.client`: the shared basic access token, jsapi_ticket and the server APIs that use them.
 * Each group of APIs is its own interface, in its own `*-api.ts` file.
 */
export interface ApiClient extends TemplateApi, CustomApi, SubscribeApi, QrcodeApi, PhoneApi, SecurityApi, WxacodeApi, LinksApi {
  /** The shipping-info service of a mini program (发货信息管理). */
  readonly shipping: ShippingApi;
  /** The basic access token of `appid` (default: the JSSDK / mp app), from the shared cache. */
  getAccessToken(appid?: string): Promise<string>;
  /** The jsapi_ticket of `appid`, from the shared cache. */
  getJsapiTicket(appid?: string): Promise<string>;
  /**
   * The jsapi_ticket of `appid` when this process already holds a valid copy, without any I/O
   * (the `/weixin-config.js` hot path); `undefined` means "call `getJsapiTicket`".
   */
  cachedJsapiTicket(appid?: string): string | undefined;
  /** The app used when a call names none: `jssdk.appid`, else `mp.appid`, else the only configured app. */
  readonly defaultAppid: string | undefined;
  /** Drop cached token and ticket of `appid` (all apps when omitted), in this process and in the store. */
  invalidate(appid?: string): Promise<void>;
}

export interface TemplateMessage {
  /** The recipient's openid (for the app that sends). */
  touser: string;
  /** The template's id from the official account's template library. */
  templateId: string;
  /**
   * Each template key's value, WeChat's `{ key: { value } }`: `{ character_string1: { value: 'A-42' },
   * thing2: { value: 'Green tea' } }`; see `tplData`. Typed keys are checked against WeChat's value rules.
   */
  data: Record<string, { value: string; /** @deprecated WeChat shows no colours since 2023-05-04: sent, not shown. */ color?: string }>;
  /** Page opened when the user taps the message. */
  url?: string;
  /** Mini program page opened instead of `url` (when the user's WeChat supports it). */
  miniprogram?: { appid: string; pagepath?: string };
}
