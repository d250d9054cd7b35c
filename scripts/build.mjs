// `npm run build`: dist/ with an ES module (.mjs) and a CommonJS (.js) bundle per entry, each
// with its declarations (.d.mts / .d.ts). esbuild bundles our sources and leaves every
// dependency external; tsc writes the declarations.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const entries = { index: 'lib/index.ts', simulator: 'lib/simulator/index.ts' };
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), 'express', 'express-session', 'redis'];

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
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// The same declarations serve both formats; the .d.mts twin is what `import` resolves to.
for (const [name, source] of Object.entries(entries)) {
  const types = `./types/${source.replace(/^lib\//, '').replace(/\.ts$/, '')}`;
  writeFileSync(`dist/${name}.d.ts`, `export * from '${types}';\n`);
  writeFileSync(`dist/${name}.d.mts`, `export * from '${types}.js';\n`);
}
