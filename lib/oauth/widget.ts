/**
 * `/weixin-login.js`: the embedded QR code. A tiny WxLogin-compatible widget (same options as
 * WeChat's `wxLogin.js`: id, appid, scope, redirect_uri (already encoded), state, style, href,
 * self_redirect) that puts WeChat's `qrconnect` page in an iframe. We ship our own instead of
 * loading WeChat's script so the iframe points at the configured `open` endpoint — the simulator
 * in development, WeChat in production — and so no third-party script runs on the page.
 */
export interface WidgetConfig {
  /** Element id to render into. */
  id: string;
  appid: string;
  /** Our callback URL (not yet encoded). */
  redirectUri: string;
  state: string;
  /** `black` (default) or `white`. */
  style?: string;
  /** An https CSS URL for WeChat to apply inside the iframe. */
  href?: string;
  /** `true` keeps the redirect inside the iframe; default navigates the top window. */
  selfRedirect?: boolean;
}

/** Safe to embed in a `<script>` or served as JavaScript: no `</script>`, no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The widget script for one page load (one fresh state). */
export function widgetScript(open: string, config: WidgetConfig): string {
  const options = {
    id: config.id,
    appid: config.appid,
    scope: 'snsapi_login',
    redirect_uri: encodeURIComponent(config.redirectUri),
    state: config.state,
    style: config.style ?? 'black',
    href: config.href ?? '',
    ...(config.selfRedirect === undefined ? {} : { self_redirect: config.selfRedirect }),
  };
  return `/* express-wxauth: WeChat QR login (WxLogin-compatible) */
(function (w, d) {
  "use strict";
  var OPEN = ${jsonForScript(open)};
  var options = ${jsonForScript(options)};
  function WxLogin(a) {
    var redirect = a.self_redirect === true ? "true" : a.self_redirect === false ? "false" : "default";
    var src = OPEN + "/connect/qrconnect?appid=" + encodeURIComponent(a.appid) +
      "&scope=" + encodeURIComponent(a.scope) + "&redirect_uri=" + a.redirect_uri +
      "&state=" + encodeURIComponent(a.state) + "&login_type=jssdk&self_redirect=" + redirect +
      "&styletype=&sizetype=&bgcolor=&rst=";
    if (a.style) src += "&style=" + encodeURIComponent(a.style);
    if (a.href) src += "&href=" + encodeURIComponent(a.href);
    var frame = d.createElement("iframe");
    frame.src = src;
    frame.frameBorder = "0";
    frame.allowTransparency = "true";
    frame.scrolling = "no";
    frame.width = "300px";
    frame.height = "400px";
    frame.title = "WeChat QR login";
    var el = d.getElementById(a.id);
    if (!el) return;
    el.innerHTML = "";
    el.appendChild(frame);
  }
  if (typeof w.WxLogin !== "function") w.WxLogin = WxLogin;
  function render() {
    if (!d.getElementById(options.id)) return false;
    new WxLogin(options);
    return true;
  }
  if (!render()) d.addEventListener("DOMContentLoaded", render);
})(window, document);
`;
}
