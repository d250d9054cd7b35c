import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Browser, DESKTOP_UA, MP, QR, SECRETS, WECHAT_UA, startSimulator, type SimHandle } from '../oauth/harness';
import { brokenLinks, bundleProgram, extractSnippets, freePort, linksOf, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';

// docs/passport.md: every ts snippet type-checks under strict, and the quick start runs as
// written in a child process against the simulator over real HTTP: what it reads from outside is
// the environment the guide names (WECHAT_SIMULATOR_URL, WX_MP_*, WX_QR_*, SESSION_SECRET, PORT).
const ROOT = path.resolve(__dirname, '../..');
const GUIDE = 'docs/passport.md';
const CACHE = path.join(ROOT, 'node_modules/.cache/express-wxauth/snippets/passport');
const LIB = {
  'express-wxauth': path.join(ROOT, 'lib/index.ts'),
  'express-wxauth/passport': path.join(ROOT, 'lib/passport/index.ts'),
  'express-wxauth/simulator': path.join(ROOT, 'lib/simulator/index.ts'),
};
const markdown = readFileSync(path.join(ROOT, GUIDE), 'utf8');
const snippets = extractSnippets(markdown, GUIDE);

describe('docs/passport.md: the snippets', () => {
  test('every ts block is marked, none skipped; the quick start is the one run snippet and comes first', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(6);
    expect(snippets.every((s) => s.lang === 'ts' && s.mode !== 'skip')).toBe(true);
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name)).toEqual(['quickstart']);
    expect(snippets[0]!.name).toBe('quickstart');
  });

  test('the quick start: express-session + passport + WxAuthStrategy with mp and qrcode, serializeUser/deserializeUser over a users map, one route with redirectToNext()', () => {
    const code = snippetNamed(snippets, 'quickstart').code;
    expect(code).toMatch(/new WxAuthStrategy\(\s*\{\s*mp:[\s\S]*qrcode:/);
    expect(code).toMatch(/passport\.serializeUser[\s\S]*passport\.deserializeUser[\s\S]*users\.get/);
    expect(code.indexOf('app.use(session(')).toBeLessThan(code.indexOf('app.use(passport.session())'));
    expect(code.match(/passport\.authenticate\('wechat'/g)).toHaveLength(1);
    expect(code).toMatch(/app\.get\('\/auth\/wechat', passport\.authenticate\('wechat', \{ failureRedirect: '\/login' \}\), redirectToNext\(\)\)/);
  });

  test('the migration: the diff is the one-line switch, and its + line is the checked snippet', () => {
    const diff = /```diff\n([\s\S]*?)\n```/.exec(markdown)?.[1]?.split('\n') ?? [];
    expect(diff.map((l) => l[0])).toEqual(['-', '+']);
    expect(diff[0]).toMatch(/new WechatStrategy\(\{ appID, appSecret, client: 'wechat'/);
    expect(snippetNamed(snippets, 'migrated').code).toContain(diff[1]!.slice(2));
  });

  test('the options table names every option of WxAuthStrategyOptions', () => {
    const source = readFileSync(path.join(ROOT, 'lib/passport/options.ts'), 'utf8');
    const iface = /export interface WxAuthStrategyOptions \{([\s\S]*?)\n\}/.exec(source)![1]!;
    const options = [...iface.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(15);
    const section = markdown.slice(markdown.indexOf('## Options'), markdown.indexOf('## Per-request options'));
    const rows = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!);
    expect(rows.sort()).toEqual(options.sort());
  });

  test('every link lands: anchors in the guide, files and their headings in the repo', () => {
    const { broken } = brokenLinks(markdown, GUIDE, ROOT);
    expect(linksOf(markdown).length).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

describe('docs/passport.md: the quick start, against the simulator', () => {
  let sim: SimHandle;
  let app: RunningProgram;
  const browsers: Browser[] = [];
  const browser = (ua: string) => {
    const b = new Browser(app.url, sim.url, ua);
    browsers.push(b);
    return b;
  };

  beforeAll(async () => {
    sim = await startSimulator();
    const dir = path.join(CACHE, 'quickstart');
    const bundle = await bundleProgram('quickstart', programOf(snippetNamed(snippets, 'quickstart'), snippets), { dir, alias: LIB });
    const port = await freePort();
    app = await startProgram(bundle, {
      cwd: dir,
      port,
      env: {
        WECHAT_SIMULATOR_URL: sim.url,
        WX_MP_APPID: MP.appid,
        WX_MP_SECRET: MP.secret,
        WX_QR_APPID: QR.appid,
        WX_QR_SECRET: QR.secret,
        SESSION_SECRET: 'session-secret-for-the-guide-0123456789',
        PORT: String(port),
      },
    });
  }, 60_000);
  afterEach(() => {
    // No answer the browsers saw carries an app secret or an OAuth token.
    for (const b of browsers.splice(0)) {
      for (const body of b.bodies) {
        for (const secret of SECRETS) expect(body).not.toContain(secret);
        expect(body).not.toMatch(/access_token|refresh_token/);
      }
    }
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.close();
  });

  test('inside WeChat, /me sends the visitor through the silent mp login and back to /me, logged in', async () => {
    const b = browser(WECHAT_UA);
    const first = await b.get('/me');
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/auth/wechat?next=/me');
    const { res, url } = await b.visit('/me');
    expect(url).toBe(`${app.url}/me`);
    expect(res.status).toBe(200);
    const openid = sim.sim.openidOf(MP.appid, 'alice');
    const unionid = sim.sim.unionidOf('alice');
    expect(res.body).toEqual({ id: unionid, openid, unionid });
    // The session keeps the login: /me answers without a new round trip to WeChat.
    const calls = sim.sim.calls('/sns/oauth2/access_token');
    expect((await b.get('/me')).body).toEqual({ id: unionid, openid, unionid });
    expect(sim.sim.calls('/sns/oauth2/access_token')).toBe(calls);
  });

  test('snsapi_userinfo through the consent page (Approve): logged in with the nickname; the same person as the QR login', async () => {
    const b = browser(WECHAT_UA);
    const consent = await b.visit('/auth/wechat?scope=snsapi_userinfo&next=/me');
    expect(new URL(consent.url).pathname).toBe('/connect/oauth2/authorize');
    expect(new URL(consent.url).searchParams.get('scope')).toBe('snsapi_userinfo');
    const done = await b.submitSimForm(consent.res, consent.url, { decision: 'approve', user: 'bob' });
    expect(done.url).toBe(`${app.url}/me`);
    const unionid = sim.sim.unionidOf('bob');
    expect(done.res.body).toEqual({ id: unionid, openid: sim.sim.openidOf(MP.appid, 'bob'), unionid, name: 'Bob' });

    // A desktop browser: the QR-code page; the website app's openid differs, the unionid joins them.
    const desktop = browser(DESKTOP_UA);
    const page = await desktop.visit('/me');
    expect(new URL(page.url).pathname).toBe('/connect/qrconnect');
    const scanned = await desktop.submitSimForm(page.res, page.url, { user: 'bob' });
    expect(scanned.url).toBe(`${app.url}/me`);
    expect(scanned.res.body).toMatchObject({ id: unionid, unionid, name: 'Bob' });
  });

  test('Deny on the consent page goes to /login, nobody logged in', async () => {
    const b = browser(WECHAT_UA);
    const consent = await b.visit('/auth/wechat?scope=snsapi_userinfo&next=/me');
    const denied = await b.submitSimForm(consent.res, consent.url, { decision: 'deny' });
    expect(denied.url).toBe(`${app.url}/login`);
    expect(denied.res.text).toContain('href="/auth/wechat?next=/me"');
    expect((await b.get('/me')).status).toBe(302);
  });

  test('a callback from another browser (login CSRF) goes to /login and logs nobody in', async () => {
    const attacker = browser(WECHAT_UA);
    const start = await attacker.get('/auth/wechat?next=/me');
    const wechat = await attacker.get(start.headers.location!);
    const callback = wechat.headers.location!;
    const victim = browser(WECHAT_UA);
    const res = await victim.get(callback);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/login');
    expect((await victim.get('/me')).status).toBe(302);
  });
});
