/**
 * Login part of the example app: the login buttons (QR login and 关注公众号登录 only outside WeChat
 * and only for visitors not logged in), the embedded QR page, the profile page behind `requireLogin`, chiki's
 * base-then-userinfo upgrade in the success hook, and an `errorHandler` that logs every failed
 * login and answers one case — the user pressed Deny — with the shop's own page.
 */
import type { Express, Request } from 'express';
import type { WxAuthRouter, WechatUserinfo } from '../../lib';
import { esc, inWeChat, page, type NavLink } from '../layout';
import type { ExampleContext } from '../context';

export const nav: NavLink[] = [
  { href: '/', label: 'Home' },
  { href: '/profile', label: 'Profile', loggedIn: true },
];

/** What the example keeps of a WeChat profile, per openid (a real app has a users table). */
interface Profile {
  nickname?: string;
  headimgurl?: string;
}

export function register(app: Express, router: WxAuthRouter, context?: ExampleContext): void {
  const profiles = new Map<string, Profile>();
  const render = (req: Request, title: string, body: string, head = '') =>
    page(title, body, { nav: context?.nav ?? nav, loggedIn: !!req.wxauth, inWeChat: inWeChat(req), head });

  // Log in with snsapi_base (silent); for someone we have never seen, go round again with
  // snsapi_userinfo to read their profile once (the consent page appears only that time).
  // wxauth has already logged the failure (its code, never a secret) through its `logger`.
  // A Deny on WeChat's consent page comes back without a code: the shop answers that with its own
  // page; every other case sends nothing here, so the router's default page answers.
  router.errorHandler((req, res, { error, action, next }) => {
    const cancelled = error.code === 'args_error' && req.path.endsWith('/callback') && req.query.code === undefined;
    if (!cancelled) return;
    const again = `/oauth/wechat/login?${new URLSearchParams({ ...(action === 'mp' || action === 'qrcode' ? { action } : {}), next })}`;
    const body = `<h1 id="login-cancelled">You cancelled the login</h1>
<p>Nothing was shared with the shop. You can keep browsing, or log in when you want to buy.</p>
<p><a id="login-again" class="button" href="${esc(again)}">Log in with WeChat</a><a id="continue" class="button secondary" href="/shop">Browse the shop</a></p>`;
    context?.log(`login cancelled by the user (${action ?? 'unknown'}): the shop's own page`);
    res.status(401).set('Cache-Control', 'no-store').type('html').send(render(req, 'Login cancelled', body));
  });

  router.successHandler((_req, _res, { action, scope, userinfo, identity }) => {
    if (userinfo) profiles.set(identity.openid, pick(userinfo));
    if (action === 'mp' && scope === 'snsapi_base' && !profiles.has(identity.openid)) return { upgrade: 'snsapi_userinfo' };
    return undefined;
  });

  app.get('/', (req, res) => {
    const who = req.wxauth;
    // The logout button comes back here with ?loggedout=1: say so (only to someone logged out).
    const flash = !who && req.query.loggedout === '1' ? '<p id="flash" class="notice" role="status">You are logged out.</p>' : '';
    // Inside WeChat only the official account's login works: scanning a QR code shown on the
    // phone you would scan it with is no way to log in (QR login and follow-to-login alike).
    const qr = inWeChat(req)
      ? '<p><small>Inside WeChat you log in with the official account (mp); QR login and 关注公众号登录 are for desktop browsers.</small></p>'
      : `<p><a id="login-qr" class="button secondary" href="/login/qr">QR login</a><a id="login-follow" class="button secondary" href="/login/follow">关注公众号登录</a></p>
<p><small>mp is the official-account login that runs inside WeChat's browser; on a desktop, QR login needs a website app, 关注公众号登录 only the official account (scan its QR code and follow it).</small></p>`;
    const body = who
      ? `<h1>Welcome back</h1><p>You are logged in with <b>${esc(who.action)}</b>. <a href="/profile">See your profile</a>.</p>`
      : `${flash}<h1>express-wxauth example</h1>
<p>Log in with WeChat${context?.simulatorUrl ? ` — offline, against the <a href="${esc(context.simulatorUrl)}">WeChat simulator</a>` : ''}.</p>
<p><a id="login-mp" class="button" href="/oauth/wechat/login?action=mp&amp;next=%2Fprofile">Log in with WeChat (mp)</a></p>
${qr}`;
    res.set('Cache-Control', 'no-store').type('html').send(render(req, 'Home', body));
  });

  // The embedded QR code: our /weixin-login.js renders WeChat's qrconnect page in an iframe.
  // Not offered to someone logged in (back to the profile), nor inside WeChat (the mp login).
  app.get('/login/qr', (req, res) => {
    if (req.wxauth) return void res.redirect(303, '/profile');
    if (inWeChat(req)) {
      const body = `<h1>QR login</h1><p id="qr-not-here">QR login is for desktop browsers. Inside WeChat, log in with the official account:</p>
<p><a id="login-mp" class="button" href="/oauth/wechat/login?action=mp&amp;next=%2Fprofile">Log in with WeChat (mp)</a></p>`;
      return void res.set('Cache-Control', 'no-store').type('html').send(render(req, 'QR login', body));
    }
    const body = `<h1>QR login</h1><p>Scan the code with WeChat.</p>
<div id="login_container"></div>
<p><a href="/oauth/wechat/login?action=qrcode&amp;next=%2Fprofile">Open the QR page instead</a></p>`;
    res.set('Cache-Control', 'no-store').type('html').send(render(req, 'QR login', body, '<script src="/weixin-login.js?next=%2Fprofile&amp;id=login_container" defer></script>'));
  });

  app.get('/profile', router.requireLogin(), (req, res) => {
    const who = req.wxauth!;
    const profile = profiles.get(who.openid);
    const rows: Array<[string, unknown]> = [
      ['openid', who.openid],
      ['unionid', who.unionid ?? '—'],
      ['action', who.action],
      ['appid', who.appid],
      ['nickname', profile?.nickname ?? '—'],
      ...(who.user !== undefined ? ([['user', JSON.stringify(who.user)]] as Array<[string, unknown]>) : []),
    ];
    const avatar = profile?.headimgurl ? `<img src="${esc(profile.headimgurl)}" alt="" width="66" height="66" style="border-radius:8px">` : '';
    const body = `<h1 id="profile">Profile</h1>${avatar}<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd id="${esc(k)}">${esc(v)}</dd>`).join('')}</dl>`;
    res.set('Cache-Control', 'no-store').type('html').send(render(req, 'Profile', body));
  });
}

function pick(userinfo: WechatUserinfo): Profile {
  return {
    ...(typeof userinfo.nickname === 'string' ? { nickname: userinfo.nickname } : {}),
    ...(typeof userinfo.headimgurl === 'string' ? { headimgurl: userinfo.headimgurl } : {}),
  };
}
