import { WxAuthError } from '../errors';

/**
 * Small checks for server-API inputs (mini-program codes, links, shipping): each failure is an
 * `args_error` naming the field, thrown before any token is fetched or any call is made.
 */
export function argsError(field: string, message: string): WxAuthError {
  return new WxAuthError('args_error', `"${field}" ${message}`, { field });
}

/** `value` as a non-empty string of at most `max` characters (or bytes, with `bytes: true`). */
export function requireText(value: unknown, field: string, max: number, options: { bytes?: boolean; optional?: boolean } = {}): string | undefined {
  if (value === undefined && options.optional) return undefined;
  if (typeof value !== 'string' || !value) throw argsError(field, 'must be a non-empty string');
  const size = options.bytes ? Buffer.byteLength(value, 'utf8') : [...value].length;
  if (size > max) throw argsError(field, `must be at most ${max} ${options.bytes ? 'bytes' : 'characters'}`);
  return value;
}

/** An integer in `[min, max]`, or undefined when left out. */
export function optionalInt(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw argsError(field, `must be an integer from ${min} to ${max}`);
  return value;
}

export function optionalBool(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw argsError(field, 'must be true or false');
  return value;
}

export type EnvVersion = 'release' | 'trial' | 'develop';
const ENV_VERSIONS: ReadonlySet<string> = new Set(['release', 'trial', 'develop']);

export function optionalEnvVersion(value: unknown, field = 'envVersion'): EnvVersion | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ENV_VERSIONS.has(value)) throw argsError(field, 'must be "release", "trial" or "develop"');
  return value as EnvVersion;
}

/**
 * A mini-program page path as WeChat wants it: `pages/index/index`, no leading `/` and no query
 * (WeChat answers 41030 / 40165 for those, long after the mistake was made).
 */
export function optionalPage(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  const page = requireText(value, field, 1024)!;
  if (page.startsWith('/')) throw argsError(field, 'must not start with "/" (e.g. "pages/index/index")');
  if (page.includes('?')) throw argsError(field, 'must not carry a query string (pass it separately)');
  return page;
}

/**
 * Rethrow WeChat errcodes that mean "this input is wrong" as `args_error` (status 400), keeping
 * `errcode` and `errmsg`; anything else unchanged.
 */
export async function mapArgsErrcodes<T>(errcodes: ReadonlySet<number>, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WxAuthError && error.code !== 'args_error' && errcodes.has(Number(error.errcode))) {
      throw new WxAuthError('args_error', error.message, {
        errcode: error.errcode!,
        ...(error.errmsg !== undefined ? { errmsg: error.errmsg } : {}),
        cause: error,
      });
    }
    throw error;
  }
}
