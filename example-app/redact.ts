/** A URL without its password (REDIS_URL and DATABASE_URL may hold one): safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href.replace(/\/$/, '');
  } catch {
    return 'unparsable URL';
  }
}
