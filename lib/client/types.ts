import type { TemplateApi } from './template-api';

/**
 * `router.client`: the shared basic access token, jsapi_ticket and the server APIs that use them.
 * Each group of APIs is its own interface, in its own `*-api.ts` file.
 */
export interface ApiClient extends TemplateApi {
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
  /** Field values, e.g. `{ first: { value: 'Paid' }, remark: { value: 'Thanks', color: '#173177' } }`; see `tplData`. */
  data: Record<string, { value: string; color?: string }>;
  /** Page opened when the user taps the message. */
  url?: string;
  /** Mini program page opened instead of `url` (when the user's WeChat supports it). */
  miniprogram?: { appid: string; pagepath?: string };
}
