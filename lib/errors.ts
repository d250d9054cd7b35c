/**
 * Every failure the package reports is a `WxAuthError` with a stable `code` from `ErrorCodes`.
 * WeChat's own `errcode`/`errmsg` are kept as fields, never folded into the message, and the
 * message never contains a secret, code or token (callers pass only safe text).
 */
export const ErrorCodes = {
  /** An option passed to `wxauth()` / `createPay()` is missing or malformed. */
  CONFIG: 'config_error',
  /** The request lacks or has malformed arguments (e.g. the user refused consent: no `code`). */
  ARGS: 'args_error',
  /** OAuth `state` missing, forged, replayed, expired or from another browser. */
  STATE: 'state_error',
  /** WeChat refused the code exchange (invalid / used code, wrong app). */
  AUTH: 'auth_error',
  /** The OAuth access token could not be used or refreshed. */
  ACCESS: 'access_error',
  /** The profile (`/sns/userinfo`) could not be read. */
  USERINFO: 'userinfo_error',
  /** `is_snapshotuser: 1` — a virtual user from a snapshot page; never bind an account to it. */
  SNAPSHOT_USER: 'snapshot_user',
  /** A WeChat API answered with an errcode not covered by a more specific code. */
  WECHAT: 'wechat_error',
  /** WeChat could not be reached, timed out, or answered with something that is not its API. */
  NETWORK: 'network_error',
  /** The basic access token or jsapi_ticket could not be obtained. */
  TOKEN: 'token_error',
  /** A URL (`next`, page URL to sign) is not an allowed target. */
  URL_NOT_ALLOWED: 'url_not_allowed',
  /** The store (memory / Redis) failed. */
  STORE: 'store_error',
  /** A login is required for this route. */
  LOGIN_REQUIRED: 'login_required',
  /** WeChat Pay: the response or notify signature does not verify. */
  SIGN: 'sign_error',
  /** WeChat Pay: XML is malformed, too large, or carries a DOCTYPE / ENTITY. */
  XML: 'xml_error',
  /** WeChat Pay: `return_code` or `result_code` is FAIL (the WeChat code is in `errcode`). */
  PAY: 'pay_error',
  /** Mini program: decryption failed or the watermark is not ours. */
  DECRYPT: 'decrypt_error',
  /** Message server: a signed request replayed (nonce seen before) or outside the timestamp window. */
  REPLAY: 'replay_error',
  /** Mini program phone number: the code from the getPhoneNumber button is invalid, expired or used (40029). */
  PHONE_CODE_INVALID: 'phone_code_invalid',
  /** Mini program phone number: the paid component's quota is used up (1400001). */
  PHONE_QUOTA_EXHAUSTED: 'phone_quota_exhausted',
  /**
   * Subscribe / template message: the user has not subscribed to this template, refused it, used
   * up a one-time subscription (43101), or does not follow the official account (43004).
   */
  NOT_SUBSCRIBED: 'not_subscribed',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface WxAuthErrorOptions {
  /** WeChat's numeric errcode (API) or string err_code (Pay), when WeChat gave one. */
  errcode?: number | string;
  /** WeChat's errmsg / return_msg / err_code_des. */
  errmsg?: string;
  /** The HTTP status a router should answer with; defaults from the code. */
  status?: number;
  /** The option path at fault, for `config_error`. */
  field?: string;
  cause?: unknown;
}

/**
 * The brand every `WxAuthError` carries (non-enumerable). `Symbol.for` is one symbol per process,
 * so the CommonJS and ES-module builds — two copies of this class when an app loads both, or two
 * versions in a dependency tree — recognise each other's errors. Its value is the most derived
 * of our classes the error is an instance of.
 */
const BRAND = Symbol.for('express-wxauth.error');
type Brand = 'WxAuthError' | 'WxPayError';

/** The brand of `value`, if it has one; never throws (a hostile getter or Proxy reads as none). */
function brandOf(value: unknown): Brand | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    const brand: unknown = (value as Record<symbol, unknown>)[BRAND];
    return brand === 'WxAuthError' || brand === 'WxPayError' ? brand : undefined;
  } catch {
    return undefined;
  }
}

function brand(error: Error, value: Brand): void {
  Object.defineProperty(error, BRAND, { value, enumerable: false, writable: false, configurable: true });
}

const DEFAULT_STATUS: Partial<Record<ErrorCode, number>> = {
  config_error: 500,
  args_error: 400,
  state_error: 400,
  auth_error: 400,
  access_error: 400,
  userinfo_error: 400,
  snapshot_user: 403,
  wechat_error: 502,
  network_error: 502,
  token_error: 502,
  url_not_allowed: 400,
  store_error: 503,
  login_required: 401,
  sign_error: 400,
  xml_error: 400,
  pay_error: 502,
  decrypt_error: 400,
  replay_error: 403,
  phone_code_invalid: 400,
  phone_quota_exhausted: 503,
  not_subscribed: 403,
};

export class WxAuthError extends Error {
  /**
   * One of `ErrorCodes`; for a `WxPayError` reporting a business FAIL it is WeChat Pay's own
   * `err_code` (e.g. `ORDERPAID`) or `return_msg`, which are stable too.
   */
  readonly code: ErrorCode | (string & {});
  readonly errcode?: number | string;
  readonly errmsg?: string;
  readonly status: number;
  readonly field?: string;

  constructor(code: ErrorCode | (string & {}), message: string, options: WxAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WxAuthError';
    this.code = code;
    if (options.errcode !== undefined) this.errcode = options.errcode;
    if (options.errmsg !== undefined) this.errmsg = options.errmsg;
    if (options.field !== undefined) this.field = options.field;
    this.status = options.status ?? DEFAULT_STATUS[code as ErrorCode] ?? 500;
    brand(this, 'WxAuthError');
  }

  /**
   * `instanceof` that also holds for an error from another copy of this package (its CommonJS
   * and ES-module builds, or two installed versions): an object branded as ours. A subclass you
   * declare yourself keeps plain prototype `instanceof`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const found = brandOf(value);
    if (!found) return false;
    if (this === WxAuthError) return true;
    return this === WxPayError && found === 'WxPayError';
  }

  /** What may be shown to a client: the code and a message, nothing from inside. */
  toJSON(): { error: string; message: string; errcode?: number | string } {
    return { error: this.code, message: this.message, ...(this.errcode === undefined ? {} : { errcode: this.errcode }) };
  }
}

/** WeChat Pay failures keep the (verified or raw) response fields for the caller to inspect. */
export class WxPayError extends WxAuthError {
  readonly response?: Record<string, string>;

  constructor(code: ErrorCode | (string & {}), message: string, options: WxAuthErrorOptions & { response?: Record<string, string> } = {}) {
    super(code, message, options);
    this.name = 'WxPayError';
    if (options.response) this.response = options.response;
    brand(this, 'WxPayError');
  }
}

/**
 * Whether `value` is a `WxAuthError` (or `WxPayError`) — from this copy of the package or from
 * another one (the CommonJS and ES-module builds loaded side by side), by its brand.
 */
export function isWxAuthError(value: unknown): value is WxAuthError {
  return brandOf(value) !== undefined || value instanceof WxAuthError;
}
