import { WxAuthError } from '../errors';

/**
 * Which page URLs `/weixin-config.js` may sign: pages on the app's own host or on an
 * `allowedRedirects` origin (scheme, host and port must match). The app's own host is the
 * `baseUrl` host (port ignored, scheme ignored since TLS often ends at a proxy); without
 * `baseUrl` it is the request's host — but only outside production, because whoever sends the
 * request chooses its `Host` header, and would get our ticket's signature for their own page.
 * In production without `baseUrl` only `allowedRedirects` origins are signed, and with none of
 * those either the router refuses to start. Anything else — another host, userinfo tricks,
 * backslashes, control characters, huge inputs — is refused, so the endpoint is never a signing
 * oracle for someone else's page.
 */
export interface PageUrlPolicy {
  /** Lower-case hostname of `baseUrl`; undefined: the request's host if `requestHost`, else none. */
  appHostname?: string;
  /** No `baseUrl` and not production: pages on the request's own host are signed. */
  requestHost: boolean;
  /** Normalised origins (`https://m.example.com`, default port dropped). */
  origins: ReadonlySet<string>;
}

export type PageUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

/** Longer than any page URL a browser sends for this; refusing early bounds the work. */
export const MAX_PAGE_URL = 4096;

// scheme, then the authority up to the first / ? # (a backslash stays in it and fails the host test).
const URL_START = /^(https?):\/\/([^/?#]*)/i;
const HOST_PORT = /^((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u0020\u007f]/;

/**
 * The policy from `baseUrl` and `allowedRedirects` (both validated as http(s) URLs at start-up).
 * `production` (`NODE_ENV=production`, read by the caller) without `baseUrl` and without any
 * `allowedRedirects` origin is a `config_error`: there would be no page the endpoint may sign.
 */
export function createPageUrlPolicy(baseUrl: string | undefined, allowedRedirects: readonly string[] = [], production = false): PageUrlPolicy {
  // WHATWG URL here (start-up only): it lower-cases, drops default ports and punycodes, as the
  // browser does for the location.href we compare against.
  const origins = new Set<string>();
  for (const entry of allowedRedirects) {
    const origin = urlOrUndefined(entry)?.origin;
    if (origin && origin !== 'null') origins.add(origin);
  }
  const appHostname = baseUrl ? urlOrUndefined(baseUrl)?.hostname : undefined;
  if (!appHostname && production && origins.size === 0) {
    throw new WxAuthError(
      'config_error',
      '"baseUrl" is required in production for /weixin-config.js (or list the page origins to sign in "allowedRedirects"): the request\'s Host header cannot say which pages are ours',
      { field: 'baseUrl' },
    );
  }
  return { ...(appHostname ? { appHostname } : {}), requestHost: !appHostname && !production, origins };
}

function urlOrUndefined(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Check a page URL (from `?url=` or the Referer). `requestHostname` is the request's own host
 * (trust-proxy aware, e.g. Express's `req.hostname`), used when the policy says `requestHost`.
 * On success the URL comes back without its fragment and otherwise exactly as given.
 */
export function checkPageUrl(raw: unknown, requestHostname: string | undefined, policy: PageUrlPolicy): PageUrlCheck {
  if (typeof raw !== 'string' || raw === '') {
    return { ok: false, reason: 'no page URL: pass ?url=<the page URL without #…> or let the browser send a Referer' };
  }
  if (raw.length > MAX_PAGE_URL) return { ok: false, reason: 'the page URL is too long' };
  const hash = raw.indexOf('#');
  const url = hash === -1 ? raw : raw.slice(0, hash);
  const parsed = CONTROL.test(url) ? undefined : parseOrigin(url);
  if (!parsed) return { ok: false, reason: 'the page URL must be an absolute http(s) URL' };
  const appHostname = policy.appHostname ?? (policy.requestHost ? requestHostname?.toLowerCase() : undefined);
  if (parsed.hostname === appHostname || policy.origins.has(parsed.origin)) return { ok: true, url };
  if (!policy.appHostname && !policy.requestHost) return { ok: false, reason: 'the page URL is not on an allowedRedirects origin (set baseUrl to sign pages on this site)' };
  return { ok: false, reason: 'the page URL is not on this site or an allowedRedirects origin' };
}

/** `scheme://host[:port]` of an http(s) URL, lower-cased, default port dropped; undefined if malformed. */
export function parseOrigin(url: string): { origin: string; hostname: string } | undefined {
  const start = URL_START.exec(url);
  if (!start) return undefined;
  const hostPort = HOST_PORT.exec(start[2]!);
  if (!hostPort) return undefined;
  const scheme = start[1]!.toLowerCase();
  const hostname = hostPort[1]!.toLowerCase();
  const port = hostPort[2];
  const defaultPort = (scheme === 'https' && port === '443') || (scheme === 'http' && port === '80');
  return { origin: `${scheme}://${hostname}${port && !defaultPort ? `:${port}` : ''}`, hostname };
}
