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

/** Defined next to `tplData` (template.ts), which builds its `data`. */
export type { TemplateMessage } from './template';
