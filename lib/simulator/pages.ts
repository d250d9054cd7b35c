import { createHash } from 'node:crypto';
import type { SimApp } from './types';

/** HTML-escape text and attribute values (every value on these pages comes from a query string). */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The simulator's icon: WeChat green with "sim", so its tabs stand apart from the app's. */
export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#07c160"/><text x="16" y="21" font-size="12" font-family="Arial,sans-serif" font-weight="bold" text-anchor="middle" fill="#fff">sim</text></svg>';
/** `<link rel="icon">` with the icon inline: no extra request, on every host path. */
export const FAVICON_LINK = `<link rel="icon" href="data:image/svg+xml,${encodeURIComponent(FAVICON_SVG)}">`;

/** The payee on the cashier pages when a merchant has no `name` (WeChat shows a name, never the mch_id). */
export const DEFAULT_MERCHANT_NAME = '演示商户 (Demo merchant)';

/** A way back from an error page: the previous page, and the simulator's home. */
export const BACK_LINKS = '<p class="back"><a id="back" href="javascript:history.back()">返回 Back</a> · <a id="home" href="/">Simulator home</a></p>';

function layout(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>${FAVICON_LINK}
<style>
body{font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 3px #0002}
h1{font-size:18px;margin:0 0 12px}.sim{font-size:12px;color:#888;margin-top:18px}
button{font-size:16px;padding:10px 18px;border-radius:6px;border:0;cursor:pointer;margin:6px 6px 0 0}
.primary{background:#07c160;color:#fff}.secondary{background:#f2f2f2;color:#06ae56}
input{font-size:15px;padding:6px 8px;border:1px solid #ccc;border-radius:4px;width:160px}
.error{color:#fa5151}code{background:#f5f5f5;padding:1px 4px;border-radius:3px}.gloss{color:#555}
a{color:#576b95}pre{background:#f5f5f5;padding:8px;border-radius:4px;white-space:pre-wrap;word-break:break-all;font-size:12px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;font-size:13px}
/* Inside the WxLogin widget's 300×400 iframe: everything fits without scrolling. */
@media (max-width:360px){main{margin:0;padding:8px 12px;box-shadow:none;border-radius:0}#qrcode{width:120px;height:120px}
h1{font-size:15px;margin-bottom:4px}p{margin:4px 0}button{font-size:14px;padding:6px 10px}.sim{margin-top:4px}}
</style></head>
<body><main>${body}<p class="sim">WeChat simulator (express-wxauth) — not the real WeChat.</p></main>${script}</body></html>`;
}

/** The `snsapi_userinfo` consent page: one form, two submit buttons (Approve / Deny). */
export function consentPage(app: SimApp, fields: Record<string, string>, user: string): string {
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  return layout(
    `${app.name ?? app.appid} — WeChat authorization`,
    `<h1 id="app-name">${esc(app.name ?? app.appid)}</h1>
<p id="consent-text">requests your WeChat profile (nickname and avatar).</p>
<form id="consent" method="post" action="/connect/oauth2/authorize/confirm">${hidden}
<p><label>WeChat user <input id="user" name="user" value="${esc(user)}" autocomplete="off"></label></p>
<button id="approve" class="primary" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" class="secondary" type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

/** A QR-looking SVG, derived from the state so each login shows a different one. */
function fakeQr(seed: string): string {
  const bits = createHash('sha256').update(seed).digest();
  const cells: string[] = [];
  for (let y = 0; y < 21; y++) {
    for (let x = 0; x < 21; x++) {
      const finder = (x < 7 && y < 7) || (x > 13 && y < 7) || (x < 7 && y > 13);
      const on = finder
        ? Math.max(Math.abs((x % 14) - 3), Math.abs((y % 14) - 3)) !== 2
        : (bits[(y * 21 + x) % 32]! >> (x % 8)) & 1;
      if (on) cells.push(`<rect x="${x}" y="${y}" width="1" height="1"/>`);
    }
  }
  return `<svg id="qrcode" viewBox="-2 -2 25 25" width="200" height="200" role="img" aria-label="QR code"><rect x="-2" y="-2" width="25" height="25" fill="#fff"/><g fill="#000">${cells.join('')}</g></svg>`;
}

/**
 * The website-app QR page. "Scan and confirm" asks the simulator for the redirect (a code is
 * issued at that moment) and navigates the TOP window there, as WeChat does when the page is
 * embedded by the WxLogin widget — unless `self_redirect=true`, which navigates the frame itself.
 */
export function qrconnectPage(app: SimApp, fields: Record<string, string>, user: string, selfRedirect: boolean): string {
  const script = `<script>
(function () {
  var form = document.getElementById('scan');
  var status = document.getElementById('status');
  // A click handler, not 'submit': the WxLogin iframe is sandboxed without allow-forms, which
  // blocks form submission before any submit event; fetch + top navigation are allowed.
  document.getElementById('confirm').addEventListener('click', function (event) {
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: 'POST', body: body, headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.redirect) { status.textContent = data.error || 'Error'; return; }
        status.textContent = 'Confirmed. Redirecting…';
        if (${selfRedirect ? 'true' : 'false'}) window.location.href = data.redirect;
        else window.top.location.href = data.redirect;
      })
      .catch(function () { status.textContent = 'Network error'; });
  });
  document.getElementById('cancel').addEventListener('click', function () {
    status.textContent = 'Login cancelled on the phone.';
  });
})();
</script>`;
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  return layout(
    `${app.name ?? app.appid} — WeChat login`,
    `<h1 id="app-name">${esc(app.name ?? app.appid)}</h1>
<p>Scan with WeChat to log in.</p>${fakeQr(fields.state ?? app.appid)}
<form id="scan" method="post" action="/connect/qrconnect/confirm">${hidden}
<p><label>WeChat user <input id="user" name="user" value="${esc(user)}" autocomplete="off"></label></p>
<button id="confirm" class="primary" type="submit">Scan and confirm</button>
<button id="cancel" class="secondary" type="button">Cancel on phone</button>
</form><p id="status" role="status"></p>`,
    script,
  );
}

/** English for WeChat's authorize errors: what the Chinese text means and what to check. */
const ERROR_GLOSS: Record<number, string> = {
  10002: 'response_type must be "code".',
  10003: "redirect_uri's host is not one of the app's registered domains (网页授权域名 / 授权回调域).",
  10005: 'The app has no permission for this scope (official accounts: snsapi_base or snsapi_userinfo; website apps: snsapi_login).',
  10010: 'The scope parameter is missing.',
  10011: 'The redirect_uri parameter is missing.',
  10012: 'The appid parameter is missing.',
  10016: 'This is a website (open platform) AppID: official-account login needs the official account AppID.',
  40013: 'No app with this AppID is registered on the simulator.',
};

/** WeChat's error page for a bad authorize request ("redirect_uri 参数错误", errcode 10003, …), with an English gloss and a way back. */
export function errorPage(errcode: number, message: string): string {
  const gloss = ERROR_GLOSS[errcode] ?? 'WeChat refused the request.';
  return layout(
    'WeChat — error',
    `<h1 id="wx-error" class="error" data-errcode="${errcode}">${esc(message)}</h1><p class="gloss" id="gloss">${esc(gloss)}</p><p>errcode: <code id="errcode">${errcode}</code></p>${BACK_LINKS}`,
  );
}

/**
 * What WeChat shows when an official-account authorize link is opened outside the WeChat client
 * (a User-Agent without `MicroMessenger`).
 */
export function outsideWechatPage(): string {
  return layout(
    'WeChat — 请在微信客户端打开链接',
    `<h1 id="wx-error" class="error" data-errcode="outside-wechat">请在微信客户端打开链接</h1>
<p class="gloss" id="gloss">Open this link in the WeChat client. Official-account login (<code>/connect/oauth2/authorize</code>) works only in WeChat's built-in browser, and the simulator refuses it elsewhere, as WeChat does.</p>
<p>To try it from a desktop browser:</p>
<ul id="fixes"><li>open the page in WeChat (on a phone: start the simulator with <code>--host 0.0.0.0</code>), or</li>
<li>set a WeChat User-Agent (one containing <code>MicroMessenger</code>, e.g. Chrome DevTools → Network conditions), or</li>
<li>start the simulator with <code>allowMpOutsideWechat: true</code> (CLI: <code>--allow-mp-outside-wechat</code>).</li></ul>
<p>On a desktop, websites log in with the QR page (<code>/connect/qrconnect</code>) instead.</p>${BACK_LINKS}`,
  );
}

/**
 * The user's phone, for an official account (phone/scan.ts, phone/console.ts): scanning a follow
 * QR code and chatting with the account through its message server.
 */
const PHONE_LINKS = `<p>The phone: <a id="phone-scan-link" href="/sim/phone/scan">扫一扫 Scan</a> an official account's QR code (follow-to-login), or <a id="phone-console-link" href="/sim/phone/console">send the account a message</a> (its message server's reply shown as the chat).</p>`;

/** `GET /`: what a human running the example app sees when opening the simulator. */
export function homePage(apps: readonly SimApp[], base: string): string {
  const rows = apps
    .map((a) => `<tr><td>${esc(a.name ?? '')}</td><td><code>${esc(a.appid)}</code></td><td>${esc(a.type)}</td></tr>`)
    .join('');
  const endpoints = [
    '/connect/oauth2/authorize',
    '/connect/qrconnect',
    '/sns/oauth2/access_token',
    '/sns/oauth2/refresh_token',
    '/sns/userinfo',
    '/sns/auth',
    '/sns/jscode2session',
    '/cgi-bin/token',
    '/cgi-bin/stable_token',
    '/cgi-bin/ticket/getticket',
    '/cgi-bin/message/template/send',
    '/cgi-bin/qrcode/create',
    '/cgi-bin/showqrcode',
    '/cgi-bin/user/info',
    '/pay/* (pay host)',
  ]
    .map((p) => `<li><code>${esc(p)}</code></li>`)
    .join('');
  return layout(
    'WeChat simulator',
    `<h1>WeChat simulator</h1>
<p>Open, api and pay hosts at <code id="base-url">${esc(base)}</code>.</p>
<table id="apps"><tr><th>name</th><th>appid</th><th>type</th></tr>${rows}</table>
<p>Pick the simulated user with <code>?sim_user=bob</code> or the <code>wxsim_user</code> cookie (default <code>alice</code>).</p>
<p><a id="codes-link" href="/sim/codes">Get a login code</a> for a native app or mini program (what the OpenSDK or <code>wx.login()</code> hands your client).</p>${apps.some((a) => a.type === 'mp') ? PHONE_LINKS : ''}
<ul>${endpoints}</ul>`,
  );
}

/** A small avatar for `headimgurl`, so profile pages have something to show offline. */
export function avatarSvg(user: string): string {
  const hue = createHash('sha256').update(user).digest()[0]! * 1.4;
  const letter = esc((user[0] ?? '?').toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132"><rect width="132" height="132" fill="hsl(${hue.toFixed(0)},55%,55%)"/><text x="66" y="88" font-size="64" text-anchor="middle" fill="#fff" font-family="Arial,sans-serif">${letter}</text></svg>`;
}
