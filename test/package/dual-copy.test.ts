import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertBuilt } from '../helpers/ensure-build';
import { pathToFileURL } from 'node:url';

/**
 * The CommonJS and ES-module builds are two copies of the package: an app (or two of its
 * dependencies) may load both in one process. An error thrown by one copy must be recognised by
 * the other's `isWxAuthError` and `instanceof`. dist/ comes from the global setup (rebuilt when stale).
 */
const root = path.resolve(__dirname, '../..');
const cjsPath = path.join(root, 'dist/index.js');
const esmPath = path.join(root, 'dist/index.mjs');

beforeAll(assertBuilt); // dist/ is built (when stale) by the global setup

test('an error from the CommonJS build is a WxAuthError to the ES-module build, and the other way round', () => {
  if (!readFileSync(cjsPath, 'utf8').includes('express-wxauth.error')) {
    throw new Error('dist/ was built from older sources (no error brand in it): run `npm run build` first');
  }
  const script = `
    const cjs = require(${JSON.stringify(cjsPath)});
    import(${JSON.stringify(pathToFileURL(esmPath).href)}).then((esm) => {
      const fromCjs = new cjs.WxAuthError('auth_error', 'refused', { errcode: 40029 });
      const payFromEsm = new esm.WxPayError('ORDERPAID', 'paid');
      let thrownByEsm;
      try { esm.wxauth({ mp: { appid: 'wx1234567890abcdef', secret: 1 } }); } catch (e) { thrownByEsm = e; }
      console.log(JSON.stringify({
        twoCopies: cjs.WxAuthError !== esm.WxAuthError,
        esmIsWxAuthError: esm.isWxAuthError(fromCjs),
        esmInstanceof: fromCjs instanceof esm.WxAuthError,
        esmNotPay: fromCjs instanceof esm.WxPayError,
        cjsIsWxAuthError: cjs.isWxAuthError(payFromEsm),
        cjsInstanceofPay: payFromEsm instanceof cjs.WxPayError,
        thrownByEsm: cjs.isWxAuthError(thrownByEsm) && thrownByEsm instanceof cjs.WxAuthError && thrownByEsm.code,
      }));
    });
  `;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }).trim();
  expect(JSON.parse(out)).toEqual({
    twoCopies: true,
    esmIsWxAuthError: true,
    esmInstanceof: true,
    esmNotPay: false,
    cjsIsWxAuthError: true,
    cjsInstanceofPay: true,
    thrownByEsm: 'config_error',
  });
});
