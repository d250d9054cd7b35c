/**
 * Login part of the example app: the two login buttons, the embedded QR page, the profile page
 * behind `requireLogin`, and chiki's base-then-userinfo upgrade in the success hook.
 */
import type { Express, Request } from 'express';
import type { WxAuthRouter, WechatUserinfo } from '../../lib';
import { esc, page, type NavLink } from '../layout';
import type { ExampleContext } from '../app';

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
    page(title, body, { nav: context?.nav ?? nav, loggedIn: !!req.wxauth, head });

  // Log in with snsapi_base (silent); for someone we have never seen, go round again with
  // snsapi_userinfo to read their profile once (the consent page appears only that time).
  router.successHandler((_req, _res, { action, scope, userinfo, identity }) => {
    if (userinfo) profiles.set(identity.openid, pick(userinfo));
    if (action === 'mp' && scope === 'snsapi_base' && !profiles.has(identity.openid)) return { upgrade: 'snsapi_userinfo' };
    return undefined;
  });

  app.get('/', (req, res) => {
    const who = req.wxauth;
    const body = who
      ? `<h1>Welcome back</h1><p>You are logged in with <b>${esc(who.action)}</b>. <a href="/profile">See your profile</a>.</p>`
      : `<h1>express-wxauth example</h1>
<p>Log in with WeChat${context?.simulatorUrl ? ` — offline, against the <a href="${esc(context.simulatorUrl)}">WeChat simulator</a>` : ''}.</p>
<p><a id="login-mp" class="button" href="/oauth/wechat/login?action=mp&amp;next=%2Fprofile">Log in with WeChat (mp)</a>
<a id="login-qr" class="button secondary" href="/login/qr">QR login</a></p>
<p><small>mp is the official-account login that runs inside WeChat's browser; QR login is for desktop browsers.</small></p>`;
    res.type('html').send(render(req, 'Home', body));
  });

  // The embedded QR code: our /weixin-login.js renders WeChat's qrconnect page in an iframe.
  app.get('/login/qr', (req, res) => {
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
