import { WxAuthError, type ErrorCode } from '../errors';

/** Basic access token invalid / expired: drop it, fetch a new one, retry once. */
export const TOKEN_INVALID_ERRCODES = new Set([40001, 40014, 42001]);
/** System busy: bounded backoff. */
export const BUSY_ERRCODES = new Set([-1]);
/** Wrong appid / secret / unauthorized API: configuration, fail loudly (never echo the secret). */
export const CONFIG_ERRCODES = new Set([40013, 40125, 41002, 41004, 48001]);
/** Code invalid or used: the user must log in again; never retried. */
export const CODE_ERRCODES = new Set([40029, 40163]);
/** OAuth access / refresh token expired or invalid: re-authorize. */
export const OAUTH_TOKEN_ERRCODES = new Set([42003, 40030, 42002]);
export const RATE_LIMIT_ERRCODES = new Set([45009, 45011]);

/**
 * A WeChat errcode as a `WxAuthError`. `fallback` is the code of the step that failed
 * (e.g. `auth_error` for the code exchange); configuration errcodes always map to
 * `config_error` with status 500, because no user action can fix them.
 */
export function errcodeToError(errcode: number, errmsg: string | undefined, fallback: ErrorCode): WxAuthError {
  const safeMsg = sanitizeErrmsg(errmsg);
  if (CONFIG_ERRCODES.has(errcode)) {
    return new WxAuthError('config_error', `WeChat rejected the app configuration (errcode ${errcode})`, {
      errcode,
      errmsg: safeMsg,
      status: 500,
    });
  }
  const status = RATE_LIMIT_ERRCODES.has(errcode) || BUSY_ERRCODES.has(errcode) ? 503 : undefined;
  return new WxAuthError(fallback, `WeChat answered errcode ${errcode}`, {
    errcode,
    errmsg: safeMsg,
    ...(status ? { status } : {}),
  });
}

/**
 * WeChat's errmsg sometimes echoes request data ("invalid code, hints: [ req_id: … ] rid: …").
 * Keep only the leading words, which never carry the code or secret.
 */
export function sanitizeErrmsg(errmsg: string | undefined): string | undefined {
  if (errmsg === undefined) return undefined;
  return String(errmsg).split(/,?\s*(?:hint|rid|req_id)/i)[0]!.slice(0, 120);
}
