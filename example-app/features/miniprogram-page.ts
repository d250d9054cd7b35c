/**
 * The "mini program" page: a phone-sized panel whose script plays the mini program. Each step does
 * what the mini program would (wx.login, the getPhoneNumber button, wx.requestSubscribeMessage,
 * wx.requestPayment) with codes and taps from the simulator, calls the server as the mini program
 * would, and shows the request and the answer.
 */
import { esc } from '../layout';

/** The steps, in order: id, title, what the mini program does. */
export const STEPS = [
  { id: 'login', title: '1. Log in', does: 'wx.login() gives a code; the mini program posts it to POST /wx/miniprogram/login and keeps the sessionId.' },
  { id: 'phone', title: '2. Phone number', does: 'The user taps <button open-type="getPhoneNumber">; e.detail.code goes to POST /wx/miniprogram/phone with the X-Session-Id.' },
  { id: 'subscribe', title: '3. Subscribe message', does: 'wx.requestSubscribeMessage: the user accepts the template; the server then sends it with client.sendSubscribe (message/subscribe/send).' },
  { id: 'pay', title: '4. Pay an order', does: 'The server places a v3 JSAPI order for the mini program; wx.requestPayment pays it (the simulator, as the user); the verified notify uploads the shipping (virtual goods) with client.shipping.upload.' },
] as const;

export type StepId = (typeof STEPS)[number]['id'];

/** The page body: a user field, then each step's button, request and WeChat's answer. */
export function miniprogramBody(options: { user: string; offlineOnly?: string }): string {
  if (options.offlineOnly) return `<h1>Mini program</h1><p class="notice" id="mini-unavailable">${esc(options.offlineOnly)}</p>`;
  const steps = STEPS.map(
    (s, i) => `<section class="step" id="step-${s.id}">
<h2>${esc(s.title)}</h2>
<p>${esc(s.does)}</p>
<button id="${s.id}" type="button"${i ? ' disabled' : ''}>${esc(s.title.replace(/^\d+\. /, ''))}</button>
<p class="status" id="${s.id}-status" aria-live="polite"></p>
<pre id="${s.id}-request" hidden></pre>
<pre id="${s.id}-answer" hidden></pre>
</section>`,
  ).join('\n');
  return `<h1>Mini program</h1>
<p>This page plays a mini program against this server and the WeChat simulator: each step makes the calls a real mini program and its server make, and shows WeChat's answer.</p>
<p><label>WeChat user <input id="mini-user" value="${esc(options.user)}" autocomplete="off"></label></p>
${steps}
<script>${SCRIPT}</script>`;
}

/**
 * The page's script: the mini program. It keeps the sessionId as a mini program keeps it in its
 * storage, and sends it as X-Session-Id; the server's own routes (subscribe, order) use the login
 * cookie that POST /wx/miniprogram/login also set for this browser.
 */
const SCRIPT = `
(function () {
  var state = {};
  function $(id) { return document.getElementById(id); }
  function show(step, request, answer, ok) {
    var req = $(step + '-request'), ans = $(step + '-answer');
    req.textContent = request; req.hidden = false;
    ans.textContent = JSON.stringify(answer, null, 2); ans.hidden = false;
    $(step + '-status').textContent = ok ? 'done' : 'failed';
    $(step + '-status').className = 'status ' + (ok ? 'ok' : 'failed');
  }
  function post(url, body, headers) {
    var h = { 'Content-Type': 'application/json', Accept: 'application/json' };
    for (var k in headers || {}) h[k] = headers[k];
    return fetch(url, { method: 'POST', headers: h, body: JSON.stringify(body || {}) }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) { return { status: res.status, body: json }; });
    });
  }
  function short(value) { return typeof value === 'string' && value.length > 12 ? value.slice(0, 8) + '…' : value; }
  function step(id, run, next) {
    $(id).addEventListener('click', function () {
      $(id).disabled = true;
      $(id + '-status').textContent = 'working…';
      run().then(function (r) {
        show(id, r.request, r.answer, r.ok);
        if (r.ok && next) $(next).disabled = false;
        if (!r.ok) $(id).disabled = false;
      }, function (e) { show(id, '', { error: String(e) }, false); $(id).disabled = false; });
    });
  }
  var user = function () { return $('mini-user').value.trim() || 'alice'; };

  step('login', function () {
    return post('/mini-program/simulated/login-code', { user: user() }).then(function (c) {
      return post('/wx/miniprogram/login', { code: c.body.code }).then(function (r) {
        if (r.status === 200) state.sessionId = r.body.sessionId;
        var shown = Object.assign({}, r.body, r.body.sessionId ? { sessionId: short(r.body.sessionId) } : {});
        return { ok: r.status === 200, request: 'POST /wx/miniprogram/login {"code":"' + short(c.body.code) + '"}  → ' + r.status, answer: shown };
      });
    });
  }, 'phone');

  step('phone', function () {
    return post('/mini-program/simulated/phone-code', { user: user() }).then(function (c) {
      return post('/wx/miniprogram/phone', { code: c.body.code }, { 'X-Session-Id': state.sessionId }).then(function (r) {
        return { ok: r.status === 200, request: 'POST /wx/miniprogram/phone {"code":"' + short(c.body.code) + '"}, X-Session-Id  → ' + r.status, answer: r.body };
      });
    });
  }, 'subscribe');

  step('subscribe', function () {
    return post('/mini-program/simulated/accept-subscribe', {}).then(function () {
      return post('/mini-program/subscribe', {}).then(function (r) {
        return { ok: r.status === 200, request: 'wx.requestSubscribeMessage → accept; the server: client.sendSubscribe(…)  → ' + r.status, answer: r.body };
      });
    });
  }, 'pay');

  step('pay', function () {
    return post('/mini-program/orders', {}).then(function (o) {
      if (o.status !== 200) return { ok: false, request: 'POST /mini-program/orders  → ' + o.status, answer: o.body };
      return post('/mini-program/orders/' + encodeURIComponent(o.body.outTradeNo) + '/simulated-pay', {}).then(function (p) {
        return { ok: p.status === 200 && p.body.shipping && p.body.shipping.ok, request: 'prepay (JSAPI, the mini program) → wx.requestPayment(' + JSON.stringify(o.body.requestPayment.package) + ') → paid → notify → shipping upload  → ' + p.status, answer: { prepay: o.body, payment: p.body } };
      });
    });
  });
})();
`;
