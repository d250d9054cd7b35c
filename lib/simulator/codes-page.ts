import express, { type Router } from 'express';
import type { SimApp } from './types';
import type { SimState } from './state';
import { param } from './http';
import { BACK_LINKS, FAVICON_LINK, FAVICON_SVG, esc } from './pages';
import { SimWxa } from './api/wxa-state';

const USER_RE = /^[\w.@-]{1,64}$/;
/** A phone number as the form takes it: digits only, 5–15 of them. */
const PHONE_RE = /^\d{5,15}$/;
const DEFAULT_APP_URL = 'http://localhost:3000';

/** The apps whose codes reach the server from a client, not through a browser redirect. */
function clientApps(apps: readonly SimApp[]): SimApp[] {
  return apps.filter((a) => a.type === 'mobile' || a.type === 'miniprogram');
}

/** Only an http(s) origin-ish URL without quotes or spaces: it is shown inside a shell line. */
function appUrlOf(value: string | undefined): string {
  return value && /^https?:\/\/[\w.:[\]-]+(\/[\w./-]*)?$/i.test(value) ? value.replace(/\/+$/, '') : DEFAULT_APP_URL;
}

/** The request an app's client makes with the code, against express-wxauth's routes. */
export function curlLine(app: SimApp, code: string, appUrl: string): string {
  const body = `-H 'Content-Type: application/json' -d '{"code":"${code}"}'`;
  if (app.type === 'miniprogram') return `curl -X POST ${appUrl}/wx/miniprogram/login ${body}`;
  return `curl -X POST ${appUrl}/wx/oauth/login -H 'X-App-Id: ${app.appid}' -H 'X-Client-Type: ios' ${body}`;
}

/** The request a mini program's server makes with a phone code: the user's session, then the code. */
export function phoneCurlLine(code: string, appUrl: string): string {
  return `curl -X POST ${appUrl}/wx/miniprogram/phone -H 'X-Session-Id: <sessionId from the login>' -H 'Content-Type: application/json' -d '{"code":"${code}"}'`;
}

function page(apps: readonly SimApp[], form: { appid?: string; user: string; appUrl: string; phone?: string }, result = ''): string {
  const hasMini = apps.some((a) => a.type === 'miniprogram');
  const options = apps
    .map((a) => `<option value="${esc(a.appid)}"${a.appid === form.appid ? ' selected' : ''}>${esc(a.name ?? a.appid)} (${esc(a.type)}, ${esc(a.appid)})</option>`)
    .join('');
  const body = apps.length
    ? `<form id="issue" method="post" action="/sim/codes">
<p><label>App <select id="appid" name="appid">${options}</select></label></p>
<p><label>WeChat user <input id="user" name="user" value="${esc(form.user)}" autocomplete="off"></label></p>
<p><label>Your app at <input id="app-url" name="app_url" value="${esc(form.appUrl)}" autocomplete="off"></label></p>
${hasMini ? `<p><label>Phone (mini program) <input id="phone" name="phone" value="${esc(form.phone ?? '')}" placeholder="the user's own" inputmode="numeric" autocomplete="off"></label></p>` : ''}
<button class="primary" id="get-code" type="submit" name="kind" value="login">Get a code</button>
${hasMini ? '<button class="primary" id="get-phone-code" type="submit" name="kind" value="phone">Get a phone code</button>' : ''}
</form>${result}`
    : `<p id="no-apps">No native (<code>mobile</code>) or mini-program app is registered on this simulator: add one to its <code>apps</code>.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>WeChat simulator — login codes</title>${FAVICON_LINK}
<style>
body{font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:560px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 3px #0002}
h1{font-size:18px;margin:0 0 12px}.sim{font-size:12px;color:#888;margin-top:18px}a{color:#576b95}
button{font-size:16px;padding:10px 18px;border-radius:6px;border:0;cursor:pointer;background:#07c160;color:#fff}
input,select{font-size:15px;padding:6px 8px;border:1px solid #ccc;border-radius:4px;max-width:100%}
code{background:#f5f5f5;padding:1px 4px;border-radius:3px}.error{color:#fa5151}
pre{background:#f5f5f5;padding:8px;border-radius:4px;white-space:pre-wrap;word-break:break-all;font-size:13px}
</style></head>
<body><main><h1>Login codes for apps and mini programs</h1>
<p>A native app gets its code from the WeChat OpenSDK, a mini program from <code>wx.login()</code>; here you get one for any user. Each code works once (mini program: within 5 minutes; native app: 10).</p>
<p>A mini program's phone code is what <code>&lt;button open-type="getPhoneNumber"&gt;</code> hands over (<code>e.detail.code</code>): once, within 5 minutes, after the user has logged in.</p>
${body}${BACK_LINKS}<p class="sim">WeChat simulator (express-wxauth) — not the real WeChat.</p></main></body></html>`;
}

/**
 * `GET /sim/codes`: a form (app, user) that POSTs to `/sim/codes` for a fresh single-use code,
 * shown with the curl line that logs in with it; plus the simulator's `/favicon.ico`.
 */
export function simToolRoutes(state: SimState, apps: readonly SimApp[], wxa: SimWxa): Router {
  const router = express.Router();
  const targets = clientApps(apps);

  router.get('/sim/codes', (req, res) => {
    const appUrl = appUrlOf(param(req.query, 'app_url'));
    res.set('Cache-Control', 'no-store').type('html').send(page(targets, { user: 'alice', appUrl }));
  });

  router.post('/sim/codes', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    const appid = param(req.body, 'appid');
    const user = param(req.body, 'user')?.trim() || 'alice';
    const appUrl = appUrlOf(param(req.body, 'app_url'));
    const phone = param(req.body, 'phone')?.trim() ?? '';
    const wantsPhone = param(req.body, 'kind') === 'phone';
    const app = targets.find((a) => a.appid === appid);
    res.set('Cache-Control', 'no-store').type('html');
    const why = !app
      ? 'Choose one of the apps above.'
      : !USER_RE.test(user)
        ? 'A user name is 1–64 letters, digits or ._@-'
        : wantsPhone && app.type !== 'miniprogram'
          ? 'Phone codes are for mini programs: choose one above.'
          : wantsPhone && phone && !PHONE_RE.test(phone)
            ? 'A phone number is 5–15 digits (or leave it empty for the user\'s own).'
            : undefined;
    if (!app || why) {
      const form = { ...(appid ? { appid } : {}), user: USER_RE.test(user) ? user : 'alice', appUrl, ...(PHONE_RE.test(phone) ? { phone } : {}) };
      return void res.status(400).send(page(targets, form, `<p class="error" id="error">${esc(why ?? '')}</p>`));
    }
    if (wantsPhone) {
      state.openidOf(app.appid, user);
      const code = wxa.issuePhoneCode(app.appid, user, phone || undefined);
      const number = phone || SimWxa.defaultPhone(user);
      const result = `<h2>Phone code for ${esc(user)} in ${esc(app.name ?? app.appid)}</h2>
<p><code id="code">${esc(code)}</code> (the number: <span id="phone-number">${esc(number)}</span>)</p>
<p>Your server exchanges it for the number (what your mini program posts from <code>bindgetphonenumber</code>, with the login's session):</p>
<pre id="curl">${esc(phoneCurlLine(code, appUrl))}</pre>`;
      return void res.send(page(targets, { appid: app.appid, user, appUrl, ...(phone ? { phone } : {}) }, result));
    }
    const code = state.issueCode(app.appid, user, 'snsapi_userinfo');
    const result = `<h2>Code for ${esc(user)} in ${esc(app.name ?? app.appid)}</h2>
<p><code id="code">${esc(code)}</code></p>
<p>Log in with it (${app.type === 'miniprogram' ? 'what your mini program posts after <code>wx.login()</code>' : 'what your app posts after the OpenSDK login'}):</p>
<pre id="curl">${esc(curlLine(app, code, appUrl))}</pre>`;
    res.send(page(targets, { appid: app.appid, user, appUrl }, result));
  });

  router.get('/favicon.ico', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON_SVG);
  });

  return router;
}
