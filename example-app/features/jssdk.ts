/**
 * JSSDK part of the example app: `GET /jssdk`, a page that loads `/weixin-config.js` exactly as
 * a real page would and shows the `wx.config(...)` it received. The page computes nothing.
 *
 * - Real WeChat (WX_MP_APPID/WX_MP_SECRET set): the page loads WeChat's jweixin, then our script;
 *   jweixin's `wx.ready` / `wx.error` report whether WeChat accepted the signature.
 * - Offline (simulator): there is no jweixin, so a stand-in records `wx.config` and asks
 *   `POST /jssdk/check` — the contract WeChat applies: the signature recomputed from the ticket the
 *   simulator issued and the page URL — and shows the verdict.
 */
import express, { type Express } from 'express';
import { signJssdk, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import type { ExampleContext } from '../context';
import { page, type NavLink } from '../layout';

export const nav: NavLink[] = [{ href: '/jssdk', label: 'JSSDK' }];

const JWEIXIN = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js';

/** The JSSDK settings the example uses (share APIs and the "open app" tag). */
export function options(): Partial<WxAuthOptions> {
  return { jssdk: { jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData', 'chooseImage'], openTagList: ['wx-open-launch-app'] } };
}

// Runs before /weixin-config.js. Only displays: the config object arrives from the server.
const SHOW = `
function show(id, text) { document.getElementById(id).textContent = text; }
function showConfig(c) {
  show('jssdk-config', JSON.stringify(c, null, 2));
}`;

const STAND_IN = `${SHOW}
// No jweixin offline: this stand-in records wx.config and asks the example server for WeChat's verdict.
window.wx = {
  config: function (c) {
    showConfig(c);
    fetch('/jssdk/check', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: location.href.split('#')[0], config: c }) })
      .then(function (r) { return r.json(); })
      .then(function (v) { show('jssdk-verdict', v.ok ? 'signature accepted (checked against the simulator ticket)' : 'signature REJECTED: ' + v.reason); });
  },
  ready: function () {}, error: function () {}
};`;

const REAL = `${SHOW}
var original = wx.config;
wx.config = function (c) { showConfig(c); original.call(wx, c); };
wx.ready(function () { show('jssdk-verdict', 'wx.ready: WeChat accepted the config'); });
wx.error(function (e) { show('jssdk-verdict', 'wx.error: ' + (e && e.errMsg)); });`;

export function register(app: Express, _router: WxAuthRouter, context?: ExampleContext): void {
  const offline = !!context?.simulator;

  app.get('/jssdk', (req, res) => {
    const body = `<h1>JSSDK</h1>
<p>This page loads <code>&lt;script src="/weixin-config.js"&gt;</code> (the page URL comes from the Referer)
and shows the <code>wx.config(...)</code> it received.</p>
<h2>Config</h2><pre id="jssdk-config">(waiting for /weixin-config.js)</pre>
<h2>Verdict</h2><p id="jssdk-verdict">(waiting)</p>
${offline ? `<script>${STAND_IN}</script>` : `<script src="${JWEIXIN}"></script><script>${REAL}</script>`}
<script src="/weixin-config.js"></script>`;
    res.set('Cache-Control', 'no-store').type('html').send(page('JSSDK', body, { nav: context?.nav ?? nav, loggedIn: !!req.wxauth }));
  });

  if (!offline) return;
  const simulator = context!.simulator!;
  // What WeChat does when jweixin calls wx.config: recompute the signature with the ticket it issued.
  app.post('/jssdk/check', express.json({ limit: '8kb' }), (req, res) => {
    const { url, config } = (req.body ?? {}) as { url?: unknown; config?: { appId?: unknown; nonceStr?: unknown; timestamp?: unknown; signature?: unknown } };
    const appId = typeof config?.appId === 'string' ? config.appId : '';
    const ticket = simulator.ticketsOf(appId).at(-1);
    if (!ticket || typeof url !== 'string') return void res.json({ ok: false, reason: 'no ticket issued for this appId' });
    const expected = signJssdk({ ticket, nonceStr: String(config?.nonceStr), timestamp: String(config?.timestamp), url });
    res.json(expected === config?.signature ? { ok: true } : { ok: false, reason: 'signature does not match the page URL and ticket' });
  });
}
