import { createHash } from 'node:crypto';
import type { WxAuthError } from '../errors';

/**
 * The pages a person sees when a browser login does not end on `next`: the default error page
 * (Chinese unless the browser prefers English) and the landing page that leaves the callback
 * without WeChat's `#wechat_redirect`. No Express here: the router picks the case and the links.
 */
export type PageLanguage = 'zh' | 'en';

/** What went wrong, as the person understands it. Several error codes share one sentence. */
export type LoginFailure = 'cancelled' | 'expired' | 'invalid' | 'unreachable' | 'snapshot' | 'failed';

/** One sentence per case. The internal code is never shown: it is in the logs and the `errorHandler` context. */
export const LOGIN_FAILURE_TEXT: Readonly<Record<LoginFailure, Readonly<Record<PageLanguage, string>>>> = {
  cancelled: { zh: '你取消了登录', en: 'You cancelled the login.' },
  expired: { zh: '登录链接已过期，请重新登录', en: 'The login link has expired. Please log in again.' },
  invalid: { zh: '登录已失效，请重新登录', en: 'This login is no longer valid. Please log in again.' },
  unreachable: { zh: '微信暂时无法访问，请稍后再试', en: 'WeChat cannot be reached right now. Please try again later.' },
  snapshot: { zh: '请在微信中打开此页面后登录', en: 'Please open this page in WeChat to log in.' },
  failed: { zh: '登录失败，请重试', en: 'The login failed. Please try again.' },
};

const LABELS: Readonly<Record<PageLanguage, { title: string; retry: string; home: string; continue: string }>> = {
  zh: { title: '登录未完成', retry: '重新登录', home: '返回首页', continue: '继续' },
  en: { title: 'Login not completed', retry: 'Try again', home: 'Home', continue: 'Continue' },
};

/**
 * The page's language from `Accept-Language`: English when the browser ranks `en` (any region)
 * above `zh`, or lists it first at the same weight; Chinese otherwise — our end users are Chinese,
 * so no header, `*` or only other languages keep Chinese.
 */
export function pageLanguage(acceptLanguage: string | undefined): PageLanguage {
  const best: Record<PageLanguage, { q: number; at: number }> = { zh: { q: 0, at: Infinity }, en: { q: 0, at: Infinity } };
  (acceptLanguage ?? '').split(',').forEach((part, at) => {
    const [range = '', ...params] = part.trim().split(';');
    const primary = range.trim().toLowerCase().split('-')[0];
    if (primary !== 'zh' && primary !== 'en') return;
    const qParam = params.map((p) => p.trim()).find((p) => /^q=/i.test(p));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0 || q > 1) return;
    if (q > best[primary].q) best[primary] = { q, at };
  });
  const { zh, en } = best;
  return en.q > zh.q || (en.q > 0 && en.q === zh.q && en.at < zh.at) ? 'en' : 'zh';
}

/** The case of `error`. `cancelled`: the callback came back without a code (the user pressed Deny). */
export function loginFailure(error: WxAuthError, cancelled = false): LoginFailure {
  switch (error.code) {
    case 'args_error':
      return cancelled ? 'cancelled' : 'failed';
    case 'state_error':
      return 'expired';
    case 'auth_error':
      // errcode -1 / 45011 (busy, rate-limited) are WeChat being unavailable, not a bad code (503).
      return error.status >= 500 ? 'unreachable' : 'invalid';
    case 'network_error':
    case 'token_error':
      return 'unreachable';
    case 'snapshot_user':
      return 'snapshot';
    default:
      return 'failed';
  }
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// Inline and tiny: the page must render on a phone with no network beyond our own answer.
const STYLE =
  'body{margin:0;font:16px/1.6 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:#222;background:#f6f7f9}' +
  'main{box-sizing:border-box;max-width:28rem;margin:18vh auto 0;padding:2rem 1.5rem;background:#fff;border-radius:12px;text-align:center}' +
  'h1{margin:0 0 1.5rem;font-size:1.15rem;font-weight:600}' +
  'a{display:block;margin:.75rem 0 0;padding:.7rem 1rem;border-radius:8px;text-decoration:none;color:#07c160;border:1px solid #07c160}' +
  'a.primary{color:#fff;background:#07c160}';
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
/** Only our inline style (by hash) may apply; nothing loads, nothing runs. */
export const ERROR_PAGE_CSP = `default-src 'none'; style-src ${sha256(STYLE)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export interface ErrorPageInput {
  failure: LoginFailure;
  lang: PageLanguage;
  /** "Try again": the login start for the same action / next, root-relative. None when unknown. */
  retry?: string | undefined;
  /** "Home". Default `/`. */
  home?: string;
}

/** The default error page: one sentence, "try again" and "home", `lang` set, no code, no stack. */
export function renderErrorPage({ failure, lang, retry, home = '/' }: ErrorPageInput): string {
  const label = LABELS[lang];
  const sentence = LOGIN_FAILURE_TEXT[failure][lang];
  const retryLink = retry ? `<a class="primary" href="${escapeHtml(retry)}">${label.retry}</a>` : '';
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${label.title}</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(sentence)}</h1>${retryLink}<a href="${escapeHtml(home)}">${label.home}</a></main></body></html>
`;
}

/**
 * Why a page and not a 302 to `next`: WeChat's authorize URL must end with `#wechat_redirect`,
 * and a browser carries a URL's fragment through every redirect whose `Location` has none
 * (RFC 7231 §7.1.2; the Fetch standard does the same). WeChat's 302 brings it to our callback,
 * and our own 302 would bring it on to `next`. A `Location` with a fragment of its own wins, but
 * `next#` still leaves a bare `#` in the address bar. A navigation the page starts itself is not
 * a redirect and inherits nothing: `location.replace` (no history entry, so Back does not land on
 * a used callback), with a meta refresh for when scripts are off, and a link.
 * The callback URL carries the code: `no-referrer` keeps it out of `next`'s Referer.
 */
export function renderLandingPage(next: string, lang: PageLanguage): { html: string; csp: string } {
  const script = `location.replace(${JSON.stringify(next).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')})`;
  const href = escapeHtml(next);
  const html = `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${href}"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${LABELS[lang].continue}</title><script>${script}</script></head>
<body><a href="${href}">${LABELS[lang].continue}</a></body></html>
`;
  return { html, csp: `default-src 'none'; script-src ${sha256(script)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'` };
}
