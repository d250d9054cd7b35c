/**
 * Secrets out of what an upstream answered. A proxy, a mock or a misbehaving gateway may echo
 * the request (its URL, its query, its JSON body) into `errmsg`; what we sent in that request —
 * the AppSecret, the code, the tokens — must not come back to us inside an error, a log line
 * or an `onError` hook. Plain string search, no pattern: linear whatever the input.
 */

export const MASK = '***';

/** Query / body fields whose values are secret (WeChat's names), whatever their case. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'secret',
  'appsecret',
  'component_appsecret',
  'code',
  'js_code',
  'auth_code',
  'pre_auth_code',
  'access_token',
  'refresh_token',
  'component_access_token',
  'component_verify_ticket',
  'authorizer_access_token',
  'authorizer_refresh_token',
  'ticket',
  'session_key',
  'key',
]);

/** The fields among `SECRET_FIELDS` that hold an app's long-lived secret (not a per-request value). */
export const APP_SECRET_FIELDS: ReadonlySet<string> = new Set(['secret', 'appsecret', 'component_appsecret']);

/** The string values of secret fields of a query or JSON body (nested objects too, a few levels). */
export function secretValuesOf(source: unknown, fields: ReadonlySet<string> = SECRET_FIELDS, out: string[] = [], depth = 0): string[] {
  if (!source || typeof source !== 'object' || depth > 3) return out;
  for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
    if (typeof v === 'string') {
      if (v && fields.has(k.toLowerCase())) out.push(v);
    } else if (v && typeof v === 'object') {
      secretValuesOf(v, fields, out, depth + 1);
    }
  }
  return out;
}

/**
 * Every way a value may appear in an echo: as sent in a JSON body, percent-encoded the way
 * `URLSearchParams`, `encodeURIComponent` and axios's serializer each write it (upper- and
 * lower-case hex). Longest first, so a secret containing another is masked whole.
 */
export function secretForms(values: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    const uri = encodeURIComponent(value);
    const form = new URLSearchParams([['', value]]).toString().slice(1);
    const axiosStyle = uri.replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').replace(/%5B/gi, '[').replace(/%5D/gi, ']');
    const json = JSON.stringify(value).slice(1, -1);
    for (const f of [value, uri, form, axiosStyle, json]) {
      forms.add(f);
      forms.add(f.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
  }
  return [...forms].filter(Boolean).sort((a, b) => b.length - a.length);
}

/**
 * `text` with each of `forms` replaced by `***`. Only the first `limit` characters are kept
 * (nothing after them is ever shown), and when the text is cut there, a trailing piece that
 * could be the start of a secret is dropped too, so no prefix of one survives the cut.
 */
export function scrubText(text: string, forms: readonly string[], limit = 512): string {
  let out = text;
  if (out.length > limit) {
    out = out.slice(0, limit);
    for (let changed = true; changed; ) {
      changed = false;
      for (const f of forms) {
        for (let k = Math.min(f.length - 1, out.length); k > 0; k--) {
          if (out.endsWith(f.slice(0, k))) {
            out = out.slice(0, out.length - k);
            changed = true;
            break;
          }
        }
      }
    }
  }
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(MASK);
  return out;
}
