import { createHash } from 'node:crypto';

export interface JssdkSignInput {
  /** The app's jsapi_ticket. */
  ticket: string;
  /** Random string, repeated as `nonceStr` in `wx.config`. */
  nonceStr: string;
  /** Seconds since the epoch, repeated as `timestamp` in `wx.config`. */
  timestamp: number | string;
  /** The page's full URL; anything from `#` on is dropped here. */
  url: string;
}

/**
 * The JSSDK signature: `sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…")`, keys in that
 * (ASCII) order, values raw — the URL exactly as the browser has it, query included, not
 * re-encoded, without the `#fragment` (WeChat's "JS-SDK 使用权限签名算法", appendix 1).
 */
export function signJssdk(input: JssdkSignInput): string {
  const base = 'jsapi_ticket=' + input.ticket + '&noncestr=' + input.nonceStr + '&timestamp=' + input.timestamp + '&url=' + stripFragment(input.url);
  return createHash('sha1').update(base, 'utf8').digest('hex');
}

/** The URL without its `#fragment` (the part the browser never sends and WeChat does not sign). */
export function stripFragment(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}
