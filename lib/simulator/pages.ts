import { createHash } from 'node:crypto';
import type { SimApp } from './types';

/** HTML-escape text and attribute values (every value on these pages comes from a query string). */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 3px #0002}
h1{font-size:18px;margin:0 0 12px}.sim{font-size:12px;color:#888;margin-top:18px}
button{font-size:16px;padding:10px 18px;border-radius:6px;border:0;cursor:pointer;margin:6px 6px 0 0}
.primary{background:#07c160;color:#fff}.secondary{background:#f2f2f2;color:#06ae56}
input{font-size:15px;padding:6px 8px;border:1px solid #ccc;border-radius:4px;width:160px}
.error{color:#fa5151}code{background:#f5f5f5;padding:1px 4px;border-radius:3px}
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

/** WeChat's error page for a bad authorize request ("redirect_uri 参数错误", errcode 10003, …). */
export function errorPage(errcode: number, message: string): string {
  return layout(
    'WeChat — error',
    `<h1 id="wx-error" class="error" data-errcode="${errcode}">${esc(message)}</h1><p>errcode: <code id="errcode">${errcode}</code></p>`,
  );
}

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
<ul>${endpoints}</ul>`,
  );
}

/** A small avatar for `headimgurl`, so profile pages have something to show offline. */
export function avatarSvg(user: string): string {
  const hue = createHash('sha256').update(user).digest()[0]! * 1.4;
  const letter = esc((user[0] ?? '?').toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132"><rect width="132" height="132" fill="hsl(${hue.toFixed(0)},55%,55%)"/><text x="66" y="88" font-size="64" text-anchor="middle" fill="#fff" font-family="Arial,sans-serif">${letter}</text></svg>`;
}
