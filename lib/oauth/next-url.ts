/**
 * The `next` guard: where a login may send the browser afterwards. Only same-origin paths, plus
 * absolute http(s) URLs on an origin listed in `allowedRedirects`. Anything else — `//evil.com`,
 * `/\evil.com`, `https://evil.com`, `javascript:…`, `/%2F%2Fevil.com`, `http:evil.com`, control
 * characters, whitespace, backslashes — becomes the fallback (`/`). Pure: no Express, no I/O.
 */
export interface NextUrlPolicy {
  /** Our own origin, e.g. `https://shop.example.com`. */
  origin: string;
  /** Extra origins (or URLs on them) that `next` may point to. */
  allowedRedirects?: readonly string[];
  /** What unsafe input becomes. Default `/`. */
  fallback?: string;
}

const MAX_LENGTH = 2048;
// C0 controls, DEL, C1 controls, any whitespace (URL parsers strip or reinterpret these) and backslash
// (browsers treat `\` as `/` in http(s) URLs, so `/\evil.com` is `//evil.com`).
// eslint-disable-next-line no-control-regex
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\s\\]/;
const PROTOCOL_RELATIVE = /^[/\\]{2}|^\/\\|^\\/;

/** Origins from `allowedRedirects` entries; malformed entries are ignored (validated at start-up). */
export function allowedOrigins(list: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  for (const entry of list) {
    try {
      out.add(new URL(entry).origin);
    } catch {
      // validated by the options schema; ignore here
    }
  }
  return out;
}

/** A safe `next`: a same-origin path (`/…`) or an absolute URL on an allowed origin. */
export function safeNextUrl(next: unknown, policy: NextUrlPolicy): string {
  const fallback = policy.fallback ?? '/';
  if (typeof next !== 'string' || next === '' || next.length > MAX_LENGTH) return fallback;
  if (UNSAFE_CHAR.test(next) || decodesToUnsafe(next)) return fallback;
  const origin = new URL(policy.origin).origin;

  if (next.startsWith('/')) {
    if (PROTOCOL_RELATIVE.test(next)) return fallback;
    return samePath(next, origin) ?? fallback;
  }

  // Absolute URL: scheme http(s) followed by `//` (so `http:evil.com` is refused), no credentials.
  if (!/^https?:\/\//i.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    return fallback;
  }
  if (url.username || url.password) return fallback;
  if (url.origin === origin) return samePath(url.pathname + url.search + url.hash, origin) ?? fallback;
  return allowedOrigins(policy.allowedRedirects).has(url.origin) ? url.href : fallback;
}

/** `path` resolved against our origin, normalised, and still a plain path on it. */
function samePath(path: string, origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(path, origin);
  } catch {
    return undefined;
  }
  if (url.origin !== origin) return undefined;
  const out = url.pathname + url.search + url.hash;
  // Dot-segments can normalise to `//host` (`/.//evil.com`): check the result, not only the input.
  return PROTOCOL_RELATIVE.test(out) ? undefined : out;
}

/**
 * Percent-encoded tricks: `/%2F%2Fevil.com`, `/%5Cevil.com`, `%0d%0a` — harmless to a browser
 * that treats them literally, but servers and frameworks further on decode them. Refuse any
 * input whose decoded forms (up to three rounds) start like a protocol-relative URL or carry
 * control characters.
 */
function decodesToUnsafe(value: string): boolean {
  let current = value;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      return true; // malformed escapes: not a URL we produced
    }
    // eslint-disable-next-line no-control-regex
    if (PROTOCOL_RELATIVE.test(current) || /[\u0000-\u001f\u007f]/.test(current)) return true;
  }
  return false;
}
