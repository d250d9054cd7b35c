import fc from 'fast-check';
import { WxAuthError } from '../../lib/errors';
import { describeErrcode, errcodeToError, sanitizeErrmsg } from '../../lib/wechat/errcodes';
import { WechatClient } from '../../lib/wechat/client';
import { resolveEndpoints, stripTrailingSlashes } from '../../lib/wechat/endpoints';
import { MP, startSimulator } from '../client/harness';

/**
 * errcode → error: the meaning in the message, 40164's advice, and `sanitizeErrmsg` / the
 * endpoint normaliser staying linear on hostile input. The patterns they replaced took 30-70 s of
 * CPU on the 100 KB inputs below; a synchronous call cannot be stopped by jest's timeout, so the
 * CPU time is bounded, generously (milliseconds are needed).
 */
const CPU_BOUND_MS = 3000;

/** CPU milliseconds (user + system) that `fn` took; not wall time, so a busy machine does not matter. */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/**
 * The specification: what `sanitizeErrmsg` did before, on the first 512 characters (the bound it
 * now applies first; it only matters for a whitespace run that reaches past them). Run here on
 * short strings only, where the old pattern is fast.
 */
const reference = (s: string) => s.slice(0, 512).split(/,?\s*(?:hint|rid|req_id)/i)[0]!.slice(0, 120);

describe('sanitizeErrmsg', () => {
  test('keeps the words before the request echo', () => {
    expect(sanitizeErrmsg('invalid code, hints: [ req_id: abc ] rid: 1234')).toBe('invalid code');
    expect(sanitizeErrmsg('invalid appsecret rid: 65f0')).toBe('invalid appsecret');
    expect(sanitizeErrmsg(undefined)).toBeUndefined();
    expect(sanitizeErrmsg('x'.repeat(500))).toBe('x'.repeat(120));
  });

  test('100 KB of spaces (then a marker, or not) answers at once and correctly', () => {
    const spaces = ' '.repeat(100_000);
    const ms = cpuMs(() => {
      expect(sanitizeErrmsg(`${spaces}x`)).toBe(' '.repeat(120));
      expect(sanitizeErrmsg(`hint${spaces}x`)).toBe('');
      expect(sanitizeErrmsg(`bad,${spaces}hint`)).toBe('bad,' + ' '.repeat(116));
      expect(sanitizeErrmsg(`bad,   hint${spaces}`)).toBe('bad');
      expect(sanitizeErrmsg(`${', '.repeat(50_000)}rid`)).toBe(', '.repeat(60));
      expect(sanitizeErrmsg('hint'.repeat(25_000))).toBe('');
    });
    expect(ms).toBeLessThan(CPU_BOUND_MS);
  });

  test('property: equals the old split on any string built from the tricky pieces', () => {
    const piece = fc.constantFrom(' ', '\t', '\n', '\u00a0', ',', ', ', 'hint', 'HINT', 'rid', 'Rid', 'req_id', 'req', '_id', 'hi', 'nt', 'r', 'id', 'x', 'invalid code', '：');
    const input = fc.oneof(fc.array(piece, { maxLength: 40 }).map((a) => a.join('')), fc.string({ maxLength: 200 }));
    fc.assert(fc.property(input, (s) => sanitizeErrmsg(s) === reference(s)), { numRuns: 2000 });
  });

  test('property: the same near the 512-character bound (markers before, across and after it)', () => {
    const long = fc
      .tuple(fc.string({ maxLength: 600 }), fc.integer({ min: 490, max: 530 }), fc.constantFrom('', ' hint', ', rid', 'req_id', 'hi'))
      .map(([a, at, b]) => a.padEnd(at, ' ') + b);
    fc.assert(fc.property(long, (s) => sanitizeErrmsg(s) === reference(s)), { numRuns: 300 });
  });
});

describe('endpoints', () => {
  test('trailing slashes are stripped, linearly: 100 KB of slashes then a character', () => {
    const slashes = '/'.repeat(100_000);
    const ms = cpuMs(() => {
      expect(resolveEndpoints({ api: `http://h${slashes}x` }).api).toBe(`http://h${slashes}x`);
      expect(resolveEndpoints({ api: `http://127.0.0.1:1${slashes}` }).api).toBe('http://127.0.0.1:1');
      expect(stripTrailingSlashes(`http://h/a${slashes}`)).toBe('http://h/a');
      expect(stripTrailingSlashes(slashes)).toBe('');
    });
    expect(ms).toBeLessThan(CPU_BOUND_MS);
  });

  test('property: same as the regex it replaced', () => {
    const input = fc.array(fc.constantFrom('/', 'a', ':', '//', ' '), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(fc.property(input, (s) => stripTrailingSlashes(s) === s.replace(/\/+$/, '')));
  });
});

describe('errcodeToError: what the errcode means, in the message', () => {
  test.each([
    [40029, 'auth_error', 'WeChat answered errcode 40029 (invalid or expired code)'],
    [40163, 'auth_error', 'WeChat answered errcode 40163 (code already used)'],
    [40001, 'token_error', 'WeChat answered errcode 40001 (invalid access_token)'],
    [42001, 'token_error', 'WeChat answered errcode 42001 (access_token expired)'],
    [45009, 'token_error', 'WeChat answered errcode 45009 (API daily quota reached)'],
    [-1, 'wechat_error', 'WeChat answered errcode -1 (system busy)'],
    [40066, 'wechat_error', 'WeChat answered errcode 40066'],
  ] as const)('%i → %s, "%s"', (errcode, fallback, message) => {
    const error = errcodeToError(errcode, 'whatever', fallback);
    expect(error).toBeInstanceOf(WxAuthError);
    expect(error.code).toBe(fallback);
    expect(error.message).toBe(message);
    expect(error.errcode).toBe(errcode);
  });

  test.each([
    [40013, 'invalid appid'],
    [40125, 'invalid appsecret'],
    [48001, 'API unauthorized'],
  ])('configuration errcode %i is a config_error (500) that says "%s"', (errcode, meaning) => {
    const error = errcodeToError(errcode, 'invalid', 'auth_error');
    expect(error.code).toBe('config_error');
    expect(error.status).toBe(500);
    expect(error.message).toBe(`WeChat rejected the app configuration: errcode ${errcode} (${meaning})`);
  });

  test('a meaning is looked up by own key only (no "constructor" from the prototype)', () => {
    expect(describeErrcode(Number('constructor'))).toBe('errcode NaN');
    expect(describeErrcode(123456)).toBe('errcode 123456');
  });

  test('40164: a config_error telling to whitelist the egress IP; the IP stays in errmsg, out of message and JSON', () => {
    const errmsg = 'invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6650f1a2-0c1d4e5f-2b3c4d5e';
    const error = errcodeToError(40164, errmsg, 'token_error');
    expect(error.code).toBe('config_error');
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^WeChat answered errcode 40164 \(server IP not on the IP whitelist\): add this server's egress IP to the app's IP whitelist/);
    expect(error.message).not.toContain('203.0.113.7');
    expect(JSON.stringify(error)).not.toContain('203.0.113.7');
    expect(error.errmsg).toBe('invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist');
  });
});

test('40164 over HTTP (the simulator answering it for the token): config_error 500, the IP only in errmsg', async () => {
  const h = await startSimulator();
  try {
    h.sim.faults.inject('/cgi-bin/stable_token', { errcode: 40164, errmsg: 'invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist rid: 6650f1a2-1' });
    const http = new WechatClient({ endpoints: { api: h.server.url } });
    const error = (await http
      .apiPost('/cgi-bin/stable_token', {}, { grant_type: 'client_credential', appid: MP.appid, secret: MP.secret }, { errorCode: 'token_error', idempotent: true })
      .catch((e: unknown) => e)) as WxAuthError;
    expect(error).toBeInstanceOf(WxAuthError);
    expect(error).toMatchObject({ code: 'config_error', status: 500, errcode: 40164 });
    expect(error.message).toContain("add this server's egress IP to the app's IP whitelist");
    expect(error.message).not.toContain('198.51.100.23');
    expect(error.errmsg).toContain('198.51.100.23');
  } finally {
    await h.close();
  }
});
