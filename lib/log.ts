/**
 * Where the package reports what it does. Never given a secret, code or token: callers log
 * identifiers that are safe (appid, action, error code) and nothing else.
 */
export interface Logger {
  debug?(message: string, meta?: Record<string, unknown>): void;
  info?(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  warn: (message, meta) => console.warn(`express-wxauth: ${message}`, meta ?? ''),
  error: (message, meta) => console.error(`express-wxauth: ${message}`, meta ?? ''),
};

const SENSITIVE = /secret|token|ticket|code|key|session|sign|password|passphrase|pfx|cert/i;

/** A shallow copy with sensitive-looking fields masked, for log metadata. */
export function redact(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) out[k] = SENSITIVE.test(k) && v !== undefined ? '[redacted]' : v;
  return out;
}
