import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import request from 'supertest';
import type { ErrorContext } from '../../lib/hooks';
import { WxAuthError } from '../../lib/errors';
import { WechatClient } from '../../lib/wechat/client';
import { MASK, scrubText, secretForms } from '../../lib/wechat/scrub';
import { MP, startApp, startSimulator, type SimHandle } from '../oauth/harness';

/**
 * An upstream that echoes the request into `errmsg` (a debugging proxy, a mock, a gateway) must
 * not carry what we sent — the AppSecret, the code, the tokens — into an error, its JSON, its
 * cause chain, an `onError` hook or a log line. Against a real HTTP server that echoes.
 */

interface Received {
  url: string;
  body: string;
}

/** Every secret-looking form of `value` that must not survive: as sent, and percent-encoded. */
function formsOf(value: string): string[] {
  return [value, encodeURIComponent(value), new URLSearchParams([['', value]]).toString().slice(1)];
}

function leaked(text: string, secrets: string[]): string[] {
  return secrets.flatMap(formsOf).filter((f) => text.includes(f));
}

/** The error and everything reachable from it, as text: message, errmsg, JSON, each cause's message. */
function everythingIn(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as WxAuthError;
    parts.push(String(x.message), String(x.errmsg), JSON.stringify(x), String(x.stack));
  }
  return parts.join('\n');
}

let echo: http.Server;
let echoUrl: string;
const received: Received[] = [];
/** What the echo answers: an errcode and an errmsg made from what it has received. */
let answer: (req: Received, history: Received[]) => { errcode: number; errmsg: string };

beforeAll(async () => {
  echo = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const r = { url: req.url!, body };
      received.push(r);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(answer(r, received)));
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});
afterAll(async () => {
  echo.closeAllConnections();
  await new Promise((resolve) => echo.close(resolve));
});
beforeEach(() => {
  received.length = 0;
  // The query's values decoded, then the raw (percent-encoded) URL, then the body: an errmsg
  // short enough that all of it is kept (a cut would hide a leak rather than prevent it).
  answer = (r) => {
    const query = new URL(r.url, 'http://x').searchParams;
    const values = [...query.values()].filter((v) => v.length > 8).join(' ');
    return { errcode: 40029, errmsg: `bad: ${values} ${r.url.split('?')[1] ?? ''} ${r.body}`.slice(0, 110) };
  };
});

const client = () => new WechatClient({ endpoints: { api: echoUrl, open: echoUrl, pay: echoUrl }, backoffMs: 1 });

async function failure(promise: Promise<unknown>): Promise<WxAuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WxAuthError);
    return error as WxAuthError;
  }
  throw new Error('expected the call to fail');
}

describe('the WeChat client masks what the request sent', () => {
  test('a code exchange echoed back: neither the secret nor the code is in the error, only ***', async () => {
    const secret = 'S3cretValue0123456789';
    const code = 'CODE0123456789abcdef';
    const error = await failure(
      client().apiGet('/sns/oauth2/access_token', { appid: 'wxapp01', secret, code, grant_type: 'authorization_code' }, { errorCode: 'auth_error' }),
    );
    expect(received[0]!.url).toContain(secret); // the echo really had them
    expect(error.code).toBe('auth_error');
    expect(error.errmsg).toContain(MASK);
    expect(error.errmsg).toContain('wxapp01'); // the appid is not a secret
    expect(leaked(everythingIn(error), [secret, code])).toEqual([]);
  });

  test('secrets with characters that encode differently (+ / = & space %) are masked in every form', async () => {
    const secret = 'a+b/c=d&e f%g:h,i';
    const code = "c~o!d'e(1)*";
    answer = (r) => ({ errcode: 40125, errmsg: `x ${secret} ${code} ${r.url.split('?')[1]}`.slice(0, 118) });
    const error = await failure(client().apiGet('/sns/jscode2session', { appid: 'wxmini', secret, js_code: code }));
    expect(error.code).toBe('config_error');
    expect(leaked(everythingIn(error), [secret, code])).toEqual([]);
    // Lower-case hex too.
    const lower = scrubText(`x ${encodeURIComponent(secret).toLowerCase()}`, secretForms([secret]));
    expect(lower).toBe(`x ${MASK}`);
  });

  test('a POST body echoed back (stable_token): the secret is masked', async () => {
    const secret = 'body-secret-0123456789';
    const error = await failure(
      client().apiPost('/cgi-bin/stable_token', {}, { grant_type: 'client_credential', appid: 'wxapp02', secret, force_refresh: false }, { errorCode: 'token_error' }),
    );
    expect(received[0]!.body).toContain(secret);
    expect(error.errmsg).toContain(MASK);
    expect(leaked(everythingIn(error), [secret])).toEqual([]);
  });

  test('access and refresh tokens in the query are masked', async () => {
    const accessToken = 'ACCESS_TOKEN_0123456789';
    const refreshToken = 'REFRESH_TOKEN_0123456789';
    const a = await failure(client().apiGet('/cgi-bin/ticket/getticket', { access_token: accessToken, type: 'jsapi' }));
    const b = await failure(client().apiGet('/sns/oauth2/refresh_token', { appid: 'wx3', grant_type: 'refresh_token', refresh_token: refreshToken }));
    expect(leaked(everythingIn(a) + everythingIn(b), [accessToken, refreshToken])).toEqual([]);
    expect(a.errmsg).toContain(MASK);
    expect(b.errmsg).toContain(MASK);
  });

  test('an upstream echoing an earlier request: the app secret sent before is masked too', async () => {
    const secret = 'earlier-secret-0123456789';
    const c = client();
    await failure(c.apiGet('/cgi-bin/token', { grant_type: 'client_credential', appid: 'wx4', secret }));
    answer = (_r, history) => ({ errcode: 40001, errmsg: `stale: ${history[0]!.url}`.slice(0, 110) });
    const error = await failure(c.apiGet('/cgi-bin/ticket/getticket', { access_token: 'TOKEN-0123456789', type: 'jsapi' }));
    expect(error.errmsg).toContain('stale:');
    expect(leaked(everythingIn(error), [secret])).toEqual([]);
  });

  test('a long echo cut at the bound leaves no prefix of a secret behind', async () => {
    const secret = 'cut-secret-0123456789';
    // 24 copies (504 characters), then one straddling the 512th character: masked, the copies
    // shrink to 72 characters, which would pull the cut-off start of the last one into view.
    answer = () => ({ errcode: 40029, errmsg: secret.repeat(25) });
    const error = await failure(client().apiGet('/sns/oauth2/access_token', { appid: 'wx5', secret, code: 'c0de-0123456789' }));
    expect(error.errmsg).toBe(MASK.repeat(24));
    expect(everythingIn(error)).not.toContain('cut-s');
  });
});

describe('scrubText', () => {
  test('property: no form of any secret survives, whatever surrounds it', () => {
    const secret = fc.string({ minLength: 1, maxLength: 24 }).filter((s) => !s.includes('*'));
    fc.assert(
      fc.property(fc.array(secret, { minLength: 1, maxLength: 3 }), fc.array(fc.string({ maxLength: 30 }), { maxLength: 6 }), fc.nat(), (secrets, fillers, pick) => {
        const forms = secretForms(secrets);
        const inserted = forms[pick % forms.length]!;
        const text = fillers.join(inserted) + inserted;
        const out = scrubText(text, forms);
        return forms.every((f) => !out.includes(f)) && out.length <= Math.max(text.length, 512);
      }),
      { numRuns: 500 },
    );
  });

  test('100 KB of text and repeated secrets: masked linearly', () => {
    const forms = secretForms(['aaaa', 'aab', 'x y']);
    const start = process.cpuUsage();
    const out = scrubText('a'.repeat(100_000), forms, 200_000);
    const cpu = process.cpuUsage(start);
    expect(out).toBe(MASK.repeat(25_000));
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(3000);
  });
});

describe('through wxauth: the login callback, the onError hook and the log', () => {
  let sim: SimHandle;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  test('an echoing API host: the secret and the code are in no error, hook context, log or answer', async () => {
    const contexts: ErrorContext[] = [];
    const h = await startApp(
      sim,
      { endpoints: { open: sim.url, api: echoUrl, pay: echoUrl }, onError: (_req, _res, context) => void contexts.push(context) },
      {},
    );
    try {
      const agent = request.agent(h.app);
      const start = await agent.get('/oauth/wechat/login').query({ action: 'mp', next: '/me' });
      expect(start.status).toBe(302);
      const state = new URL(start.headers.location!).searchParams.get('state')!;
      const code = 'callback-code-0123456789';
      const res = await agent.get('/oauth/wechat/callback').query({ code, state }).set('Accept', 'application/json');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('auth_error');
      expect(received.some((r) => r.url.includes(code) && r.url.includes(encodeURIComponent(MP.secret)))).toBe(true);

      expect(contexts).toHaveLength(1);
      const context = contexts[0]!;
      expect(context.error.errmsg).toContain(MASK);
      const seen = [everythingIn(context.error), everythingIn(context.cause), JSON.stringify(context), h.logger.text(), res.text, JSON.stringify(res.headers)].join('\n');
      expect(leaked(seen, [MP.secret, code])).toEqual([]);

      // The shared access token (stable_token, the secret in a POST body).
      const tokenError = await failure(h.router.client.getAccessToken(MP.appid));
      expect(tokenError.errmsg).toContain(MASK);
      expect(leaked(everythingIn(tokenError) + h.logger.text(), [MP.secret])).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
