/**
 * `new WxAuthStrategy(options, verify)` checks its options at construction: a bad one throws a
 * WxAuthError `config_error` naming the field (never its value), before any request.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WxAuthStrategy, Strategy, WxAuthError, type WxAuthStrategyOptions } from '../../lib/passport';
import { isWxAuthError } from '../../lib';

const MP = { appid: 'wx1234567890abcdef', secret: 'mp-secret-that-must-never-leak' };
const verify = (_p: unknown, done: (e: unknown, u?: unknown) => void) => done(null, {});

function configError(options: unknown, v: unknown = verify): WxAuthError {
  try {
    new WxAuthStrategy(options as WxAuthStrategyOptions & { passReqToCallback?: false }, v as typeof verify);
  } catch (error) {
    if (!isWxAuthError(error)) throw error;
    expect(error.message).not.toContain(MP.secret);
    return error;
  }
  throw new Error('expected a config_error');
}

test('a valid configuration gives a strategy named "wechat" (or its own name) with authenticate()', () => {
  const s = new WxAuthStrategy({ mp: MP }, verify);
  expect(s.name).toBe('wechat');
  expect(typeof s.authenticate).toBe('function');
  expect(new WxAuthStrategy({ qrcode: MP, name: 'wechat-web' }, verify).name).toBe('wechat-web');
  expect(Strategy).toBe(WxAuthStrategy); // the passport-* convention: require('…').Strategy
});

test.each([
  [{}, 'options', /"options" must configure "mp" or "qrcode"/],
  [{ mp: { appid: 'not an appid', secret: 's' } }, 'mp.appid', /AppID/],
  [{ mp: { appid: MP.appid } }, 'mp.secret', /"mp.secret" is required/],
  [{ mp: { appid: MP.appid, secert: 's' } }, 'mp.secert', /did you mean "secret"/],
  [{ mp: MP, appID: 'wx' }, 'appID', /"appID" is not a known option/],
  [{ mp: MP, secret: 'short' }, 'secret', /at least 32 characters/],
  [{ mp: MP, baseUrl: 'shop.example.com' }, 'baseUrl', /absolute http\(s\) URL/],
  [{ mp: MP, callbackURL: '//evil.com/cb' }, 'callbackURL', /a path like/],
  [{ mp: MP, callbackURL: 'javascript:alert(1)' }, 'callbackURL', /a path like/],
  [{ mp: MP, allowedRedirects: ['evil'] }, 'allowedRedirects.0', /absolute/],
  [{ mp: MP, action: 'qrcode' }, 'action', /"action" is "qrcode", which is not configured/],
  [{ mp: MP, action: 'mobile' }, 'action', /must be one of/],
  [{ mp: MP, scope: 'snsapi_login' }, 'scope', /must be one of/],
  [{ mp: MP, upgrade: true }, 'upgrade', /must be a function/],
  [{ mp: MP, passReqToCallback: 'yes' }, 'passReqToCallback', /boolean/],
  [{ mp: MP, cookie: { name: 'a b' } }, 'cookie.name', /cookie name/],
  [{ mp: MP, endpoints: { open: 'nope' } }, 'endpoints.open', /absolute/],
])('%j → config_error on %s', (options, field, message) => {
  const error = configError(options);
  expect(error.code).toBe('config_error');
  expect(error.field).toBe(field);
  expect(error.message).toMatch(message);
});

test('verify must be a function', () => {
  const error = configError({ mp: MP }, 'not a function');
  expect([error.code, error.field]).toEqual(['config_error', 'verify']);
});

test('the main entry does not load passport or the strategy', () => {
  const index = readFileSync(path.join(__dirname, '../../lib/index.ts'), 'utf8');
  expect(index).not.toMatch(/passport/);
  // Nor does the strategy itself: it needs only name + authenticate, so passport stays optional.
  for (const file of ['index.ts', 'strategy.ts', 'options.ts', 'profile.ts']) {
    expect(readFileSync(path.join(__dirname, '../../lib/passport', file), 'utf8')).not.toMatch(/from 'passport'|require\('passport'\)/);
  }
});
