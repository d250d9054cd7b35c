import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { brokenLinks, bundleProgram, extractSnippets, freePort, linksOf, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';

// docs/follow-login.md: every ts snippet type-checks under strict, and the quick start runs as
// written, as its own program, against the simulator over real HTTP: the simulator's account
// posts its encrypted scan events to the program's message server.
const ROOT = path.resolve(__dirname, '../..');
const GUIDE = 'docs/follow-login.md';
const CACHE = path.join(ROOT, 'node_modules/.cache/express-wxauth/snippets/follow-login');
const LIB = { 'express-wxauth': path.join(ROOT, 'lib/index.ts'), 'express-wxauth/simulator': path.join(ROOT, 'lib/simulator/index.ts') };
const markdown = readFileSync(path.join(ROOT, GUIDE), 'utf8');
const snippets = extractSnippets(markdown, GUIDE);

const MP = { appid: 'wxmp00000000follow', secret: 'mp-secret-for-the-follow-guide' };
const MESSAGES = { token: 'guidetoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', mode: 'safe' as const };

describe('docs/follow-login.md: the snippets', () => {
  test('every ts block is marked: one run (the quick start), the browser one skipped with its reason', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name)).toEqual(['quickstart']);
    expect(snippets.filter((s) => s.mode === 'skip').map((s) => s.reason)).toEqual(['client-side: runs in the browser']);
  });

  test('every link lands', () => {
    const { broken } = brokenLinks(markdown, GUIDE, ROOT);
    expect(linksOf(markdown).length).toBeGreaterThanOrEqual(10);
    expect(broken).toEqual([]);
  });

  test('the options table lists every follow option', () => {
    for (const option of ['expireSeconds', 'pollSeconds', 'maxQrcodesPerMinute', 'unionid', 'replies.success', 'replies.expired', 'replies.used']) {
      expect([option, markdown.includes(`| \`${option}\` |`)]).toEqual([option, true]);
    }
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

describe('docs/follow-login.md: the quick start, against the simulator', () => {
  let sim: Simulator;
  let simUrl: string;
  let closeSim: () => Promise<void>;
  let program: RunningProgram;

  beforeAll(async () => {
    sim = createSimulator({ apps: [{ ...MP, type: 'mp', name: 'Guide Shop' }] });
    ({ url: simUrl, close: closeSim } = await sim.listen());
    const dir = path.join(CACHE, 'quickstart');
    const bundle = await bundleProgram('quickstart', programOf(snippetNamed(snippets, 'quickstart'), snippets), { dir, alias: LIB });
    const port = await freePort();
    program = await startProgram(bundle, {
      cwd: dir,
      port,
      env: {
        WECHAT_SIMULATOR_URL: simUrl,
        WX_MP_APPID: MP.appid,
        WX_MP_SECRET: MP.secret,
        WX_MP_TOKEN: MESSAGES.token,
        WX_MP_AES_KEY: MESSAGES.encodingAESKey,
        SESSION_SECRET: 'session-secret-for-the-follow-guide',
        BASE_URL: `http://127.0.0.1:${port}`,
        PORT: String(port),
      },
    });
    sim.connectMessages(MP.appid, { url: `${program.url}/wechat/message`, ...MESSAGES });
  }, 60_000);
  afterAll(async () => {
    await program?.stop();
    await closeSim?.();
  });

  test('the link opens the QR page; a scan and follow as bob logs the browser in and /me answers action follow', async () => {
    const browser = request.agent(program.url);
    expect((await browser.get('/')).text).toContain('href="/oauth/wechat/follow?next=%2Fme"');
    const page = await browser.get('/oauth/wechat/follow?next=%2Fme').set('Accept', 'text/html');
    expect(page.text).toContain('请用微信扫描二维码');
    const started = await browser.get('/oauth/wechat/follow?next=%2Fme').set('Accept', 'application/json');
    expect(started.body).toEqual({ qrcodeUrl: expect.stringContaining(`${simUrl}/cgi-bin/showqrcode?ticket=`), expiresIn: expect.any(Number), poll: `${program.url}/oauth/wechat/follow/poll` });
    const polled = browser.get('/oauth/wechat/follow/poll').set('Accept', 'application/json');
    const ticket = new URL(started.body.qrcodeUrl as string).searchParams.get('ticket')!;
    const pushed = await sim.scanQrcode({ ticket, user: 'bob', as: 'follow' });
    expect(pushed.reply?.Content).toBe('登录成功');
    expect((await polled).body).toEqual({ status: 'done', next: '/me', openid: sim.openidOf(MP.appid, 'bob'), unionid: sim.unionidOf('bob') });
    expect((await browser.get('/me')).body).toEqual({ openid: sim.openidOf(MP.appid, 'bob'), unionid: sim.unionidOf('bob'), action: 'follow', appid: MP.appid });
    expect((await browser.get('/')).text).toBe(`logged in as ${sim.openidOf(MP.appid, 'bob')} (follow)`);
  });

  test('nothing the program printed carries the secret or the token', () => {
    expect(program.output()).not.toContain(MP.secret);
    expect(program.output()).not.toContain(MESSAGES.token);
  });
});
