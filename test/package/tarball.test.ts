import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What a user gets from npm: `npm pack` on a checkout with no dist/ (the package's own hooks must
 * build it), the tarball installed into a new project next to express 5 and TypeScript 5.9, then
 * require(), import and strict TypeScript projects (node10, node16, bundler resolution) using both
 * entry points. Needs the npm registry (or npm's cache) for the consumer's dependencies.
 */
const root = path.resolve(__dirname, '../..');
const SLOW = 300_000;
let work: string;
let src: string;
let app: string;
let packed: { filename: string; files: { path: string }[] };

function npm(args: string[], cwd: string): string {
  try {
    return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, npm_config_update_notifier: 'false' } });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: e });
  }
}

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8' }).trim();
}

/** tsc in the consumer project; its diagnostics (stdout) become the failure message. */
function tsc(config: string): string {
  try {
    return execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', config], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    return (e as { stdout?: string }).stdout || String(e);
  }
}

beforeAll(() => {
  // A checkout as git would give it: the build inputs and what `files` lists, but no dist/. A copy,
  // so building never races a test reading the working tree's dist/; under node_modules/.cache,
  // so it resolves the devDependencies (a symlinked node_modules would leak its real path into
  // the declarations).
  const cache = path.join(root, 'node_modules/.cache/express-wxauth');
  mkdirSync(cache, { recursive: true });
  src = mkdtempSync(path.join(cache, 'tarball-'));
  // The consumer lives outside the repository, so it sees only what it installed.
  work = mkdtempSync(path.join(os.tmpdir(), 'wxauth-tarball-'));
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] };
  const entries = new Set([...pkg.files, 'package.json', 'lib', 'scripts', 'tsconfig.json', 'tsconfig.build.json']);
  entries.delete('dist');
  for (const entry of entries) cpSync(path.join(root, entry), path.join(src, entry), { recursive: true });
  const [tarball] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], src)) as (typeof packed)[];
  if (!tarball) throw new Error('npm pack --json named no tarball');
  packed = tarball;

  app = path.join(work, 'app');
  mkdirSync(path.join(app, 'src'), { recursive: true });
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  npm(
    ['install', path.join(work, packed.filename), 'express@5', 'typescript@5.9', '@types/express@5', '@types/node@20', '--no-audit', '--no-fund', '--prefer-offline'],
    app,
  );
}, SLOW);

afterAll(() => {
  for (const dir of [src, work]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test('npm pack on a checkout without dist/ builds it and ships the builds, declarations, LICENSE and CHANGELOG only', () => {
  const files = packed.files.map((f) => f.path);
  const entryFiles = ['index', 'simulator'].flatMap((name) => ['.js', '.mjs', '.d.ts', '.d.mts'].map((ext) => `dist/${name}${ext}`));
  expect(files).toEqual(expect.arrayContaining([...entryFiles, 'dist/types/index.d.ts', 'dist/types/simulator/index.d.ts', 'LICENSE', 'CHANGELOG.md', 'README.md', 'package.json']));
  expect(files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json'].includes(f))).toEqual([]);
  expect(readFileSync(path.join(app, 'node_modules/express-wxauth/LICENSE'), 'utf8')).toContain('Copyright (c) 2026 express-wxauth contributors');
});

const probe = `
  const names = ['wxauth', 'WxAuthError', 'ErrorCodes', 'MemoryStore', 'RedisStore'];
  const missing = names.filter((n) => !(n in m));
  let code;
  try { m.wxauth({ mp: { appid: 'wx1234567890abcdef', secret: 1 } }); } catch (e) { code = e instanceof m.WxAuthError && e.code; }
  console.log(JSON.stringify({ missing, code, createSimulator: typeof sim.createSimulator }));
`;
const expected = { missing: [], code: 'config_error', createSimulator: 'function' };

test('the installed package loads with require() from the project’s node_modules', () => {
  const resolved = node(['-p', `require.resolve('express-wxauth') + ' ' + require.resolve('express-wxauth/simulator')`]);
  const installed = realpathSync(path.join(app, 'node_modules/express-wxauth'));
  expect(resolved.split(' ')).toEqual([path.join(installed, 'dist/index.js'), path.join(installed, 'dist/simulator.js')]);
  const out = node(['-e', `const m = require('express-wxauth'); const sim = require('express-wxauth/simulator'); ${probe}`]);
  expect(JSON.parse(out)).toEqual(expected);
});

test('npx express-wxauth-simulator --port 0 (the package\'s bin) starts the simulator and prints its URL', async () => {
  const child = spawn('npx', ['--no-install', 'express-wxauth-simulator', '--port', '0'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // Its own process group: npx's child (the simulator) stops with it. A kill timer, no timing assertion.
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  let out = '';
  const closed = new Promise((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    void closed.then(() => reject(new Error(`the bin exited before printing its URL: ${out}`)));
  });
  try {
    expect((await fetch(`${url}/`)).status).toBe(200);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await closed;
    clearTimeout(timer);
  }
}, SLOW);

test('the installed package loads with import from an .mjs file', () => {
  writeFileSync(path.join(app, 'probe.mjs'), `import * as m from 'express-wxauth';\nimport * as sim from 'express-wxauth/simulator';\n${probe}`);
  expect(JSON.parse(node(['probe.mjs']))).toEqual(expected);
});

// Real types, not `any`: each @ts-expect-error must meet an error, or tsc reports it unused.
const consumer = `
import express from 'express';
import { wxauth, type WxAuthRouter } from 'express-wxauth';
import { createSimulator, type Simulator } from 'express-wxauth/simulator';

export function mount(app: express.Express): WxAuthRouter {
  const auth = wxauth({ mp: { appid: 'wx1234567890abcdef', secret: 'app-secret' } });
  app.use(auth);
  return auth;
}
export const start: typeof createSimulator = createSimulator;
export const url = (sim: Simulator): string | undefined => sim.url;
// @ts-expect-error an appid is a string
wxauth({ mp: { appid: 42, secret: 'app-secret' } });
// @ts-expect-error the simulator needs its options
createSimulator();
`;

function project(name: string, compilerOptions: Record<string, unknown>, files: string[]): string {
  const config = `tsconfig.${name}.json`;
  writeFileSync(
    path.join(app, config),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, esModuleInterop: true, skipLibCheck: true, target: 'ES2022', ...compilerOptions }, files }),
  );
  return config;
}

// node10 has no `exports`: 'express-wxauth/simulator' finds its types through `typesVersions`.
// skipLibCheck off here, so our declarations must also check against the consumer's own @types.
test('a strict CommonJS TypeScript project (moduleResolution node10) type-checks against both entry points', () => {
  writeFileSync(path.join(app, 'src/consumer.ts'), consumer);
  const config = project('node10', { module: 'commonjs', moduleResolution: 'node10', skipLibCheck: false }, ['src/consumer.ts']);
  expect(tsc(config)).toBe('');
}, SLOW);

test('node16 (CommonJS and ES module files) and bundler resolution type-check too, through `exports`', () => {
  writeFileSync(path.join(app, 'src/consumer.ts'), consumer);
  writeFileSync(path.join(app, 'src/consumer-esm.mts'), consumer);
  expect(tsc(project('node16', { module: 'node16', moduleResolution: 'node16' }, ['src/consumer.ts', 'src/consumer-esm.mts']))).toBe('');
  expect(tsc(project('bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['src/consumer.ts']))).toBe('');
}, SLOW);
