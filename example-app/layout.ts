/**
 * The example app's page shell: one layout and a navigation bar every feature can add links to
 * (export `nav` from a feature file, or call `context.addNav()` in its `register`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request, RequestHandler } from 'express';

export interface NavLink {
  href: string;
  label: string;
  /** Show only to logged-in visitors. */
  loggedIn?: boolean;
  /** Show only to visitors not logged in (a way to log in). */
  loggedOut?: boolean;
  /** Not inside WeChat's browser (a login by scanning a QR code: no one scans the phone they hold). */
  desktopOnly?: boolean;
}

/** WeChat's in-app browser says so in its User-Agent (`MicroMessenger/8.0.47 …`). */
export function inWeChat(req: Request): boolean {
  return /MicroMessenger/i.test(req.get('user-agent') ?? '');
}

/**
 * The browser of the request being answered, for the navigation bar: every feature renders with
 * `page(title, body, { nav, loggedIn })`, and none has to pass the User-Agent along for the bar to
 * leave out the desktop-only links inside WeChat.
 */
const viewer = new AsyncLocalStorage<{ inWeChat: boolean }>();

/** Middleware (first in the app): the rest of the request runs knowing whether it came from inside WeChat. */
export const viewerContext: RequestHandler = (req, _res, next) => viewer.run({ inWeChat: inWeChat(req) }, next);

/** Whether a link belongs in the bar for this visitor. */
export function showsLink(link: NavLink, who: { loggedIn: boolean; inWeChat: boolean }): boolean {
  if (link.loggedIn && !who.loggedIn) return false;
  if (link.loggedOut && who.loggedIn) return false;
  return !(link.desktopOnly && who.inWeChat);
}

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Where the "Log out" button sends the browser: home, which then says the visitor is logged out. */
export const LOGGED_OUT = '/?loggedout=1';

/**
 * The shared style. Phone first: at 375 px nothing may scroll sideways, so long unbroken text
 * (openids, order numbers, signatures) breaks anywhere, `pre` and tables scroll inside their own
 * box, and the navigation wraps instead of squeezing "Log out" onto two lines.
 */
export const STYLE = `*,*::before,*::after{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"PingFang SC",sans-serif;max-width:44rem;margin:0 auto;padding:1rem;color:#222}
nav{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;border-bottom:1px solid #eee;padding-bottom:.5rem;margin-bottom:1rem}
nav .links{display:flex;flex-wrap:wrap;gap:.25rem .9rem;min-width:0}
nav form{margin:0}
main{overflow-wrap:anywhere}
img{max-width:100%;height:auto}
.button,button{display:inline-block;font:inherit;font-size:1rem;line-height:1.5;padding:.5rem 1rem;border-radius:6px;border:0;background:#07c160;color:#fff;text-decoration:none;cursor:pointer;margin:.25rem .5rem .25rem 0;white-space:nowrap}
.button.secondary,button.secondary{background:#f2f2f2;color:#05733d;box-shadow:inset 0 0 0 1px #d6d6d6}
button:disabled{background:#c8c8c8;color:#fff;cursor:default}
nav button{margin:0;padding:.3rem .8rem;font-size:.9rem}
.notice{background:#edf9f2;border-left:3px solid #07c160;padding:.5rem .75rem;margin:0 0 1rem}
h1{overflow-wrap:anywhere;font-size:1.6rem;line-height:1.25}
code{overflow-wrap:anywhere}
pre{max-width:100%;overflow-x:auto;background:#f6f6f6;padding:.75rem;border-radius:6px;font-size:.85rem}
.table-scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem .3rem 0;border-bottom:1px solid #eee;overflow-wrap:anywhere}
td{font-family:ui-monospace,monospace;font-size:.85rem}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25rem 1rem}dt{color:#666}dd{margin:0;font-family:ui-monospace,monospace;overflow-wrap:anywhere}`;

/** A full HTML page with the navigation bar; `body` is trusted HTML (escape what you put in it). */
export function page(title: string, body: string, options: { nav: readonly NavLink[]; loggedIn: boolean; head?: string; inWeChat?: boolean }): string {
  // Outside a request run by `viewerContext` (a page rendered by hand) the visitor counts as a desktop browser.
  const who = { loggedIn: options.loggedIn, inWeChat: options.inWeChat ?? viewer.getStore()?.inWeChat ?? false };
  const links = options.nav
    .filter((l) => showsLink(l, who))
    .map((l) => `<a href="${esc(l.href)}">${esc(l.label)}</a>`)
    .join('');
  const logout = options.loggedIn
    ? `<form method="post" action="/oauth/wechat/logout?next=${encodeURIComponent(LOGGED_OUT)}"><button id="logout" type="submit">Log out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} — express-wxauth example</title>
<style>
${STYLE}
</style>${options.head ?? ''}</head>
<body><nav><span class="links">${links}</span>${logout}</nav>
<main>${body}</main></body></html>`;
}
