import { wxauth, WxAuthError, type WxAuthOptions } from '../../lib';

const SECRET = 'super-secret-value-0123456789';
const MP = { appid: 'wxmp000000000001', secret: SECRET };

function configError(options: unknown): WxAuthError {
  try {
    wxauth(options as WxAuthOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(WxAuthError);
    return error as WxAuthError;
  }
  throw new Error('wxauth() accepted the options');
}

describe('wxauth() validates its options at start-up, naming the field', () => {
  test.each([
    ['mp.secret missing', { mp: { appid: MP.appid } }, 'mp.secret', /is required/],
    ['mp.secret not a string', { mp: { appid: MP.appid, secret: 42 } }, 'mp.secret', /string/],
    ['mp.appid malformed', { mp: { appid: 'not an appid!', secret: SECRET } }, 'mp.appid', /AppID/],
    ['qrcode.secret empty', { qrcode: { appid: 'wxqr000000000001', secret: '' } }, 'qrcode.secret', /empty/],
    ['mobile as an empty list', { mobile: [] }, 'mobile', /at least one/],
    ['mobile[1].appid missing', { mobile: [MP, { secret: SECRET }] }, 'mobile.1.appid', /required/],
    ['a misspelled option', { mp: MP, baseURL: 'https://x.com' }, 'baseURL', /did you mean "baseUrl"/],
    ['a misspelled nested option', { mp: MP, storage: 'cookie', cookie: { secret: 'x'.repeat(32), nmae: 'sid' } }, 'cookie.nmae', /did you mean "name"/],
    ['a mobile entry with a misspelled key', { mobile: { appid: MP.appid, secret: SECRET, secert: SECRET } }, 'mobile.secert', /is not a known option/],
    ['baseUrl not http(s)', { mp: MP, baseUrl: 'ftp://shop.example.com' }, 'baseUrl', /http/],
    ['storage unknown', { mp: MP, storage: 'localStorage' }, 'storage', /"session", "cookie", "jwt"/],
    ['storage cookie without cookie', { mp: MP, storage: 'cookie' }, 'cookie', /required/],
    ['cookie.secret too short', { mp: MP, storage: 'cookie', cookie: { secret: 'short' } }, 'cookie.secret', /32/],
    ['cookie.sameSite unknown', { mp: MP, storage: 'cookie', cookie: { secret: 'x'.repeat(32), sameSite: 'loose' } }, 'cookie.sameSite', /lax/],
    ['cookie.maxAge negative', { mp: MP, storage: 'cookie', cookie: { secret: 'x'.repeat(32), maxAge: -1 } }, 'cookie.maxAge', /./],
    ['allowedRedirects entry not a URL', { mp: MP, allowedRedirects: ['m.example.com'] }, 'allowedRedirects.0', /http/],
    ['endpoints.open not a URL', { mp: MP, endpoints: { open: 'localhost' } }, 'endpoints.open', /http/],
    ['mountPath without its leading slash', { mp: MP, mountPath: 'auth' }, 'mountPath', /leading slash/],
    ['mountPath with a trailing slash', { mp: MP, mountPath: '/auth/' }, 'mountPath', /no trailing slash/],
    ['mountPath protocol-relative', { mp: MP, mountPath: '//evil.example' }, 'mountPath', /path/],
    ['mountPath with a space', { mp: MP, mountPath: '/my auth' }, 'mountPath', /path/],
    ['mountPath with a dot segment', { mp: MP, mountPath: '/a/../b' }, 'mountPath', /path/],
    ['mountPath with an Express parameter', { mp: MP, mountPath: '/:tenant' }, 'mountPath', /path/],
    ['mountPath with a broken escape', { mp: MP, mountPath: '/a%zz' }, 'mountPath', /path/],
    ['storeTimeoutMs negative', { mp: MP, storeTimeoutMs: -5 }, 'storeTimeoutMs', /0 or more/],
    ['storeTimeoutMs not an integer', { mp: MP, storeTimeoutMs: 1.5 }, 'storeTimeoutMs', /integer/],
    ['storeTimeoutMs without a Redis store', { mp: MP, storeTimeoutMs: 500 }, 'storeTimeoutMs', /Redis client/],
    ['onSuccess not a function', { mp: MP, onSuccess: 'redirect' }, 'onSuccess', /function/],
    ['nothing configured', {}, 'options', /at least one of/],
  ])('%s → config_error on "%s"', (_name, options, field, message) => {
    const error = configError(options);
    expect(error.code).toBe('config_error');
    expect(error.field).toBe(field);
    expect(error.message).toContain(`"${field}"`);
    expect(error.message).toMatch(message);
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(SECRET);
  });

  test.each(['', '/auth', '/api/v1/wx', '/%E5%BE%AE%E4%BF%A1', '/a.b~c'])('mountPath %p is accepted', (mountPath) => {
    expect(() => wxauth({ mp: MP, mountPath, logger: { warn: () => undefined, error: () => undefined } })).not.toThrow();
  });

  test('a valid configuration builds a router with the hooks and helpers', () => {
    const router = wxauth({ mp: MP, qrcode: { appid: 'wxqr000000000001', secret: SECRET }, mobile: MP });
    expect(typeof router).toBe('function');
    for (const name of ['successHandler', 'errorHandler', 'auth', 'requireLogin', 'logout'] as const) expect(typeof router[name]).toBe('function');
    expect(router.successHandler(() => undefined)).toBe(router);
    expect(router.errorHandler(() => undefined)).toBe(router);
  });
});
