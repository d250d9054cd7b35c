import { WxAuthError, type ErrorCode } from '../errors';

/** Basic access token invalid / expired: drop it, fetch a new one, retry once. */
export const TOKEN_INVALID_ERRCODES = new Set([40001, 40014, 42001]);
/** System busy: bounded backoff. */
export const BUSY_ERRCODES = new Set([-1]);
/**
 * Wrong appid / secret / unauthorized API / server IP not whitelisted: configuration, fail
 * loudly (never echo the secret).
 */
export const CONFIG_ERRCODES = new Set([40013, 40125, 40164, 41002, 41004, 48001]);
/** Code invalid or used: the user must log in again; never retried. */
export const CODE_ERRCODES = new Set([40029, 40163]);
/** OAuth access / refresh token expired or invalid: re-authorize. */
export const OAUTH_TOKEN_ERRCODES = new Set([42003, 40030, 42002]);
export const RATE_LIMIT_ERRCODES = new Set([45009, 45011]);

/** What the common errcodes mean, in a few words, for messages (WeChat's errmsg stays in `errmsg`). */
export const ERRCODE_MEANINGS: Readonly<Record<number, string>> = {
  [-1]: 'system busy',
  40001: 'invalid access_token',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40029: 'invalid or expired code',
  40030: 'invalid refresh_token',
  40125: 'invalid appsecret',
  40163: 'code already used',
  40164: 'server IP not on the IP whitelist',
  41002: 'appid missing',
  41004: 'appsecret missing',
  42001: 'access_token expired',
  42002: 'refresh_token expired',
  42003: 'code expired',
  45009: 'API daily quota reached',
  45011: 'API per-minute quota reached',
  48001: 'API unauthorized',
};

/** `errcode 40029 (invalid or expired code)`, or `errcode 12345` for one we have no words for. */
export function describeErrcode(errcode: number): string {
  const meaning = Object.prototype.hasOwnProperty.call(ERRCODE_MEANINGS, errcode) ? ERRCODE_MEANINGS[errcode] : undefined;
  return meaning ? `errcode ${errcode} (${meaning})` : `errcode ${errcode}`;
}

/**
 * A WeChat errcode as a `WxAuthError`. `fallback` is the code of the step that failed
 * (e.g. `auth_error` for the code exchange); configuration errcodes always map to
 * `config_error` with status 500, because no user action can fix them.
 *
 * `errmsg` must already be scrubbed of what the request sent (the WeChat client does that);
 * here it is only shortened.
 */
export function errcodeToError(errcode: number, errmsg: string | undefined, fallback: ErrorCode): WxAuthError {
  const safeMsg = sanitizeErrmsg(errmsg);
  if (errcode === 40164) {
    // The IP WeChat saw is in `errmsg` (for the operator); the message, which `toJSON()` shows
    // to clients, does not carry it: it is our egress address, which a visitor has no need for.
    return new WxAuthError(
      'config_error',
      `WeChat answered ${describeErrcode(errcode)}: add this server's egress IP to the app's IP whitelist in the WeChat console ` +
        '(Official Accounts Platform: Settings and Development > Basic Configuration; Mini Program and Open Platform: the development settings). ' +
        "The error's errmsg names the IP WeChat saw",
      { errcode, errmsg: safeMsg, status: 500 },
    );
  }
  if (CONFIG_ERRCODES.has(errcode)) {
    return new WxAuthError('config_error', `WeChat rejected the app configuration: ${describeErrcode(errcode)}`, {
      errcode,
      errmsg: safeMsg,
      status: 500,
    });
  }
  const status = RATE_LIMIT_ERRCODES.has(errcode) || BUSY_ERRCODES.has(errcode) ? 503 : undefined;
  return new WxAuthError(fallback, `WeChat answered ${describeErrcode(errcode)}`, {
    errcode,
    errmsg: safeMsg,
    ...(status ? { status } : {}),
  });
}

/** How much of an errmsg is looked at: the kept part is at most `MAX_ERRMSG` characters anyway. */
const ERRMSG_SCAN = 512;
const MAX_ERRMSG = 120;
/** Where WeChat's request echo starts. No quantifier: one linear scan, whatever the input. */
const ECHO_MARKER = /hint|rid|req_id/i;
const WHITESPACE = /\s/;

/**
 * WeChat's errmsg sometimes echoes request data ("invalid code, hints: [ req_id: … ] rid: …").
 * Keep only the leading words (at most 120 characters), cut before the first `hint` / `rid` /
 * `req_id` together with the whitespace and the one comma before it.
 *
 * Linear in the input: it is bounded first, then searched for a literal alternation, and the
 * separator is trimmed by a loop, not by a pattern that could backtrack.
 */
export function sanitizeErrmsg(errmsg: string | undefined): string | undefined {
  if (errmsg === undefined) return undefined;
  const text = String(errmsg).slice(0, ERRMSG_SCAN);
  const marker = text.search(ECHO_MARKER);
  let end = marker === -1 ? text.length : marker;
  if (marker !== -1) {
    while (end > 0 && WHITESPACE.test(text[end - 1]!)) end--;
    if (end > 0 && text[end - 1] === ',') end--;
  }
  return text.slice(0, Math.min(end, MAX_ERRMSG));
}
