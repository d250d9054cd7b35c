import request from 'supertest';
import { Browser, DESKTOP_UA, MP, QR, SECRETS, WECHAT_UA, startSimulator, type SimHandle } from '../oauth/harness';
import { type RunningProgram } from './snippets';
import { loadGuide } from './fixtures/guide-programs';

// The README's quick start runs as written, in its own process against the simulator over real
// HTTP, with the environment the login guide names: inside WeChat and on a desktop it lands back
// on /profile, logged in.
const readme = loadGuide('README.md');

let sim: SimHandle;
let app: RunningProgram;
const browsers: Browser[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  app = await readme.start('quickstart', ['quickstart'], {
    WECHAT_SIMULATOR_URL: sim.url,
    WX_MP_APPID: MP.appid,
    WX_MP_SECRET: MP.secret,
    WX_QR_APPID: QR.appid,
    WX_QR_SECRET: QR.secret,
    SESSION_SECRET: 'session-secret-for-the-readme-0123456789',
  });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await sim?.close();
});
afterEach(() => {
  for (const b of browsers.splice(0)) for (const body of b.bodies) for (const secret of SECRETS) expect(body).not.toContain(secret);
  for (const secret of SECRETS) expect(app.output()).not.toContain(secret);
});

const browser = (ua: string) => {
  const b = new Browser(app.url, sim.url, ua);
  browsers.push(b);
  return b;
};

describe("README: the quick start", () => {
  test('is the first snippet and runs as written', () => {
    expect(readme.snippets[0]!.name).toBe('quickstart');
    expect(readme.snippets.filter((s) => s.mode !== 'skip').map((s) => s.name)).toEqual(['quickstart']);
  });

  test('inside WeChat, /profile goes through the mp login and lands back on /profile, logged in', async () => {
    const b = browser(WECHAT_UA);
    expect((await b.get('/profile')).status).toBe(302);
    const { res, url } = await b.visit('/profile');
    expect(url).toBe(`${app.url}/profile`);
    expect(res.text).toBe(`hello ${sim.sim.openidOf(MP.appid, 'alice')}`);
  });

  test('a desktop browser goes through the QR-code page and lands on /profile as the website app', async () => {
    const b = browser(DESKTOP_UA);
    const page = await b.visit('/profile');
    expect(new URL(page.url).pathname).toBe('/connect/qrconnect');
    const done = await b.submitSimForm(page.res, page.url, { user: 'bob' });
    expect(done.url).toBe(`${app.url}/profile`);
    expect(done.res.text).toBe(`hello ${sim.sim.openidOf(QR.appid, 'bob')}`);
  });

  test('an API client gets 401 JSON with the login URL', async () => {
    const res = await request(app.url).get('/profile').set('Accept', 'application/json');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('WXAUTH_REQUIRED');
  });
});
