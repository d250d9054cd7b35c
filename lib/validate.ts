import { z } from 'zod';
import { WxAuthError } from './errors';

/**
 * Parse options with a zod schema; the first problem becomes a `config_error` that names the
 * field (`"pay.mchid" must be a string of digits`) and, for an unknown key, suggests the
 * nearest known one. Messages never include the received value: it may be a secret.
 */
export function validateOptions<T>(schema: z.ZodType, value: unknown, root = ''): T {
  const result = schema.safeParse(value);
  // The caller's own object is returned (not zod's copy): clients, Buffers and functions keep their identity.
  if (result.success) return value as T;
  // An unknown key first: `{ appid, secert }` should suggest "secret", not report it missing.
  const issues = result.error.issues;
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const field = path ? `${path}.${key}` : key;
    const known = knownKeys(schema, issue.path);
    const hint = nearest(key, known);
    throw new WxAuthError('config_error', `"${field}" is not a known option${hint ? `; did you mean "${hint}"?` : ''}`, { field });
  }
  // zod leaves `issue.input` out unless asked to report inputs (which could leak a secret).
  const missing = issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined;
  const message = missing ? 'is required' : issue.message && !/^Invalid /.test(issue.message) ? issue.message : describe(issue);
  throw new WxAuthError('config_error', `"${path || 'options'}" ${message}`, { field: path });
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `must be ${article(issue.expected)}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return 'is invalid';
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let node = value;
  for (const segment of path) node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[segment] : undefined;
  return node;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function knownKeys(schema: z.ZodType, path: PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const segment of path) node = unwrap(node)?.shape?.[segment as string];
  return Object.keys(unwrap(node)?.shape ?? {});
}

function unwrap(node: unknown): { shape?: Record<string, unknown> } | undefined {
  let current = node as { shape?: Record<string, unknown>; unwrap?: () => unknown; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; i < 5 && current && !current.shape; i++) current = (current.def?.innerType ?? current.unwrap?.()) as typeof current;
  return current;
}

function nearest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Reusable field schemas with messages that say what is expected. */
export const fields = {
  appid: z.string({ error: 'must be a string (the AppID, e.g. "wx1234567890abcdef")' }).regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be an AppID such as "wx1234567890abcdef"'),
  secret: z.string({ error: 'must be a string (the AppSecret)' }).min(1, 'must not be empty'),
  url: z.string({ error: 'must be a URL string' }).refine((v) => /^https?:\/\/[^/\s]+/i.test(v), 'must be an absolute http(s) URL'),
};
