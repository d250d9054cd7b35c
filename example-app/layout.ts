/**
 * The example app's page shell: one layout and a navigation bar every feature can add links to
 * (export `nav` from a feature file, or call `context.addNav()` in its `register`).
 */
export interface NavLink {
  href: string;
  label: string;
  /** Show only to logged-in visitors. */
  loggedIn?: boolean;
}

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A full HTML page with the navigation bar; `body` is trusted HTML (escape what you put in it). */
export function page(title: string, body: string, options: { nav: readonly NavLink[]; loggedIn: boolean; head?: string }): string {
  const links = options.nav
    .filter((l) => !l.loggedIn || options.loggedIn)
    .map((l) => `<a href="${esc(l.href)}">${esc(l.label)}</a>`)
    .join(' · ');
  const logout = options.loggedIn
    ? '<form method="post" action="/oauth/wechat/logout" style="display:inline"><button id="logout" type="submit">Log out</button></form>'
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} — express-wxauth example</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"PingFang SC",sans-serif;max-width:44rem;margin:0 auto;padding:1rem;color:#222}
nav{display:flex;gap:.5rem;align-items:center;justify-content:space-between;border-bottom:1px solid #eee;padding-bottom:.5rem;margin-bottom:1rem}
.button,button{display:inline-block;font-size:1rem;padding:.5rem 1rem;border-radius:6px;border:0;background:#07c160;color:#fff;text-decoration:none;cursor:pointer;margin:.25rem .5rem .25rem 0}
.button.secondary,button.secondary{background:#f2f2f2;color:#06ae56}
h1{overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{color:#666}dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
</style>${options.head ?? ''}</head>
<body><nav><span>${links}</span>${logout}</nav>
<main>${body}</main></body></html>`;
}
