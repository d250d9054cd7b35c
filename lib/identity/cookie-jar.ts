import type { Request } from 'express';
import { consoleLogger, type Logger } from '../log';

/**
 * Reading our cookies from the `Cookie` header (no cookie-parser needed), and their names.
 *
 * A browser sends every cookie that matches the request: one set by us (`Path=/`, host-only)
 * and one planted by a sibling subdomain (`Domain=.example.com`) or an http page, possibly with
 * a more specific `Path` so that it is listed first (RFC 6265 §5.4). Whichever copy a parser
 * picks, an attacker can arrange for it to be theirs — and a validly sealed or signed value from
 * the attacker's own login is exactly a login CSRF. So a name that appears more than once reads
 * as absent: the login fails closed rather than guessing.
 */

let warnedDuplicate = false;

/** One cookie from the request, or undefined when absent, malformed or sent more than once. */
export function readCookie(req: Request, name: string, logger: Logger = consoleLogger): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || !header) return undefined;
  let raw: string | undefined;
  // The name usually is not there at all: skip the scan.
  if (!header.includes(name)) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (raw !== undefined) {
      if (!warnedDuplicate) {
        warnedDuplicate = true; // once per process: a planted cookie is an attack or a stale deploy, not news per request
        logger.warn('a cookie of ours was sent twice (one may be planted by another subdomain); it is ignored', { cookie: name });
      }
      return undefined;
    }
    raw = part.slice(eq + 1).trim();
  }
  return raw === undefined ? undefined : decodeValue(raw);
}

/** As the `cookie` package decodes: surrounding quotes dropped, percent-escapes decoded when valid. */
function decodeValue(raw: string): string {
  let value = raw;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * `__Host-<name>` over HTTPS: browsers only accept such a cookie when it is `Secure`, has
 * `Path=/` and no `Domain` — so no sibling subdomain and no http page can set or overwrite it.
 * Over plain http (development, the simulator) the prefix would make browsers drop the cookie,
 * so the plain name is used.
 */
export function hostCookieName(name: string, secure: boolean): string {
  return secure ? `__Host-${name}` : name;
}
