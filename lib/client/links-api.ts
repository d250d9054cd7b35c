import type { ClientCore } from './core';
import { argsError, mapArgsErrcodes, optionalBool, optionalEnvVersion, optionalInt, optionalPage, requireText, type EnvVersion } from './api-args';

/**
 * When a link stops working. WeChat caps every URL Link and URL Scheme at 30 days (since
 * 2022-04-11 there are no permanent ones); give at most one of the two, or neither for 30 days.
 */
export interface LinkExpiry {
  /** The moment it expires (a `Date`, or Unix seconds): more than a minute and at most 30 days from now. */
  expireTime?: Date | number;
  /** Days until it expires, 1–30. */
  expireInterval?: number;
}

/** Where a link lands in the mini program. */
export interface LinkTarget {
  /** A page of the published version, `pages/item/item` (no leading `/`, no query). Default: the home page. */
  path?: string;
  /** The page's query, `id=42&from=sms`: at most 1024 characters of `0-9 A-Z a-z !#$&'()*+,/:;=?@-._~%`. */
  query?: string;
  /** `release` (default), `trial` or `develop`. */
  envVersion?: EnvVersion;
}

export type UrlLinkInput = LinkTarget & LinkExpiry;
export type UrlSchemeInput = LinkTarget & LinkExpiry;

export interface ShortLinkInput {
  /** Page and query, `pages/item/item?id=42`: at most 1024 characters. */
  pageUrl: string;
  /** Shown with the link in WeChat (longer titles are cut by WeChat). */
  pageTitle?: string;
  /** A permanent link (WeChat caps those at 100 000) instead of one valid for 30 days. Default false. */
  isPermanent?: boolean;
}

/** Links that open the mini program from outside it. */
export interface LinksApi {
  /** `wxa/generate_urllink`: an `https://wxaurl.cn/…` link that opens the mini program from a browser, SMS or email. */
  urlLink(input?: UrlLinkInput, appid?: string): Promise<{ urlLink: string }>;
  /** `wxa/generatescheme`: a `weixin://dl/business/?t=…` URL Scheme, for an app or page that can open WeChat. */
  urlScheme(input?: UrlSchemeInput, appid?: string): Promise<{ openlink: string }>;
  /** `wxa/genwxashortlink`: a `#小程序://…` Short Link to paste into a WeChat chat. */
  shortLink(input: ShortLinkInput, appid?: string): Promise<{ link: string }>;
}

const QUERY = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$/;
const MINUTE_S = 60;
const MAX_DAYS = 30;
/** Invalid args, page path, query, expiry, env_version, short-link page_url. */
const LINK_ARGS_ERRCODES: ReadonlySet<number> = new Set([40097, 40165, 40212, 85401, 85402, 40066]);

function targetBody(input: LinkTarget): { path?: string; query?: string; env_version?: EnvVersion } {
  const path = optionalPage(input.path, 'path');
  let query: string | undefined;
  if (input.query !== undefined) {
    if (typeof input.query !== 'string' || [...input.query].length > 1024 || !QUERY.test(input.query)) {
      throw argsError('query', "must be at most 1024 characters of 0-9, A-Z, a-z and !#$&'()*+,/:;=?@-._~%");
    }
    query = input.query;
  }
  const envVersion = optionalEnvVersion(input.envVersion);
  return { ...(path ? { path } : {}), ...(query ? { query } : {}), ...(envVersion ? { env_version: envVersion } : {}) };
}

/** The expiry fields of both generate calls (`expire_type` 0 = at a time, 1 = after days). */
export function expiryBody(input: LinkExpiry, nowMs: number): Record<string, unknown> {
  if (input.expireTime !== undefined && input.expireInterval !== undefined) throw argsError('expireTime', 'and "expireInterval" cannot both be given');
  if (input.expireInterval !== undefined) {
    return { is_expire: true, expire_type: 1, expire_interval: optionalInt(input.expireInterval, 'expireInterval', 1, MAX_DAYS) };
  }
  if (input.expireTime !== undefined) {
    const t = input.expireTime;
    const seconds = t instanceof Date ? Math.floor(t.getTime() / 1000) : t;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds)) throw argsError('expireTime', 'must be a Date or Unix seconds');
    const now = Math.floor(nowMs / 1000);
    if (seconds <= now + MINUTE_S || seconds > now + MAX_DAYS * 86_400) throw argsError('expireTime', 'must be more than a minute and at most 30 days from now');
    return { is_expire: true, expire_type: 0, expire_time: seconds };
  }
  return {};
}

export function urlLinkBody(input: UrlLinkInput = {}, nowMs: number): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) throw argsError('input', 'must be an object');
  return { ...targetBody(input), ...expiryBody(input, nowMs) };
}

export function urlSchemeBody(input: UrlSchemeInput = {}, nowMs: number): Record<string, unknown> {
  if (typeof input !== 'object' || input === null) throw argsError('input', 'must be an object');
  return { jump_wxa: targetBody(input), ...expiryBody(input, nowMs) };
}

export function shortLinkBody(input: ShortLinkInput): Record<string, unknown> {
  if (!input || typeof input !== 'object') throw argsError('pageUrl', 'is required');
  const pageUrl = requireText(input.pageUrl, 'pageUrl', 1024)!;
  if (pageUrl.startsWith('/')) throw argsError('pageUrl', 'must not start with "/" (e.g. "pages/item/item?id=42")');
  const pageTitle = input.pageTitle === undefined ? undefined : requireText(input.pageTitle, 'pageTitle', 1024);
  const isPermanent = optionalBool(input.isPermanent, 'isPermanent');
  return { page_url: pageUrl, ...(pageTitle ? { page_title: pageTitle } : {}), ...(isPermanent !== undefined ? { is_permanent: isPermanent } : {}) };
}

function stringField(answer: Record<string, unknown>, field: string): string {
  const value = answer[field];
  return typeof value === 'string' ? value : '';
}

export function linksApi(core: ClientCore): LinksApi {
  // Each call makes a new link (and counts against WeChat's daily quota): not retried on -1.
  const post = (appid: string | undefined, path: string, body: Record<string, unknown>) =>
    mapArgsErrcodes(LINK_ARGS_ERRCODES, () => core.post(core.miniprogramAppidOf(appid), path, body, { errorCode: 'wechat_error' }));
  return {
    async urlLink(input, appid) {
      const answer = await post(appid, '/wxa/generate_urllink', urlLinkBody(input, core.ctx.now()));
      return { urlLink: stringField(answer, 'url_link') };
    },
    async urlScheme(input, appid) {
      const answer = await post(appid, '/wxa/generatescheme', urlSchemeBody(input, core.ctx.now()));
      return { openlink: stringField(answer, 'openlink') };
    },
    async shortLink(input, appid) {
      const answer = await post(appid, '/wxa/genwxashortlink', shortLinkBody(input));
      return { link: stringField(answer, 'link') };
    },
  };
}
