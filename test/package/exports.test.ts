import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assertBuilt } from '../helpers/ensure-build';

/**
 * What ships: a CommonJS and an ES-module consumer import the built package by its own name
 * (Node's package self-reference resolves `express-wxauth` through `exports`), so `exports`,
 * the two formats and the entry points never drift. dist/ comes from the global setup, which
 * rebuilds it with the package's own build whenever it is missing or older than the sources.
 */
const root = path.resolve(__dirname, '../..');

beforeAll(assertBuilt); // dist/ is built (when stale) by the global setup

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

const probe = `
  const names = ['wxauth', 'WxAuthError', 'WxPayError', 'ErrorCodes', 'MemoryStore', 'RedisStore'];
  const missing = names.filter((n) => !(n in m));
  let code;
  try { m.wxauth({ mp: { appid: 'wx1234567890abcdef', secret: 1 } }); } catch (e) { code = e instanceof m.WxAuthError && e.code; }
  out = JSON.stringify({ missing, code, hasSimulator: typeof sim.createSimulator });
`;

test('require("express-wxauth") gives the CommonJS build with the public API', () => {
  const out = run(['-e', `const m = require('express-wxauth'); const sim = require('express-wxauth/simulator'); let out; ${probe} console.log(out);`]);
  expect(JSON.parse(out)).toEqual({ missing: [], code: 'config_error', hasSimulator: 'function' });
});

test('import "express-wxauth" gives the ES module build with the public API', () => {
  const out = run([
    '--input-type=module',
    '-e',
    `import * as m from 'express-wxauth'; import * as sim from 'express-wxauth/simulator'; let out; ${probe} console.log(out);`,
  ]);
  expect(JSON.parse(out)).toEqual({ missing: [], code: 'config_error', hasSimulator: 'function' });
});

test('each export condition points at a file that exists', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const targets: string[] = [];
  const walk = (node: unknown) => {
    if (typeof node === 'string') targets.push(node);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(pkg.exports);
  const missing = targets.filter((t) => !existsSync(path.join(root, t)));
  expect(missing).toEqual([]);
});
