import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { brokenLinks, bundleProgram, extractSnippets, freePort, linksOf, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';

// docs/native-and-miniprogram.md: every ts snippet type-checks under strict, and the backend with
// its phone and profile recipes runs as written in a child process against the simulator over
// real HTTP. What it reads from outside is the environment the guide names (REDIS_URL,
// WECHAT_SIMULATOR_URL, WX_IOS_*, WX_ANDROID_*, WX_MINI_*, WX_QR_*, JWT_SECRET, PORT).
const ROOT = path.resolve(__dirname, '../..');
const GUIDE = 'docs/native-and-miniprogram.md';
const CACHE = path.join(ROOT, 'node_modules/.cache/express-wxauth/snippets/native-and-miniprogram');
const LIB = { 'express-wxauth': path.join(ROOT, 'lib/index.ts'), 'express-wxauth/simulator': path.join(ROOT, 'lib/simulator/index.ts') };
const markdown = readFileSync(path.join(ROOT, GUIDE), 'utf8');
const snippets = extractSnippets(markdown, GUIDE);
const RUN = ['backend', 'own-phone', 'profile'];

describe('docs/native-and-miniprogram.md: the snippets', () => {
  test('every ts block runs or type-checks; only client-side code is skipped, with its reason', () => {
    const skipped = snippets.filter((s) => s.mode === 'skip');
    for (const s of skipped) expect(s.reason).toMatch(/^client-side: /);
    expect(snippets.filter((s) => s.lang === 'ts').every((s) => s.mode !== 'skip')).toBe(true);
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name).sort()).toEqual([...RUN].sort());
    expect(snippets[0]!.name).toBe('backend');
  });

  test('the client-side snippets show the code flow, the encryptedData flow and the 头像昵称 components', () => {
    const client = snippets.filter((s) => s.mode === 'skip').map((s) => s.code).join('\n');
    expect(client).toMatch(/open-type="getPhoneNumber"[\s\S]*e\.detail\.code[\s\S]*\/wx\/miniprogram\/phone/);
    expect(client).toMatch(/encryptedData, iv[\s\S]*\/wx\/miniprogram\/decrypt/);
    expect(client).toMatch(/open-type="chooseAvatar"[\s\S]*type="nickname"/);
  });

  test('the guide says what the platform does: the code flow recommended, encryptedData still works, anonymous profiles, the quota, the media event', () => {
    expect(markdown).toMatch(/recommended flow[\s\S]{0,80}\*\*by code\*\*/);
    expect(markdown).toMatch(/old `encryptedData` flow still works/);
    expect(markdown).toMatch(/since 2021-04[\s\S]{0,200}"微信用户"[\s\S]{0,40}grey default avatar/);
    expect(markdown).toMatch(/1400001/);
    expect(markdown).toMatch(/`wxa_media_check` event/);
  });

  test('every link lands: anchors in the guide, files and their headings in the repo', () => {
    const { broken } = brokenLinks(markdown, GUIDE, ROOT);
    expect(linksOf(markdown).length).toBeGreaterThanOrEqual(6);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

const APPS = {
  IOS: { appid: 'wxios0000000doc1', secret: 'ios-secret-for-the-guide-01234' },
  ANDROID: { appid: 'wxandroid000doc1', secret: 'android-secret-for-the-guide-0' },
  MINI: { appid: 'wxmini000000doc1', secret: 'mini-secret-for-the-guide-0123' },
  QR: { appid: 'wxqr00000000doc1', secret: 'qr-secret-for-the-guide-012345' },
};

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: TestRedis;

beforeAll(async () => {
  redis = await createTestRedis('docs-native-mini');
  sim = createSimulator({
    apps: [
      { ...APPS.IOS, type: 'mobile' },
      { ...APPS.ANDROID, type: 'mobile' },
      { ...APPS.MINI, type: 'miniprogram' },
      { ...APPS.QR, type: 'qrcode' },
    ],
  });
  ({ url: simUrl, close: closeSim } = await sim.listen());
});
afterAll(async () => {
  await closeSim();
  // What the program stored under the default prefix for these apps: sessions, session keys, tokens.
  for await (const keys of redis.client.scanIterator({ MATCH: 'wxauth:*doc1*', COUNT: 500 })) {
    const batch = ([] as string[]).concat(keys as string | string[]);
    if (batch.length) await redis.client.del(batch);
  }
  await redis.close();
});

describe('docs/native-and-miniprogram.md: the backend and its recipes, against the simulator', () => {
  let backend: RunningProgram;

  beforeAll(async () => {
    const dir = path.join(CACHE, 'backend');
    const bundle = await bundleProgram('backend', programOf(RUN.map((n) => snippetNamed(snippets, n)), snippets), { dir, alias: LIB });
    const port = await freePort();
    const env: Record<string, string> = {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      WECHAT_SIMULATOR_URL: simUrl,
      JWT_SECRET: 'jwt-secret-for-the-guide-0123456789',
      PORT: String(port),
    };
    for (const [name, app] of Object.entries(APPS)) Object.assign(env, { [`WX_${name}_APPID`]: app.appid, [`WX_${name}_SECRET`]: app.secret });
    backend = await startProgram(bundle, { cwd: dir, port, env });
  }, 60_000);
  afterAll(async () => {
    await backend?.stop();
  });

  /** A mini-program login: the session id and the JWT. */
  async function miniLogin(user: string): Promise<{ sessionId: string; token: string }> {
    const res = await request(backend.url).post('/wx/miniprogram/login').send({ code: sim.issueCode(APPS.MINI.appid, { user }) });
    expect(res.status).toBe(200);
    return res.body as { sessionId: string; token: string };
  }
  const me = (token: string) => request(backend.url).get('/api/me').set('Authorization', `Bearer ${token}`).set('Accept', 'application/json');

  test('a mini-program login makes an account; POST /wx/miniprogram/phone binds the number through resolveUser and answers a fresh token', async () => {
    const { sessionId, token } = await miniLogin('alice');
    expect((await me(token)).body).toEqual({ id: expect.any(Number), unionid: sim.unionidOf('alice') });
    const code = sim.issuePhoneCode({ appid: APPS.MINI.appid, openid: sim.openidOf(APPS.MINI.appid, 'alice'), phone: '13800138000' });
    const res = await request(backend.url).post('/wx/miniprogram/phone').set('X-Session-Id', sessionId).send({ code });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86', token: expect.any(String) });
    expect((await me(res.body.token)).body).toMatchObject({ phone: '13800138000' });
  });

  test('the native app of the same person (same unionid) lands on the same account', async () => {
    const { token } = await miniLogin('bob');
    const mini = (await me(token)).body as { id: number };
    const res = await request(backend.url)
      .post('/wx/oauth/login')
      .set({ 'X-Client-Type': 'ios', 'X-App-Id': APPS.IOS.appid })
      .send({ code: sim.issueCode(APPS.IOS.appid, { user: 'bob' }) });
    expect(res.status).toBe(200);
    expect((await me(res.body.token)).body).toMatchObject({ id: mini.id });
  });

  test('own-phone: /api/phone answers the number; a used code and the quota used up get their own answers', async () => {
    const { token } = await miniLogin('carol');
    const phone = (code: string) => request(backend.url).post('/api/phone').set('Authorization', `Bearer ${token}`).send({ code });
    const code = sim.issuePhoneCode({ appid: APPS.MINI.appid, user: 'carol', phone: '13700137000' });
    expect((await phone(code)).body).toEqual({ phone: '13700137000' });
    const used = await phone(code);
    expect([used.status, used.body]).toEqual([400, { error: 'Tap the button again' }]);
    sim.wxa.setPhoneQuota(APPS.MINI.appid, 0);
    try {
      const quota = await phone(sim.issuePhoneCode({ appid: APPS.MINI.appid, user: 'carol' }));
      expect([quota.status, quota.body]).toEqual([503, { error: 'Type your number instead' }]);
    } finally {
      sim.wxa.setPhoneQuota(APPS.MINI.appid, undefined);
    }
  });

  test('profile: a nickname WeChat finds risky is refused with 422 and not saved; a clean one is saved and the avatar submitted for the asynchronous check', async () => {
    const { token } = await miniLogin('dave');
    const profile = (body: object) => request(backend.url).post('/api/profile').set('Authorization', `Bearer ${token}`).send(body);
    const risky = await profile({ nickname: 'forbidden tea' });
    expect(risky.status).toBe(422);
    expect(risky.body).toEqual({ error: 'Choose another nickname', traceId: expect.stringMatching(/^[0-9a-f-]{26}$/) });
    expect((await me(token)).body.nickname).toBeUndefined();

    const ok = await profile({ nickname: ' 小明 ', avatarUrl: 'https://cdn.example.com/avatars/dave.png' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ nickname: '小明' });
    expect(ok.body.avatarUrl).toBeUndefined(); // shown only once the wxa_media_check event says pass
    const checks = sim.wxa.textChecks.filter((c) => c.openid === sim.openidOf(APPS.MINI.appid, 'dave'));
    expect(checks.map((c) => [c.content, c.scene, c.suggest])).toEqual([['forbidden tea', 1, 'risky'], ['小明', 1, 'pass']]);
    expect(sim.wxa.mediaChecks).toContainEqual(expect.objectContaining({ mediaUrl: 'https://cdn.example.com/avatars/dave.png', mediaType: 2, openid: sim.openidOf(APPS.MINI.appid, 'dave') }));
  });

  test('without a login the recipes answer 401 and WeChat is not asked', async () => {
    const before = sim.calls('/wxa/msg_sec_check');
    const res = await request(backend.url).post('/api/profile').set('Accept', 'application/json').send({ nickname: 'x' });
    expect(res.status).toBe(401);
    expect(sim.calls('/wxa/msg_sec_check')).toBe(before);
  });
});
