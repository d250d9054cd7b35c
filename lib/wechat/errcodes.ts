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
/**
 * Template / subscribe messages: WeChat's answers an app acts on differently. 43101 and 43004:
 * the user cannot be reached with this template (not subscribed, refused, one-time subscription
 * used up, not a follower): ask again, never retry. 47003, 40037, 41030: the message is wrong
 * (a value, the template id, the page): fix the call.
 */
export const MESSAGE_ERRCODES: Readonly<Record<number, { code: ErrorCode; field?: string }>> = {
  43101: { code: 'not_subscribed' },
  43004: { code: 'not_subscribed' },
  47003: { code: 'args_error', field: 'data' },
  40037: { code: 'args_error', field: 'templateId' },
  41030: { code: 'args_error', field: 'page' },
};

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
  40129: 'invalid scene',
  43104: 'appid does not match openid',
  61010: 'the user has not visited the mini program in the last two hours',
  1400001: 'phone-number quota of the mini program used up',
  40003: 'invalid openid',
  40037: 'invalid template_id',
  41030: 'invalid page',
  43004: 'the user does not follow the official account',
  43101: 'the user has not subscribed to this template',
  47003: 'template argument invalid',
  // Mini-program codes, links and shipping info (lib/client/wxacode-api.ts, links-api.ts, shipping-api.ts).
  40097: 'invalid args',
  40159: 'invalid path for the mini-program code',
  40165: 'invalid mini-program page path',
  40169: 'invalid scene length or format',
  40212: 'invalid query',
  44990: 'links generated too fast (per-second limit)',
  45029: 'mini-program code count limit reached (getwxacode: 100 000)',
  85079: 'the mini program has no published version',
  85096: 'scancode_time is reserved and not allowed in page',
  85400: 'long-lived link quota reached',
  85401: 'expire time out of range (more than a minute, at most 30 days)',
  85402: 'invalid env_version',
  10060001: 'payment not found for shipping',
  10060002: 'payment already shipped',
  10060003: 'the one re-upload of shipping info was already used',
  10060004: 'payment not in a state that can be shipped',
  10060005: 'invalid logistics_type',
  10060006: 'only express may be split into parcels',
  10060007: 'is_all_delivered is required for split delivery',
  10060008: 'item_desc is required',
  10060009: 'item_desc too long',
  10060014: 'invalid shipping parameter',
  10060024: 'shipping_list too long',
  10060025: 'express_company too long',
  10060026: 'tracking_no too long',
  268485216: 'upload_time is not RFC 3339',
  268485224: 'invalid delivery_mode',
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
