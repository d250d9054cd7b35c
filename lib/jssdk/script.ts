/** What `wx.config` receives. */
export interface WxConfig {
  debug: boolean;
  appId: string;
  timestamp: number;
  nonceStr: string;
  signature: string;
  jsApiList: string[];
  openTagList?: string[];
}

const UNSAFE = /[<>&\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * JSON that is also safe inside a `<script>` element and in any JavaScript source: `<`, `>`, `&`
 * (no `</script>` or `<!--`) and U+2028/U+2029 (line terminators in older engines) are escaped.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => ESCAPES[c]!);
}

const NO_WX =
  'express-wxauth: wx is not defined - load jweixin (https://res.wx.qq.com/open/js/jweixin-1.6.0.js) before /weixin-config.js';

/**
 * Renders `/weixin-config.js` bodies. The parts that never change (appId, API lists, the
 * guard) are serialised once; per request only the timestamp, nonce and signature — hex and
 * digits by construction — are concatenated in.
 */
export function createScriptRenderer(config: { appId: string; jsApiList: string[]; openTagList?: string[] }) {
  const lists = ',"jsApiList":' + scriptJson(config.jsApiList) + (config.openTagList ? ',"openTagList":' + scriptJson(config.openTagList) : '');
  const head = 'if (typeof wx === "undefined") console.error(' + scriptJson(NO_WX) + ');\nelse wx.config({"debug":';
  const appId = ',"appId":' + scriptJson(config.appId) + ',"timestamp":';
  return {
    config(debug: boolean, timestamp: number, nonceStr: string, signature: string): string {
      return head + (debug ? 'true' : 'false') + appId + timestamp + ',"nonceStr":"' + nonceStr + '","signature":"' + signature + '"' + lists + '});\n';
    },
    /** A script that reports the problem in the browser console and configures nothing. */
    error(message: string): string {
      return 'console.error(' + scriptJson('express-wxauth: /weixin-config.js: ' + message) + ');\n';
    },
  };
}
