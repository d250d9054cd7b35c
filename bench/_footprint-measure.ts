/**
 * The store-footprint bench's measuring machinery (bench/store-footprint.ts runs it): a browser
 * with one cookie jar that records every cookie set, and per step the Redis keys added, removed,
 * rewritten and written-then-deleted (MONITOR), with a markdown report.
 */
import http from 'node:http';
import type { RedisClientType } from 'redis';

// ---- a browser: node:http, one cookie jar for all our ports, and the cookies each answer set ----

export interface Reply {
  status: number;
  location: string;
  body: string;
}

export interface CookieWrite {
  name: string;
  /** `name=value`: what the browser sends back on every request. */
  bytes: number;
  /** Max-Age in seconds, or `session` (no Max-Age / Expires), or `cleared`. */
  lifetime: string;
}

export class Http {
  readonly jar = new Map<string, string>();
  readonly cookies: CookieWrite[] = [];

  get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('GET', url, undefined, headers);
  }

  post(url: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('POST', url, body, headers);
  }

  private send(method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<Reply> {
    const target = new URL(url);
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = http.request(
        { method, host: target.hostname, port: target.port, path: target.pathname + target.search, headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }), ...headers } },
        (res) => {
          for (const line of res.headers['set-cookie'] ?? []) this.setCookie(line);
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '', body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private setCookie(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((p) => p.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const maxAge = attributes.find((a) => /^max-age=/i.test(a))?.split('=')[1];
    const expires = attributes.find((a) => /^expires=/i.test(a))?.slice(8);
    const cleared = value === '' || maxAge === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
    if (cleared) this.jar.delete(name);
    else this.jar.set(name, value);
    this.cookies.push({ name, bytes: pair.length, lifetime: cleared ? 'cleared' : maxAge ? `${maxAge} s` : expires ? `until ${expires}` : 'browser session' });
  }
}

// ---- Redis: what a step added, removed and wrote in between ----------------------------------------

interface KeyInfo {
  type: string;
  valueBytes: number;
  keyBytes: number;
  pttl: number;
  memory: number;
  /** The value's JSON field names (never the values: they hold tokens). */
  fields: string;
}

interface Write {
  command: string;
  key: string;
  valueBytes?: number;
  ttlSeconds?: number;
}

export interface Step {
  surface: string;
  when: string;
  /** A step before any authentication: it must write nothing at all. */
  anonymous?: boolean;
  app: string;
  /** Keep this step's browser for the next step (a login, then its logout). */
  keepJar?: boolean;
  run(h: Http, app: string): Promise<void>;
}

export interface StepResult {
  step: Step;
  added: Map<string, KeyInfo>;
  removed: string[];
  /** Keys that existed before and were written again. */
  rewritten: Map<string, KeyInfo>;
  /** Keys written and gone again by the end of the step (locks). */
  transient: Write[];
  writes: Write[];
  cookies: CookieWrite[];
}

const READS = new Set(['GET', 'MGET', 'EXISTS', 'PTTL', 'TTL', 'STRLEN', 'SCAN', 'TYPE', 'MEMORY', 'PING', 'INFO', 'HGETALL', 'CLIENT']);

/** The quoted arguments of one MONITOR line (`1700000000.1 [0 127.0.0.1:1] "SET" "k" "v"`), unescaped. */
function monitorArgs(line: string): string[] {
  const args: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    args.push(m[1]!.replace(/\\x[0-9a-f]{2}|\\./g, (e) => (e.length === 4 ? String.fromCharCode(parseInt(e.slice(2), 16)) : e === '\\n' ? '\n' : e === '\\r' ? '\r' : e === '\\t' ? '\t' : e.slice(1))));
  }
  return args;
}

function parseWrite(args: string[], prefixes: readonly string[]): Write | undefined {
  const command = args[0]?.toUpperCase() ?? '';
  if (READS.has(command)) return undefined;
  const at = args.findIndex((a, i) => i > 0 && prefixes.some((p) => a.startsWith(p)));
  if (at < 0) return undefined;
  const write: Write = { command, key: args[at]! };
  if (command === 'SET' && at === 1) {
    write.valueBytes = Buffer.byteLength(args[2] ?? '');
    for (let i = 3; i < args.length - 1; i++) {
      const opt = args[i]!.toUpperCase();
      if (opt === 'PX') write.ttlSeconds = Number(args[i + 1]) / 1000;
      if (opt === 'EX') write.ttlSeconds = Number(args[i + 1]);
    }
  }
  return write;
}

async function snapshot(redis: RedisClientType, prefixes: readonly string[]): Promise<Map<string, KeyInfo>> {
  const out = new Map<string, KeyInfo>();
  for (const p of prefixes) {
    for await (const keys of redis.scanIterator({ MATCH: `${p}*`, COUNT: 1000 })) {
      for (const key of ([] as string[]).concat(keys as string | string[])) {
        const type = await redis.type(key);
        const value = type === 'string' ? ((await redis.get(key)) ?? '') : '';
        let fields = '';
        try {
          const parsed: unknown = JSON.parse(value);
          // Each field's name and the bytes of its JSON (what makes the value bigger), never the value.
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
            fields = Object.entries(parsed as Record<string, unknown>).map(([k, v]) => `${k} ${Buffer.byteLength(JSON.stringify(v) ?? '')}`).join(', ');
          }
        } catch {
          fields = '';
        }
        out.set(key, { type, valueBytes: Buffer.byteLength(value), keyBytes: Buffer.byteLength(key), pttl: await redis.pTTL(key), memory: (await redis.memoryUsage(key)) ?? 0, fields });
      }
    }
  }
  return out;
}

/** Run `steps` in order, each in a fresh browser unless the previous kept its jar, and record what each did. */
export async function measure(redis: RedisClientType, prefixes: readonly string[], steps: readonly Step[]): Promise<StepResult[]> {
  const monitor = redis.duplicate();
  await monitor.connect();
  let writes: Write[] = [];
  // MONITOR lines arrive in Redis's own order: once a marker command is seen, every earlier write has been.
  let fences = 0;
  let waiting: { marker: string; resolve: () => void } | undefined;
  const fence = async () => {
    const marker = `${prefixes[0]}fence:${++fences}`;
    const seen = new Promise<void>((resolve) => (waiting = { marker, resolve }));
    await redis.exists(marker);
    await seen;
  };
  await monitor.monitor((line) => {
    const text = String(line);
    if (waiting && text.includes(`"${waiting.marker}"`)) return waiting.resolve();
    const w = parseWrite(monitorArgs(text), prefixes);
    if (w) writes.push(w);
  });
  const results: StepResult[] = [];
  let h = new Http();
  try {
    for (const step of steps) {
      const before = await snapshot(redis, prefixes);
      await fence();
      writes = [];
      const cookiesBefore = h.cookies.length;
      await step.run(h, step.app);
      await fence();
      const stepWrites = writes;
      const after = await snapshot(redis, prefixes);
      const written = new Set(stepWrites.map((w) => w.key));
      results.push({
        step,
        added: new Map([...after].filter(([k]) => !before.has(k))),
        removed: [...before.keys()].filter((k) => !after.has(k)),
        rewritten: new Map([...after].filter(([k]) => before.has(k) && written.has(k))),
        transient: stepWrites.filter((w) => w.valueBytes !== undefined && !after.has(w.key) && !before.has(w.key)),
        writes: stepWrites,
        cookies: h.cookies.slice(cookiesBefore),
      });
      if (!step.keepJar) h = new Http();
    }
  } finally {
    await monitor.disconnect().catch(() => undefined);
  }
  return results;
}

// ---- the report ---------------------------------------------------------------------------------------

/** A key with its ids replaced by placeholders. */
export function keyPattern(key: string, prefixes: readonly string[], known: ReadonlyArray<[string, string]>): string {
  const [store, sessions] = prefixes;
  if (sessions && key.startsWith(sessions)) return '<session prefix><session id>';
  let k = store && key.startsWith(store) ? `<prefix>${key.slice(store.length)}` : key;
  for (const [value, name] of known) k = k.split(value).join(name);
  return k
    // The message server's marks: a delivery's signed timestamp and nonce, a message's MsgId, an event's CreateTime.
    .replace(/:nonce:\d+:[^:]+$/, ':nonce:<timestamp>:<nonce>')
    .replace(/:id:\d+(?=:|$)/, ':id:<MsgId>')
    .replace(/(:ev:[^:]+):\d+:/, '$1:<CreateTime>:')
    .replace(/\b\d{12,}\b/g, '<transaction_id>')
    .replace(/\b[0-9a-f]{64}\b/g, '<sha256>')
    .replace(/\b[0-9a-f]{32}\b/g, '<id>')
    .replace(/\b[0-9a-f]{16,}\b/g, '<hex>');
}

function lifetime(pttl: number): string {
  if (pttl < 0) return pttl === -1 ? 'no TTL' : 'gone';
  const s = Math.round(pttl / 1000);
  if (s >= 86_400) return `${+(s / 86_400).toFixed(1)} d (${s} s)`;
  if (s >= 3600) return `${+(s / 3600).toFixed(2)} h (${s} s)`;
  if (s >= 60) return `${+(s / 60).toFixed(1)} min (${s} s)`;
  return `${s} s`;
}

export function report(results: readonly StepResult[], prefixes: readonly string[], known: ReadonlyArray<[string, string]>): { text: string; bugs: string[] } {
  const pattern = (k: string) => keyPattern(k, prefixes, known);
  const lines = ['| surface | written when | key pattern | lifetime | value bytes | key bytes | Redis memory bytes | value fields (JSON bytes each) |', '|---|---|---|---|---:|---:|---:|---|'];
  const bugs: string[] = [];
  for (const r of results) {
    const { surface, when } = r.step;
    if (r.step.anonymous && r.writes.length) bugs.push(`${surface} / ${when}: ${r.writes.length} write(s) before authentication: ${[...new Set(r.writes.map((w) => `${w.command} ${pattern(w.key)}`))].join(', ')}`);
    const rows: string[] = [];
    for (const [key, i] of r.added) rows.push(`| ${surface} | ${when} | \`${pattern(key)}\` | ${lifetime(i.pttl)} | ${i.valueBytes} | ${i.keyBytes} | ${i.memory} | ${i.fields} |`);
    for (const [key, i] of r.rewritten) rows.push(`| ${surface} | ${when} (rewritten) | \`${pattern(key)}\` | ${lifetime(i.pttl)} | ${i.valueBytes} | ${i.keyBytes} | ${i.memory} | ${i.fields} |`);
    for (const w of r.transient) rows.push(`| ${surface} | ${when} (deleted within the step) | \`${pattern(w.key)}\` | ${w.ttlSeconds ?? '?'} s at most | ${w.valueBytes} | ${Buffer.byteLength(w.key)} | – | |`);
    for (const key of r.removed) rows.push(`| ${surface} | ${when} (deletes) | \`${pattern(key)}\` | – | – | – | – | |`);
    if (!rows.length) rows.push(`| ${surface} | ${when} | nothing | – | 0 | 0 | 0 | |`);
    lines.push(...rows);
  }
  const cookies = ['| surface | step | cookie | bytes (name=value) | lifetime |', '|---|---|---|---:|---|'];
  for (const r of results) {
    if (!r.cookies.length) cookies.push(`| ${r.step.surface} | ${r.step.when} | none | 0 | |`);
    for (const c of r.cookies) cookies.push(`| ${r.step.surface} | ${r.step.when} | \`${c.name}\` | ${c.bytes} | ${c.lifetime} |`);
  }
  return { text: `${lines.join('\n')}\n\nCookies set in the browser:\n\n${cookies.join('\n')}\n`, bugs };
}
