#!/usr/bin/env node
// `npm run bench`: installs the peers (bench/package.json, kept out of the package's own
// dependencies) on first use and whenever one listed there is missing (a peer added since), then
// runs each benchmark side by side with its peers.
// `npm run bench -- jssdk` runs one.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const here = __dirname;
const peers = Object.keys(require('./package.json').dependencies);
if (peers.some((name) => !existsSync(path.join(here, 'node_modules', name, 'package.json')))) {
  console.log('bench: installing peers into bench/node_modules …');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .filter((f) => !only.length || only.some((o) => f.startsWith(o)));
const tsx = path.join(here, '..', 'node_modules', '.bin', 'tsx');
for (const file of files) {
  console.log(`\n=== bench/${file}`);
  execFileSync(tsx, [path.join(here, file)], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}
