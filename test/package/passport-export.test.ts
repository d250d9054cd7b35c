import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertBuilt } from '../helpers/ensure-build';

/**
 * `express-wxauth/passport` as it ships: a CommonJS and an ES-module consumer load the built entry
 * by the package's own name, build a strategy, and get errors the main entry recognises. Passport
 * stays optional: no built file loads it, and the main entry does not load the strategy.
 */
const root = path.resolve(__dirname, '../..');

beforeAll(assertBuilt); // dist/ is built (when stale) by the global setup

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

const probe = `
  const s = new p.WxAuthStrategy({ mp: { appid: 'wx1234567890abcdef', secret: 's' } }, (profile, done) => done(null, profile));
  let code, field, recognised;
  try { new p.WxAuthStrategy({ mp: { appid: 'wx1234567890abcdef', secret: 's' }, scope: 'snsapi_login' }, () => {}); } catch (e) {
    code = e.code; field = e.field; recognised = m.isWxAuthError(e) && e instanceof m.WxAuthError;
  }
  out = JSON.stringify({ name: s.name, authenticate: typeof s.authenticate, same: p.Strategy === p.WxAuthStrategy, redirectToNext: typeof p.redirectToNext, code, field, recognised });
`;
const expected = { name: 'wechat', authenticate: 'function', same: true, redirectToNext: 'function', code: 'config_error', field: 'scope', recognised: true };

test('require("express-wxauth/passport") gives the CommonJS build of the strategy', () => {
  const out = run(['-e', `const p = require('express-wxauth/passport'); const m = require('express-wxauth'); let out; ${probe} console.log(out);`]);
  expect(JSON.parse(out)).toEqual(expected);
});

test('import "express-wxauth/passport" gives the ES module build of the strategy', () => {
  const out = run(['--input-type=module', '-e', `import * as p from 'express-wxauth/passport'; import * as m from 'express-wxauth'; let out; ${probe} console.log(out);`]);
  expect(JSON.parse(out)).toEqual(expected);
});

test('a strategy from the ES build works with passport.use() of the CommonJS passport', () => {
  const out = run([
    '--input-type=module',
    '-e',
    `import { WxAuthStrategy } from 'express-wxauth/passport'; import passport from 'passport';
     passport.use(new WxAuthStrategy({ qrcode: { appid: 'wx1234567890abcdef', secret: 's' } }, (p, done) => done(null, p)));
     console.log(typeof passport._strategy('wechat').authenticate);`,
  ]);
  expect(out).toBe('function');
});

test('no built file loads passport, and the main entry does not contain the strategy', () => {
  const loadsPassport = /require\(["']passport["']\)|from ["']passport["']|import\(["']passport["']\)/;
  for (const file of ['index.js', 'index.mjs', 'passport.js', 'passport.mjs', 'simulator.js', 'simulator.mjs']) {
    expect([file, loadsPassport.test(readFileSync(path.join(root, 'dist', file), 'utf8'))]).toEqual([file, false]);
  }
  for (const file of ['index.js', 'index.mjs']) expect(readFileSync(path.join(root, 'dist', file), 'utf8')).not.toContain('WxAuthStrategy');
});

test('the declarations resolve for both conditions and never name the passport module (no @types/passport needed)', () => {
  expect(readFileSync(path.join(root, 'dist/passport.d.ts'), 'utf8')).toBe("export * from './types/passport/index';\n");
  expect(readFileSync(path.join(root, 'dist/passport.d.mts'), 'utf8')).toBe("export * from './types/passport/index.js';\n");
  const types = ['index', 'strategy', 'options', 'profile'].map((f) => readFileSync(path.join(root, `dist/types/passport/${f}.d.ts`), 'utf8')).join('\n');
  expect(types).toContain('export declare class WxAuthStrategy');
  expect(types).not.toMatch(/from ["']passport["']/);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    typesVersions: Record<string, Record<string, string[]>>;
    peerDependenciesMeta: Record<string, { optional: boolean }>;
  };
  expect(pkg.typesVersions['*']!.passport).toEqual(['./dist/passport.d.ts']);
  expect(pkg.peerDependenciesMeta.passport).toEqual({ optional: true });
});
