/**
 * "关注公众号登录" (follow the official account to log in) on desktop: `/login/follow` shows the
 * official account's QR code through the JSON API (`Accept: application/json` → `{ qrcodeUrl,
 * expiresIn, poll }`) and waits with server-sent events; once the phone has followed (or scanned
 * as a follower) the poll's `done` event carries `next` and the session is already set.
 *
 * It needs the message server: offline the simulator's official account posts its events to
 * `/wechat/message` in safe mode with the demo token and key below; with real WeChat set
 * `WX_MP_MESSAGE_TOKEN`, `WX_MP_ENCODING_AES_KEY` and `WX_MP_MESSAGE_MODE` as in the account's 服务器配置.
 */
import type { Express, Request } from 'express';
import type { WxAuthOptions, WxAuthRouter } from '../../lib';
import { esc, inWeChat, page, type NavLink } from '../layout';
import type { ExampleContext } from '../context';

// A way to log in on a desktop: not shown once logged in, nor inside WeChat (as QR login).
export const nav: NavLink[] = [{ href: '/login/follow', label: '关注公众号登录', loggedOut: true, desktopOnly: true }];

/** The simulator's message-server settings (public on purpose: they only open the simulator). */
export const SIM_MESSAGES = { token: 'exampletoken', encodingAESKey: 'exampleEncodingAESKey0123456789abcdefghijkl', mode: 'safe' as const };

/** `mp.messages` for this start: the simulator's, or the real account's from the environment. */
export function exampleMessages(context: ExampleContext): NonNullable<NonNullable<WxAuthOptions['mp']>['messages']> | undefined {
  if (context.simulator) return SIM_MESSAGES;
  const { WX_MP_MESSAGE_TOKEN: token, WX_MP_ENCODING_AES_KEY: key, WX_MP_MESSAGE_MODE: mode } = context.env;
  if (!token) return undefined;
  return { token, mode: mode === 'plain' || mode === 'compat' ? mode : 'safe', ...(key ? { encodingAESKey: key } : {}) };
}

export function options(context: ExampleContext): Partial<WxAuthOptions> {
  const mp = context.credentials.mp;
  const messages = exampleMessages(context);
  // Without an official account and its message server there is no follow login to offer.
  return mp && messages ? { mp: { ...mp, messages }, follow: {} } : {};
}

// The page's script: ask for a QR code, show it, wait for the scan (EventSource reconnects after each `pending`).
const SCRIPT = `fetch('/oauth/wechat/follow?next=%2Fprofile',{headers:{Accept:'application/json'},credentials:'same-origin'})
.then(function(r){return r.json()}).then(function(q){var img=document.getElementById('follow-qr'),s=document.getElementById('follow-status');
img.src=q.qrcodeUrl;img.hidden=false;var es=new EventSource(q.poll);
es.onmessage=function(e){var a=JSON.parse(e.data);if(a.status==='done'){es.close();s.textContent='登录成功，正在跳转…';location.assign(a.next)}
else if(a.status==='expired'){es.close();s.textContent='二维码已过期，请刷新页面'}}})`;

export function register(app: Express, router: WxAuthRouter, context: ExampleContext): void {
  const render = (req: Request, body: string, head = '') => page('关注公众号登录', body, { nav: context.nav, loggedIn: !!req.wxauth, inWeChat: inWeChat(req), head });
  let connected = false;

  app.get('/login/follow', (req, res) => {
    if (req.wxauth) return void res.redirect(303, '/profile');
    if (inWeChat(req)) {
      return void res.type('html').send(render(req, '<h1>关注公众号登录</h1><p id="follow-not-here">This login is for desktop browsers: inside WeChat, log in with the official account.</p>'));
    }
    if (!context.credentials.mp || !exampleMessages(context)) {
      return void res.type('html').send(render(req, '<h1>关注公众号登录</h1><p id="follow-off">Set WX_MP_MESSAGE_TOKEN (and the account\'s message server) to offer this login.</p>'));
    }
    // Offline: the simulated account posts its events to this app (known once it listens).
    if (context.simulator && context.baseUrl && !connected) {
      context.simulator.connectMessages(context.credentials.mp.appid, { url: `${context.baseUrl}/wechat/message`, ...SIM_MESSAGES });
      connected = true;
    }
    const phone = context.simulatorUrl
      ? `<p><small>Offline: scan it with the simulator's phone — <a id="follow-phone" href="${esc(context.simulatorUrl)}/sim/phone/scan" target="_blank" rel="noopener">open the phone</a>.</small></p>`
      : '';
    const body = `<h1>关注公众号登录</h1><p>用微信扫码关注公众号，即可登录。Scan with WeChat and follow the official account to log in.</p>
<p><img id="follow-qr" alt="QR code" width="240" height="240" hidden></p><p id="follow-status">等待扫码…</p>${phone}`;
    res.set('Cache-Control', 'no-store').type('html').send(render(req, body, `<script>addEventListener('DOMContentLoaded',function(){${SCRIPT}})</script>`));
  });
  void router;
}
