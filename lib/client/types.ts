/** `router.client`: the shared basic access token, jsapi_ticket and the APIs that use them. */
export interface ApiClient {
  /** The basic access token of `appid` (default: the JSSDK / mp app), from the shared cache. */
  getAccessToken(appid?: string): Promise<string>;
  /** The jsapi_ticket of `appid`, from the shared cache. */
  getJsapiTicket(appid?: string): Promise<string>;
  /** Drop cached token and ticket of `appid` (all apps when omitted). */
  invalidate(appid?: string): Promise<void>;
  /** Send a template message; resolves with WeChat's `msgid`. */
  sendTemplate(message: TemplateMessage, appid?: string): Promise<{ msgid: number }>;
}

export interface TemplateMessage {
  touser: string;
  templateId: string;
  data: Record<string, { value: string; color?: string }>;
  url?: string;
  miniprogram?: { appid: string; pagepath?: string };
}
