import { createHash } from 'node:crypto';
import { escapeHtml, type PageLanguage } from '../oauth/error-page';

/**
 * The desktop page of a follow login: the QR image, one sentence, and a small script that waits
 * for the scan (server-sent events where the browser has them, else long polling with fetch) and
 * goes on to `next` once the login is done. No Express here.
 */
const TEXT: Readonly<Record<PageLanguage, { title: string; scan: string; expired: string; refresh: string; done: string; failed: string }>> = {
  zh: {
    title: '微信扫码登录',
    scan: '请用微信扫描二维码，关注公众号后即可登录',
    expired: '二维码已过期',
    refresh: '刷新二维码',
    done: '登录成功，正在跳转…',
    failed: '登录失败，请刷新重试',
  },
  en: {
    title: 'Log in with WeChat',
    scan: 'Scan the QR code with WeChat and follow the official account to log in.',
    expired: 'The QR code has expired.',
    refresh: 'Get a new QR code',
    done: 'Logged in. Redirecting…',
    failed: 'The login failed. Please refresh and try again.',
  },
};

const STYLE =
  'body{margin:0;font:16px/1.6 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:#222;background:#f6f7f9}' +
  'main{box-sizing:border-box;max-width:24rem;margin:10vh auto 0;padding:2rem 1.5rem;background:#fff;border-radius:12px;text-align:center}' +
  'h1{margin:0 0 1rem;font-size:1.15rem;font-weight:600}img{width:240px;height:240px;display:block;margin:0 auto}' +
  '#status{margin:1rem 0 0;color:#555}a{display:inline-block;margin:.75rem 0 0;padding:.6rem 1rem;border-radius:8px;text-decoration:none;color:#fff;background:#07c160}[hidden]{display:none}';

// Static (the URLs come from data attributes), so its hash goes into the CSP once.
const SCRIPT = `(function(){var m=document.getElementById('follow'),s=document.getElementById('status'),r=document.getElementById('refresh'),img=document.getElementById('qrcode');
var poll=m.getAttribute('data-poll'),t=JSON.parse(m.getAttribute('data-text'));
function end(a){if(a.status==='done'){s.textContent=t.done;location.replace(a.next||'/');return true}
if(a.status==='expired'){s.textContent=t.expired;img.style.opacity='.2';r.hidden=false;return true}return false}
if(window.EventSource){var es=new EventSource(poll);es.onmessage=function(e){try{if(end(JSON.parse(e.data)))es.close()}catch(x){es.close();s.textContent=t.failed}};
es.onerror=function(){if(es.readyState===2){s.textContent=t.failed;r.hidden=false}};return}
(function again(){fetch(poll,{headers:{Accept:'application/json'},credentials:'same-origin'}).then(function(x){return x.json()}).then(function(a){if(!end(a))again()},function(){setTimeout(again,2000)})})();})();`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page's CSP: our style and script by hash, the QR image from WeChat's `mp` host, polls to ourselves. */
export function followPageCsp(imageOrigin: string): string {
  return `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; img-src ${imageOrigin}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export interface FollowPageInput {
  lang: PageLanguage;
  imageUrl: string;
  /** The poll URL (root-relative or absolute on our origin). */
  poll: string;
  /** The follow start URL with the same `next`: the "new QR code" link. */
  restart: string;
}

export function renderFollowPage({ lang, imageUrl, poll, restart }: FollowPageInput): string {
  const t = TEXT[lang];
  const data = JSON.stringify({ done: t.done, expired: t.expired, failed: t.failed });
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${t.title}</title><style>${STYLE}</style></head>
<body><main id="follow" data-poll="${escapeHtml(poll)}" data-text="${escapeHtml(data)}"><h1>${t.title}</h1>
<img id="qrcode" src="${escapeHtml(imageUrl)}" alt="${t.title}">
<p id="status">${t.scan}</p><a id="refresh" href="${escapeHtml(restart)}" hidden>${t.refresh}</a></main>
<script>${SCRIPT}</script></body></html>
`;
}
