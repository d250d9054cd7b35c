/**
 * fast-check arbitraries for the route fuzzer: query strings, headers, cookies, bearer tokens and
 * bodies (JSON, XML, form, bytes) — random, adversarial, and mixed with a few values that are
 * really ours (a live state and binding cookie, a session id, a token), so random requests also
 * get past the first check into the deeper code.
 */
import fc from 'fast-check';
import type { RawRequest } from './raw-http';

/** Real values from a setup login, so some fuzzed requests reach the code behind the first check. */
export interface Pool {
  states: string[];
  bindings: string[];
  sessionIds: string[];
  tokens: string[];
  appids: string[];
  /** Page URLs this app may sign. */
  pageUrls: string[];
}

const char = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));
/** Printable ASCII without space: valid in a header value and in a raw request path. */
export const printable = (maxLength: number) => fc.string({ unit: char(0x21, 0x7e), maxLength });

const ADVERSARIAL = [
  '', ' ', '%', '%%', '%E0%A4%A', '%00', '%0d%0aSet-Cookie:%20x=1', '..%2f..%2fetc%2fpasswd', '__proto__', 'constructor', 'toString',
  'hasOwnProperty', '[]', '{}', 'null', 'undefined', 'NaN', '-1', '0', '1e309', 'javascript:alert(1)', '//evil.example/x',
  'https://evil.example/', '\\\\evil.example', 'http://127.0.0.1@evil.example/', '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>', "');alert(1);//", 'mp', 'qrcode', 'mobile', 'snsapi_base', 'snsapi_userinfo', 'snsapi_login',
  'true', 'false', 'web', 'ios', 'android', 'json', 'white', 'a'.repeat(600), 'b'.repeat(5000), '\u202e', '😀', '中文',
];

/** A value of any kind: adversarial, printable, any unicode, or one of the pool's real values. */
export function value(pool: Pool): fc.Arbitrary<string> {
  const real = [...pool.states, ...pool.bindings, ...pool.sessionIds, ...pool.appids, ...pool.pageUrls];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ADVERSARIAL) },
    { weight: 3, arbitrary: printable(40) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }) },
    { weight: 2, arbitrary: fc.constantFrom(...real) },
  );
}

const QUERY_KEYS = ['code', 'state', 'next', 'action', 'scope', 'url', 'debug', 'id', 'style', 'href', 'self_redirect', 'format', 'appid', 'sim_user'];

/** A query string: known and random keys, repeated keys, bracket keys, encoded or raw. */
export function queryString(pool: Pool): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, fc.constantFrom('a[b]', 'code[]', 'next[0]', '__proto__', '', '%'), printable(8));
  const pair = fc.tuple(key, value(pool), fc.boolean()).map(([k, v, raw]) => {
    // Raw: as a sloppy client sends it (only what node refuses in a path is escaped).
    const enc = raw ? (s: string) => s.replace(/[\s#]|[^\x21-\x7e]/gu, encodeURIComponent) : encodeURIComponent;
    return `${enc(k)}=${enc(v)}`;
  });
  return fc.array(pair, { maxLength: 8 }).map((pairs) => (pairs.length ? `?${pairs.join('&')}` : ''));
}

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json; charset=bogus',
  'text/xml', 'application/xml; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/octet-stream',
];
const ACCEPTS = ['application/json', 'text/html', '*/*', 'text/html,application/json;q=0.9', 'image/png', ''];
const USER_AGENTS = ['Mozilla/5.0 MicroMessenger/8.0.47', 'Mozilla/5.0 (Macintosh) Chrome/126.0', 'curl/8.0', ''];
const ORIGINS = ['null', 'https://evil.example', 'http://127.0.0.1'];

/** `Authorization`: bearer tokens real, forged (`alg: none`, wrong key, tampered) and junk. */
export function authorization(pool: Pool): fc.Arbitrary<string> {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ openid: 'oForged', appid: 'wxmo000000000001', action: 'mobile', sub: 'x', jti: 'j', iat: 1, exp: 4e9 })}.`;
  const tampered = pool.tokens.map((t) => t.replace(/\.([^.]+)\./, (_m, p: string) => `.${p.slice(0, -2)}AA.`));
  return fc.oneof(
    fc.constantFrom(...pool.tokens, ...tampered, none, 'a.b.c', '...', '').map((t) => `Bearer ${t}`),
    printable(80).map((t) => `Bearer ${t}`),
    fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer', 'bearer  x', 'Digest x'),
  );
}

/** A `Cookie` header: our cookie names with junk or real values, and random ones. */
export function cookieHeader(pool: Pool): fc.Arbitrary<string> {
  const name = fc.constantFrom('wxauth', 'wxauth_bind', 'connect.sid', 'wxsim_user', '__proto__', 'x');
  const val = fc.oneof(
    fc.constantFrom(...pool.bindings, 's%3Aforged.signature', 'eyJvcGVuaWQiOiJvRm9yZ2VkIn0.c2ln', '%', '""'),
    printable(60).map((s) => s.replace(/[;,]/g, '')),
  );
  return fc.array(fc.tuple(name, val), { minLength: 1, maxLength: 4 }).map((cs) => cs.map(([n, v]) => `${n}=${v}`).join('; '));
}

/**
 * Headers: any subset of the ones our routes read, with random or adversarial values. The ones
 * that stop a request at the door (a bad Host, a foreign Origin, a Content-Encoding) come in one
 * request out of five, so most requests get past them into the route.
 */
export function headers(pool: Pool): fc.Arbitrary<Record<string, string>> {
  const ip = fc.oneof(fc.ipV4(), fc.constantFrom('::1', '999.1.1.1', 'localhost', ''));
  const common = fc.record(
    {
      Accept: fc.oneof(fc.constantFrom(...ACCEPTS), printable(30)),
      'Content-Type': fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, printable(30)),
      'User-Agent': fc.oneof(fc.constantFrom(...USER_AGENTS), printable(40)),
      Referer: fc.oneof(fc.constantFrom(...pool.pageUrls, 'https://evil.example/p'), printable(60)),
      'X-Requested-With': fc.constantFrom('XMLHttpRequest'),
      Authorization: authorization(pool),
      Cookie: cookieHeader(pool),
      'X-Session-Id': fc.oneof(fc.constantFrom(...pool.sessionIds), printable(140)),
      'X-Client-Type': fc.oneof(fc.constantFrom('web', 'ios', 'android', 'WEB'), printable(10)),
      'X-Client-Version': printable(80),
      'X-App-Id': fc.oneof(fc.constantFrom(...pool.appids), printable(20)),
      'X-User-Ip': fc.oneof(ip, printable(20)),
      'X-User-Agent': printable(40),
    },
    { requiredKeys: [] },
  );
  const disruptive = fc.record(
    {
      'Content-Encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus'),
      Origin: fc.oneof(fc.constantFrom(...ORIGINS), printable(30)),
      Host: fc.oneof(fc.constantFrom('evil.example', '127.0.0.1:1', '[::1]', 'a b'), printable(20)),
      'X-Forwarded-Host': printable(30),
      'X-Forwarded-Proto': fc.constantFrom('https', 'http', 'gopher'),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(common, fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: disruptive })).map(([c, d]) => ({ ...c, ...d }));
}

const XML_KEYS = ['return_code', 'result_code', 'appid', 'mch_id', 'sign', 'sign_type', 'transaction_id', 'out_trade_no', 'total_fee', 'req_info', 'nonce_str'];

/** XML bodies: random WeChat-Pay-like fields, XXE and billion-laughs payloads, deep nesting, junk. */
export function xmlBody(pool: Pool): fc.Arbitrary<string> {
  const field = fc.tuple(fc.oneof(fc.constantFrom(...XML_KEYS), fc.stringMatching(/^[a-z_]{1,12}$/)), value(pool), fc.boolean()).map(([k, v, cdata]) =>
    cdata ? `<${k}><![CDATA[${v}]]></${k}>` : `<${k}>${v.replace(/[<&]/g, '')}</${k}>`,
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(field, { maxLength: 12 }).map((fs) => `<xml>${fs.join('')}</xml>`) },
    fc.constantFrom(
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><a>&lol2;</a></xml>',
      `<xml>${'<a>'.repeat(2000)}${'</a>'.repeat(2000)}</xml>`,
      '<xml><return_code>SUCCESS</return_code><return_code>FAIL</return_code></xml>',
      '<xml><return_code><![CDATA[SUCCESS]]]]><![CDATA[>]]></return_code></xml>',
      `<xml><a>${'x'.repeat(70 * 1024)}</a></xml>`,
      '<xml', '</xml>', '<?xml?>', '<xml><a></b></xml>',
    ),
  );
}

/** JSON bodies: the fields our APIs read with values of any type, any JSON, and broken JSON. */
export function jsonBody(pool: Pool): fc.Arbitrary<string> {
  const known = fc.record(
    {
      code: fc.oneof(value(pool), fc.jsonValue()),
      appid: fc.oneof(value(pool), fc.jsonValue()),
      encryptedData: fc.oneof(fc.base64String({ maxLength: 200 }), fc.jsonValue()),
      iv: fc.oneof(fc.base64String({ maxLength: 32 }), fc.jsonValue()),
      rawData: fc.oneof(value(pool), fc.jsonValue()),
      signature: value(pool),
      __proto__: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 4, arbitrary: known.map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    fc.constantFrom('{"code":', '{"code":"a"}}', '[', '['.repeat(5000), '{"__proto__":{"admin":true}}', 'null', '"', `{"code":"${'c'.repeat(20000)}"}`),
  );
}

/** A body of any kind (or none). */
export function body(pool: Pool): fc.Arbitrary<Buffer | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: jsonBody(pool).map((s) => Buffer.from(s)) },
    { weight: 3, arbitrary: xmlBody(pool).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: queryString(pool).map((s) => Buffer.from(s.slice(1))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
  );
}

/** A whole request: method and path from the route, random query, headers and (for any method) body. */
export function requestTo(pool: Pool, method: fc.Arbitrary<string>, path: fc.Arbitrary<string>): fc.Arbitrary<RawRequest> {
  return fc
    .record({ method, path, query: queryString(pool), headers: headers(pool), body: body(pool), withBody: fc.boolean() })
    .map(({ method: m, path: p, query, headers: h, body: b, withBody }) => ({
      method: m,
      path: p + query,
      headers: h,
      // GET/DELETE usually come without a body; sometimes send one anyway.
      ...(b && (withBody || m === 'POST' || m === 'PUT') ? { body: b } : {}),
    }));
}
