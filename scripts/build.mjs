// `npm run build`: dist/ with an ES module (.mjs) and a CommonJS (.js) bundle per entry, each
// with its declarations (.d.mts / .d.ts). esbuild bundles our sources and leaves every
// dependency external; tsc writes the declarations.
//
// `--if-changed` (what `prepare` and `prepack` run) skips the build, silently, when dist/ was
// built from exactly the current inputs: `npm pack` runs both hooks, and `npm install` in a
// checkout runs `prepare` every time, so neither should pay for a second identical build.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

// The simulator's command line (package.json "bin"): one CommonJS file with a shebang.
const CLI_OUT = 'dist/cli.js';
const entries = { index: 'lib/index.ts', simulator: 'lib/simulator/index.ts', passport: 'lib/passport/index.ts' };
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), 'express', 'express-session', 'redis'];

// The stamp lives outside dist/ (so it never ships), one per checkout (a copy may share node_modules).
const stamp = path.join('node_modules/.cache/express-wxauth', `build-${sha256(process.cwd()).slice(0, 16)}`);
const inputs = inputsHash();
const outputs = Object.keys(entries).flatMap((name) => ['.js', '.mjs', '.d.ts', '.d.mts'].map((ext) => `dist/${name}${ext}`)).concat(CLI_OUT);
if (process.argv.includes('--if-changed') && outputs.every((f) => existsSync(f)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs) {
  process.exit(0);
}

rmSync(stamp, { force: true });
rmSync('dist', { recursive: true, force: true });
for (const [format, ext] of [['esm', '.mjs'], ['cjs', '.js']]) {
  await build({
    entryPoints: entries,
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    outExtension: { '.js': ext },
    sourcemap: true,
    external,
    logLevel: 'warning',
  });
}
await build({
  entryPoints: ['lib/simulator/cli.ts'],
  outfile: CLI_OUT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  external,
  logLevel: 'warning',
});
chmodSync(CLI_OUT, 0o755);
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// The same declarations serve both formats; the .d.mts twin is what `import` resolves to.
for (const [name, source] of Object.entries(entries)) {
  const types = `./types/${source.replace(/^lib\//, '').replace(/\.ts$/, '')}`;
  writeFileSync(`dist/${name}.d.ts`, `export * from '${types}';\n`);
  writeFileSync(`dist/${name}.d.mts`, `export * from '${types}.js';\n`);
}
mkdirSync(path.dirname(stamp), { recursive: true });
writeFileSync(stamp, inputs);

/** Everything the output depends on: our sources, this script, the configs, the tool versions. */
function inputsHash() {
  const files = [...walk('lib'), 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
  const tools = ['esbuild', 'typescript'].map((name) => require(`${name}/package.json`).version);
  const hash = createHash('sha256').update(tools.join('\0'));
  for (const file of files.sort()) hash.update(`\0${file}\0`).update(readFileSync(file));
  return hash.digest('hex');
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}
