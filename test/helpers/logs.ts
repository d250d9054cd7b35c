import type { Logger } from '../../lib/log';

export interface CapturedLogger extends Logger {
  lines: string[];
  /** Everything logged, as one string, for "never contains the secret" assertions. */
  text(): string;
}

/** A logger that keeps every line (message and metadata) in memory. */
export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const push = (level: string) => (message: string, meta?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${meta ? JSON.stringify(meta) : ''}`);
  };
  return { lines, text: () => lines.join('\n'), debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}
