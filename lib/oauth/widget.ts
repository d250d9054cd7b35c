/**
 * `/weixin-login.js`: the embedded QR code. A tiny widget that puts WeChat's `qrconnect` page in
 * an iframe, with the options of WeChat's `wxLogin.js` (id, style, href, self_redirect). We ship
 * our own instead of loading WeChat's script so the iframe points at the configured `open`
 * endpoint — the simulator in development, WeChat in production — and so no third-party script
 * runs on the page.
 *
 * The script carries no state. Any page may include a script (and a page on a sibling subdomain
 * is "same-site" for cookies), so a state inside it, or in an iframe URL it builds, could be
 * read by that page and used to log the visitor in as someone else. Instead the script fetches
 * the iframe URL from `GET <router>/oauth/wechat/qrconnect` with a custom header: a browser
 * sends that header cross-origin only after a CORS preflight, which we never answer.
 */
export interface WidgetConfig {
  /** Element id to render into. */
  id: string;
  /** Root-relative URL of the qrconnect endpoint, with its query (next, style, href, self_redirect). */
  endpoint: string;
}

/** The iframe URL of one QR login (WeChat's qrconnect page in "jssdk" mode). */
export interface FrameConfig {
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

/** The header the widget's fetch sends (a "non-simple" header: cross-origin it needs a preflight). */
export const WIDGET_HEADER = 'X-WxAuth-Widget';

/** Safe to embed in a `<script>` or served as JavaScript: no `</script>`, no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The qrconnect iframe URL, as WeChat's `wxLogin.js` builds it. */
export function widgetFrameUrl(open: string, config: FrameConfig): string {
  const redirect = config.selfRedirect === true ? 'true' : config.selfRedirect === false ? 'false' : 'default';
  let src =
    `${open}/connect/qrconnect?appid=${encodeURIComponent(config.appid)}&scope=snsapi_login` +
    `&redirect_uri=${encodeURIComponent(config.redirectUri)}&state=${encodeURIComponent(config.state)}` +
    `&login_type=jssdk&self_redirect=${redirect}&styletype=&sizetype=&bgcolor=&rst=`;
  src += `&style=${encodeURIComponent(config.style ?? 'black')}`;
  if (config.href) src += `&href=${encodeURIComponent(config.href)}`;
  return src;
}

/** The widget script (the same for every load: it holds no state). */
export function widgetScript(open: string, config: WidgetConfig): string {
  return `/* express-wxauth: WeChat QR login */
(function (w, d) {
  "use strict";
  var OPEN = ${jsonForScript(open)};
  var ENDPOINT = ${jsonForScript(config.endpoint)};
  var ID = ${jsonForScript(config.id)};
  function frame(el, src) {
    var f = d.createElement("iframe");
    f.src = src;
    f.frameBorder = "0";
    f.allowTransparency = "true";
    f.scrolling = "no";
    f.width = "300px";
    f.height = "400px";
    f.title = "WeChat QR login";
    el.innerHTML = "";
    el.appendChild(f);
  }
  function render() {
    var el = d.getElementById(ID);
    if (!el) return false;
    w.fetch(ENDPOINT, { credentials: "same-origin", cache: "no-store", headers: { "${WIDGET_HEADER}": "1", "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        // Only ever WeChat's (the configured open host's) qrconnect page.
        if (!body || typeof body.url !== "string" || body.url.indexOf(OPEN + "/connect/qrconnect?") !== 0) throw new Error("unexpected answer");
        frame(el, body.url);
      })
      .catch(function (e) {
        if (w.console) w.console.error("express-wxauth: the QR login could not be prepared: " + (e && e.message));
      });
    return true;
  }
  if (!render()) d.addEventListener("DOMContentLoaded", render);
})(window, document);
`;
}
