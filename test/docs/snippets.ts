/**
 * The code snippets of a Markdown guide, for the test that proves they work. Each fenced `ts` /
 * `js` block carries a marker on the line before it saying how it is tested:
 *
 *   <!-- snippet: run name=quickstart -->             type-checked, and run by the guide's test
 *   <!-- snippet: typecheck extends=quickstart -->    type-checked only
 *   <!-- snippet: skip (client-side: WeChat's browser) -->   not checked; the reason is required
 *
 * `name=` names a snippet. `extends=` makes a snippet a continuation of a named one: its code is
 * appended to the other's, as a reader adds a recipe to the same file (identical one-line imports
 * are kept once). `run` and `typecheck` snippets are TypeScript; an unmarked ts/js block is an
 * error, so a guide cannot gain an unchecked snippet. Blocks in other languages need no marker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ts from 'typescript';

export type SnippetMode = 'run' | 'typecheck' | 'skip';

export interface Snippet {
  /** The guide, as given to `extractSnippets`. */
  file: string;
  /** 1-based line of the first code line in the guide. */
  line: number;
  lang: string;
  mode: SnippetMode;
  name?: string;
  extends?: string;
  /** Why a `skip` snippet is not checked. */
  reason?: string;
  code: string;
}

const CODE_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'cjs']);
const TS_LANGS = new Set(['ts', 'typescript']);
const MARKER = /^<!--\s*snippet:\s*(.*?)\s*-->$/;

/** The marked snippets of a guide; throws naming `file:line` for a missing or malformed marker. */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const lang = open[3]!.toLowerCase();
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++;
    const code = lines.slice(i + 1, end).join('\n');
    const line = i + 2;
    const at = `${file}:${i + 1}`;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? MARKER.exec(lines[before]!.trim()) : null;
    i = end;
    if (!CODE_LANGS.has(lang)) continue;
    if (!marker) {
      problems.push(`${at}: a \`${lang}\` block without a <!-- snippet: run | typecheck | skip (reason) --> marker`);
      continue;
    }
    const parsed = parseMarker(marker[1]!);
    if (typeof parsed === 'string') {
      problems.push(`${at}: ${parsed}`);
      continue;
    }
    if (parsed.mode !== 'skip' && !TS_LANGS.has(lang)) problems.push(`${at}: only ts blocks can be "${parsed.mode}" (mark a ${lang} block "skip (reason)")`);
    snippets.push({ file, line, lang, code, ...parsed });
  }
  const names = new Set<string>();
  for (const s of snippets) {
    if (s.extends && !names.has(s.extends)) problems.push(`${file}:${s.line}: extends "${s.extends}", which is not a snippet named before it`);
    if (s.name && names.has(s.name)) problems.push(`${file}:${s.line}: a second snippet named "${s.name}"`);
    if (s.name) names.add(s.name);
  }
  if (problems.length) throw new Error(`snippets of ${file}:\n${problems.join('\n')}`);
  return snippets;
}

function parseMarker(text: string): Omit<Snippet, 'file' | 'line' | 'lang' | 'code'> | string {
  const m = /^(run|typecheck|skip)\b\s*(.*)$/.exec(text);
  if (!m) return `unknown snippet marker "${text}" (run, typecheck or skip (reason))`;
  const mode = m[1] as SnippetMode;
  const rest = m[2]!.trim();
  if (mode === 'skip') {
    const reason = /^\((.+)\)$/.exec(rest)?.[1]?.trim();
    return reason ? { mode, reason } : 'a skipped snippet needs its reason: <!-- snippet: skip (why) -->';
  }
  const out: Omit<Snippet, 'file' | 'line' | 'lang' | 'code'> = { mode };
  for (const word of rest ? rest.split(/\s+/) : []) {
    const kv = /^(name|extends)=([\w-]+)$/.exec(word);
    if (!kv) return `unknown snippet option "${word}" (name=…, extends=…)`;
    out[kv[1] as 'name' | 'extends'] = kv[2]!;
  }
  return out;
}

/** A snippet's whole program (what it extends, then itself) and where each of its lines comes from. */
export interface Program {
  code: string;
  /** `origin[i]`: the guide line of program line i + 1. */
  origin: string[];
}

/**
 * The program of one snippet, or of several recipes run together: each one's chain of `extends`,
 * every snippet once, in the order of first appearance. Identical one-line imports are kept once.
 */
export function programOf(snippets: Snippet | readonly Snippet[], all: readonly Snippet[]): Program {
  const chain: Snippet[] = [];
  for (const snippet of Array.isArray(snippets) ? snippets : [snippets as Snippet]) {
    const own: Snippet[] = [];
    for (let s: Snippet | undefined = snippet; s; s = s.extends ? all.find((o) => o.name === s!.extends) : undefined) own.unshift(s);
    for (const s of own) if (!chain.includes(s)) chain.push(s);
  }
  const seen = new Set<string>();
  const out: string[] = [];
  const origin: string[] = [];
  for (const s of chain) {
    s.code.split('\n').forEach((text, i) => {
      if (/^import .* from '[^']+';$/.test(text)) {
        if (seen.has(text)) return;
        seen.add(text);
      }
      out.push(text);
      origin.push(`${s.file}:${s.line + i}`);
    });
  }
  return { code: out.join('\n') + '\n', origin };
}

/** The snippet named `name` (throws when there is none: the test and the guide disagree). */
export function snippetNamed(all: readonly Snippet[], name: string): Snippet {
  const s = all.find((o) => o.name === name);
  if (!s) throw new Error(`no snippet named "${name}"`);
  return s;
}

/** A file name for a snippet: its name, else its guide and line. */
export function fileNameOf(snippet: Snippet): string {
  return `${path.basename(snippet.file, '.md')}-${snippet.name ?? `line${snippet.line}`}.ts`;
}

export interface TypecheckOptions {
  /** Where the snippet files (and a tsconfig.json, to rerun by hand with `npx tsc -p <dir>`) are written. */
  dir: string;
  /** Module name → absolute file, e.g. `{ 'express-wxauth': '<repo>/lib/index.ts' }`. */
  paths: Record<string, string>;
  /** Extra files the snippets import (`{ 'db.ts': source }`), written next to them. */
  files?: Record<string, string>;
}

/**
 * Type-check every `run` and `typecheck` snippet as its own module under `strict`, with the
 * repo's TypeScript. Resolves with one message per error, located in the guide (`pay.md:42`).
 */
export function typecheckSnippets(snippets: readonly Snippet[], options: TypecheckOptions): string[] {
  mkdirSync(options.dir, { recursive: true });
  for (const [name, source] of Object.entries(options.files ?? {})) writeFileSync(path.join(options.dir, name), source);
  const programs = new Map<string, Program>();
  for (const s of snippets) {
    if (s.mode === 'skip') continue;
    const file = path.join(options.dir, fileNameOf(s));
    const program = programOf(s, snippets);
    writeFileSync(file, program.code);
    programs.set(path.resolve(file), program);
  }
  const compilerOptions = {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    moduleDetection: 'force',
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    paths: Object.fromEntries(Object.entries(options.paths).map(([k, v]) => [k, [v]])),
  };
  writeFileSync(path.join(options.dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }, null, 2) + '\n');
  const parsed = ts.convertCompilerOptionsFromJson(compilerOptions, options.dir);
  if (parsed.errors.length) throw new Error(ts.flattenDiagnosticMessageText(parsed.errors[0]!.messageText, '\n'));
  const roots = [...programs.keys(), ...Object.keys(options.files ?? {}).map((f) => path.resolve(options.dir, f))];
  const program = ts.createProgram(roots, parsed.options);
  const messages: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file) {
      messages.push(`TS${d.code}: ${text}`);
      continue;
    }
    const own = programs.get(path.resolve(d.file.fileName));
    if (!own && !path.resolve(d.file.fileName).startsWith(path.resolve(options.dir))) continue; // the library's own files: not ours to judge
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    messages.push(`${own?.origin[line] ?? `${path.basename(d.file.fileName)}:${line + 1}`}: TS${d.code} ${text}`);
  }
  return messages;
}

export interface BundleOptions {
  /** Where the program's source and its bundle are written (next to the files it imports). */
  dir: string;
  /** Module name → absolute file, bundled from source; every other package stays external. */
  alias: Record<string, string>;
}

/**
 * A program as an ES module Node runs as is (top-level `await` included): esbuild strips the
 * types and bundles the aliased modules; packages stay imports, resolved from the repo's
 * node_modules. Resolves with the bundle's path.
 */
export async function bundleProgram(name: string, program: Program, options: BundleOptions): Promise<string> {
  const { build } = await import('esbuild');
  mkdirSync(options.dir, { recursive: true });
  const entry = path.join(options.dir, `${name}.ts`);
  writeFileSync(entry, program.code);
  const outfile = path.join(options.dir, `${name}.bundle.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [
      {
        name: 'snippet-alias',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            if (Object.hasOwn(options.alias, args.path)) return { path: options.alias[args.path]! };
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return outfile;
}

export interface RunningProgram {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (for a program that listens on `PORT`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Run a bundle with `node` in `cwd` and wait until it listens on `port` (or fail with its output). */
export async function startProgram(bundle: string, options: { cwd: string; env: Record<string, string>; port: number; timeoutMs?: number }): Promise<RunningProgram> {
  const child = spawn(process.execPath, ['--enable-source-maps', bundle], { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (options.timeoutMs ?? 15000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${path.basename(bundle)} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    if (await connects(options.port)) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`${path.basename(bundle)} did not listen on ${options.port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${options.port}`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (letters of any script kept), spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a guide's headings (outside code blocks), repeated ones numbered as GitHub does. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const count = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (f && (!fence || f.startsWith(fence))) fence = fence ? undefined : f;
    if (fence) continue;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (!h) continue;
    const base = anchorOf(h[1]!);
    const n = count.get(base) ?? 0;
    count.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

/** Every `[text](target)` link of a guide outside code: its target and line. */
export function linksOf(markdown: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((line, i) => {
    const f = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (f && (!fence || f.startsWith(fence))) fence = fence ? undefined : f;
    if (fence || f) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) links.push({ target: m[1]!, line: i + 1 });
  });
  return links;
}

/**
 * The relative links of `markdown` (the guide at `file`, relative to `root`) that do not land: a
 * file that does not exist, or a heading that is not in the guide or the Markdown file named.
 * Links with a scheme (`https:`, `mailto:`) are not followed. Returns them with the number checked.
 */
export function brokenLinks(markdown: string, file: string, root: string): { broken: string[]; checked: number } {
  const broken: string[] = [];
  let checked = 0;
  for (const { target, line } of linksOf(markdown)) {
    if (/^[a-z]+:/i.test(target)) continue;
    checked++;
    const [name, anchor] = target.split('#') as [string, string | undefined];
    const other = name ? path.resolve(path.dirname(path.join(root, file)), name) : undefined;
    if (other && !existsSync(other)) broken.push(`${file}:${line}: ${target} (no such file)`);
    else if (anchor && !(other && !other.endsWith('.md')) && !anchorsOf(other ? readFileSync(other, 'utf8') : markdown).has(anchor)) broken.push(`${file}:${line}: ${target} (no such heading)`);
  }
  return { broken, checked };
}
