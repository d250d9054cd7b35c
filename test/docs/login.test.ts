import path from 'node:path';
import request from 'supertest';
import { DEMO_APPS } from '../../lib/simulator';
import { Browser, DESKTOP_UA, MP, QR, SECRETS, WECHAT_UA, startSimulator, type SimHandle } from '../oauth/harness';
import { brokenLinks, linksOf, typecheckSnippets, type RunningProgram } from './snippets';
import { LIB, loadGuide, parseEnvLine } from './fixtures/guide-programs';

// docs/login.md: every ts snippet type-checks under strict and runs as written, each in its own
// process against the simulator over real HTTP: the program the recipes extend, each recipe added
// to it, the program mounted under /auth, and the "Try it offline" script whose printed
// environment the program then runs with. What the programs read from outside is the environment
// the guide names (WX_MP_*, WX_QR_*, SESSION_SECRET, BASE_URL, WECHAT_SIMULATOR_URL, PORT).
const guide = loadGuide('docs/login.md');
const { snippets } = guide;

describe('docs/login.md: the snippets', () => {
  test('every ts block is a run snippet: complete programs, or recipes that extend the first one', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(7);
    expect(snippets.every((s) => s.lang === 'ts' && s.mode === 'run')).toBe(true);
    expect(snippets[0]!.name).toBe('app');
    for (const s of snippets.filter((o) => !o.extends)) expect([s.name, s.code]).toEqual([s.name, expect.stringMatching(/^import [\s\S]*(app\.listen|sim\.listen)\(/)]);
    expect(snippets.filter((s) => s.extends).map((s) => [s.name, s.extends])).toEqual([
      ['profile', 'app'],
      ['upgrade', 'app'],
      ['own-routes', 'app'],
      ['hooks', 'app'],
    ]);
  });

  test('every link lands: anchors in the guide, files and their headings in the repo', () => {
    const { broken } = brokenLinks(guide.markdown, guide.file, path.resolve(__dirname, '../..'));
    expect(linksOf(guide.markdown).length).toBeGreaterThan(5);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(guide.cache, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

const ENV = () => ({
  WECHAT_SIMULATOR_URL: sim.url,
  WX_MP_APPID: MP.appid,
  WX_MP_SECRET: MP.secret,
  WX_QR_APPID: QR.appid,
  WX_QR_SECRET: QR.secret,
  SESSION_SECRET: 'session-secret-for-the-guide-0123456789',
});

let sim: SimHandle;
const programs: RunningProgram[] = [];
const browsers: Browser[] = [];
const start = async (name: string, names: string[]) => {
  const p = await guide.start(name, names, ENV());
  programs.push(p);
  return p;
};
const browser = (p: RunningProgram, ua = WECHAT_UA) => {
  const b = new Browser(p.url, sim.url, ua);
  browsers.push(b);
  return b;
};
/** What `p` printed, once it contains `text` (a line written just before the answer may arrive just after it). */
async function printedOut(p: RunningProgram, text: string): Promise<string> {
  for (let i = 0; i < 250 && !p.output().includes(text); i++) await new Promise((r) => setTimeout(r, 20));
  return p.output();
}
const alice = () => sim.sim.openidOf(MP.appid, 'alice');

beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(() => {
  // No answer a browser saw and no line a program printed carries an app secret, a code or a token.
  for (const b of browsers.splice(0)) {
    for (const body of b.bodies) {
      for (const secret of SECRETS) expect(body).not.toContain(secret);
      expect(body).not.toMatch(/access_token|refresh_token/);
    }
  }
  for (const p of programs) {
    for (const secret of SECRETS) expect(p.output()).not.toContain(secret);
    expect(p.output()).not.toMatch(/access_token":|refresh_token":|[?&]code=/);
  }
});
afterAll(async () => {
  await Promise.all(programs.map((p) => p.stop()));
  await sim?.close();
});

describe('docs/login.md: the program the recipes extend, with "start a login from your own route"', () => {
  let app: RunningProgram;
  beforeAll(async () => {
    app = await start('app', ['app', 'own-routes']);
  }, 60_000);

  test('inside WeChat, /profile goes through the silent mp login and lands back on /profile with req.wxauth', async () => {
    const b = browser(app);
    const first = await b.get('/profile');
    expect(first.status).toBe(302);
    const { res, url } = await b.visit('/profile');
    expect(url).toBe(`${app.url}/profile`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ openid: alice(), action: 'mp', appid: MP.appid });
    // No consent page on the way: snsapi_base is silent.
    expect(b.hops.some((h) => h.url.startsWith(`${sim.url}/connect/oauth2/authorize`) && h.status === 200)).toBe(false);
  });

  test('a desktop browser goes through the QR-code page and lands on /profile as the website app', async () => {
    const b = browser(app, DESKTOP_UA);
    const page = await b.visit('/profile');
    expect(new URL(page.url).pathname).toBe('/connect/qrconnect');
    const done = await b.submitSimForm(page.res, page.url, { user: 'bob' });
    expect(done.url).toBe(`${app.url}/profile`);
    expect(done.res.body).toMatchObject({ openid: sim.sim.openidOf(QR.appid, 'bob'), action: 'qrcode', appid: QR.appid });
  });

  test('a request that wants JSON gets 401 with the login URL under BASE_URL', async () => {
    const res = await request(app.url).get('/profile').set('Accept', 'application/json');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'WXAUTH_REQUIRED', login: `${app.url}/oauth/wechat/login?next=${encodeURIComponent('/profile')}` });
  });

  test('/checkout starts an mp login that lands on /checkout/confirm; /signout ends it with 303 to /', async () => {
    const b = browser(app);
    const { res, url } = await b.visit('/checkout');
    expect(url).toBe(`${app.url}/checkout/confirm`);
    expect(res.text).toBe(`confirm the order, ${alice()}`);
    const out = await b.post('/signout', {});
    expect([out.status, out.headers.location]).toEqual([303, '/']);
    expect((await b.get('/checkout/confirm')).status).toBe(302);
    expect((await b.get('/profile', { Accept: 'application/json' })).status).toBe(401);
  });
});

describe('docs/login.md: mountPath, requireLogin outside the router', () => {
  test('/account, the first request the process serves, logs in through /auth/oauth/wechat/* and lands back on /account', async () => {
    const app = await start('mounted', ['mounted']);
    const b = browser(app);
    const first = await b.get('/account');
    expect(first.status).toBe(302);
    expect(new URL(first.headers.location!).searchParams.get('redirect_uri')).toBe(`${app.url}/auth/oauth/wechat/callback`);
    const { res, url } = await b.visit('/account');
    expect(url).toBe(`${app.url}/account`);
    expect(res.text).toBe(`account of ${alice()}`);
    expect(b.hops.map((h) => new URL(h.url).pathname)).toContain('/auth/oauth/wechat/callback');
  }, 60_000);
});

describe('docs/login.md: mp login with the profile', () => {
  test('/me asks for consent once, keeps the nickname from the hook and greets with it', async () => {
    const app = await start('profile', ['app', 'profile']);
    const b = browser(app);
    const consent = await b.visit('/me');
    expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
    const done = await b.submitSimForm(consent.res, consent.url, { decision: 'approve', user: 'bob' });
    expect(done.url).toBe(`${app.url}/me`);
    expect(done.res.text).toBe('hello Bob');
    expect(done.res.headers['content-type']).toMatch(/^text\/plain/); // a nickname is never HTML
    // Logged in: /me answers without another round trip to WeChat.
    const calls = sim.sim.calls('/sns/oauth2/access_token');
    expect((await b.get('/me')).text).toBe('hello Bob');
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(calls);
  }, 60_000);
});

describe('docs/login.md: silent first, profile only for new users', () => {
  let app: RunningProgram;
  beforeAll(async () => {
    app = await start('upgrade', ['app', 'upgrade']);
  }, 60_000);

  /** Visit `url` as the simulator's `user` (its `sim_user` on every hop to the simulator), following redirects. */
  async function visitAs(b: Browser, url: string, user: string) {
    let at = new URL(url, app.url);
    let res = await b.get(at.href);
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      at = new URL(res.headers.location!, at);
      if (at.origin === sim.url) at.searchParams.set('sim_user', user);
      res = await b.get(at.href);
    }
    return { res, url: at.href };
  }

  test('a new user goes round again through the consent page and lands on next with the profile; the next login is silent', async () => {
    const b = browser(app);
    const consent = await visitAs(b, '/welcome', 'carol');
    expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBeGreaterThan(0); // the silent round logged carol in first
    const done = await b.submitSimForm(consent.res, consent.url, { decision: 'approve', user: 'carol' });
    expect(done.url).toBe(`${app.url}/welcome`);
    expect(done.res.text).toBe('welcome Carol');

    const again = browser(app); // another browser, the same person: known now, no consent page
    const silent = await visitAs(again, '/welcome', 'carol');
    expect(silent.url).toBe(`${app.url}/welcome`);
    expect(silent.res.text).toBe('welcome Carol');
    expect(again.hops.some((h) => new URL(h.url).searchParams.get('scope') === 'snsapi_userinfo')).toBe(false);
  });

  test('Deny on the consent page keeps the base login and lands on next, without asking again', async () => {
    const b = browser(app);
    const consent = await visitAs(b, '/welcome', 'dave');
    expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
    const denied = await b.submitSimForm(consent.res, consent.url, { decision: 'deny', user: 'dave' });
    expect(denied.url).toBe(`${app.url}/welcome`);
    expect(denied.res.text).toBe('welcome back');
    expect((await b.get('/profile', { Accept: 'application/json' })).body).toMatchObject({ openid: sim.sim.openidOf(MP.appid, 'dave'), action: 'mp' });
  });
});

describe('docs/login.md: the hooks', () => {
  let app: RunningProgram;
  beforeAll(async () => {
    app = await start('hooks', ['app', 'hooks']);
  }, 60_000);

  test('the success hook sees the login and, sending nothing, the browser is redirected to next', async () => {
    const b = browser(app);
    const { url, res } = await b.visit('/profile');
    expect(url).toBe(`${app.url}/profile`);
    expect(res.body).toMatchObject({ openid: alice() });
    expect(await printedOut(app, `login: ${alice()}`)).toContain(`login: ${alice()} by mp (snsapi_base), profile: no, to /profile`);
  });

  test('Deny on the consent page reaches the error hook: its own page with the status and a link to try again', async () => {
    const b = browser(app);
    const consent = await b.visit('/oauth/wechat/login?action=mp&scope=snsapi_userinfo&next=/profile');
    const { res } = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect(res.status).toBe(400);
    expect(res.text).toBe('<p>The WeChat login did not work (args_error). <a href="/oauth/wechat/login?next=%2Fprofile">Try again</a></p>');
    expect(await printedOut(app, 'login failed: args_error')).toContain('login failed: args_error (mp)');
  });

  test('a forged state reaches the error hook as state_error', async () => {
    const res = await request(app.url).get(`/oauth/wechat/callback?code=x&state=${'1'.repeat(32)}`).set('User-Agent', WECHAT_UA);
    expect(res.status).toBe(400);
    expect(res.text).toContain('(state_error)');
  });
});

describe('docs/login.md: try it offline', () => {
  test('the script starts the simulator and prints an environment the program logs in with, by QR code and inside WeChat', async () => {
    const offline = await guide.start('offline', ['offline'], {});
    programs.push(offline);
    const printed = parseEnvLine(await printedOut(offline, 'BASE_URL=')); // printed just after it listens
    expect(printed).toMatchObject({ WECHAT_SIMULATOR_URL: offline.url, WX_MP_APPID: DEMO_APPS.mp.appid, WX_QR_APPID: DEMO_APPS.qrcode.appid, BASE_URL: 'http://127.0.0.1:3000' });
    const { BASE_URL: _printedBase, ...env } = printed;
    const app = await guide.start('offline-app', ['app'], env);
    programs.push(app);

    const desktop = new Browser(app.url, offline.url, DESKTOP_UA);
    const page = await desktop.visit('/profile');
    expect(new URL(page.url).pathname).toBe('/connect/qrconnect');
    const done = await desktop.submitSimForm(page.res, page.url, {});
    expect(done.url).toBe(`${app.url}/profile`);
    expect(done.res.body).toMatchObject({ action: 'qrcode', appid: DEMO_APPS.qrcode.appid });

    const phone = new Browser(app.url, offline.url, WECHAT_UA);
    const mp = await phone.visit('/profile');
    expect(mp.url).toBe(`${app.url}/profile`);
    expect(mp.res.body).toMatchObject({ action: 'mp', appid: DEMO_APPS.mp.appid });
    for (const body of [...desktop.bodies, ...phone.bodies]) expect(body).not.toContain(DEMO_APPS.mp.secret);
  }, 60_000);
});
