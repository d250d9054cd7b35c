import path from 'node:path';
import request from 'supertest';
import { ErrorCodes } from '../../lib';
import { Browser, MP, SECRETS, WECHAT_UA, startSimulator, type SimHandle } from '../oauth/harness';
import { brokenLinks, linksOf, typecheckSnippets, type RunningProgram } from './snippets';
import { LIB, loadGuide } from './fixtures/guide-programs';

// docs/errors.md: the table names every code of ErrorCodes, and the program of "Answering them"
// type-checks under strict and runs as written against the simulator over real HTTP: a logged-in
// visitor's template message, the two codes the route answers itself (token_error,
// not_subscribed), and the error handler answering every other WxAuthError with its status and
// safe JSON. Faults come from the simulator's fault injection.
const guide = loadGuide('docs/errors.md');
const { snippets } = guide;
const TEMPLATE_ID = 'tpl-order-shipped';
const SEND = '/cgi-bin/message/template/send';

describe('docs/errors.md: the guide', () => {
  test('its one ts snippet is the program it runs', () => {
    expect(snippets.map((s) => [s.name, s.mode])).toEqual([['answer', 'run']]);
  });

  test('the table names every code of ErrorCodes', () => {
    const rows = new Set([...guide.markdown.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]!));
    expect(Object.values(ErrorCodes).filter((code) => !rows.has(code))).toEqual([]);
  });

  test('every link lands', () => {
    const { broken } = brokenLinks(guide.markdown, guide.file, path.resolve(__dirname, '../..'));
    expect(linksOf(guide.markdown).length).toBeGreaterThan(1);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(guide.cache, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

describe('docs/errors.md: answering them, against the simulator', () => {
  let sim: SimHandle;
  let app: RunningProgram;
  let browser: Browser;
  const ship = (id: string) => browser.post(`/orders/${id}/shipped`, {}, 'json');

  beforeAll(async () => {
    sim = await startSimulator();
    app = await guide.start('answer', ['answer'], {
      WECHAT_SIMULATOR_URL: sim.url,
      WX_MP_APPID: MP.appid,
      WX_MP_SECRET: MP.secret,
      SESSION_SECRET: 'session-secret-for-the-guide-0123456789',
      TEMPLATE_ID,
    });
    browser = new Browser(app.url, sim.url, WECHAT_UA);
    await browser.visit('/oauth/wechat/login?action=mp&next=/');
  }, 60_000);
  afterEach(() => {
    for (const body of browser.bodies) {
      for (const secret of SECRETS) expect(body).not.toContain(secret);
      expect(body).not.toMatch(/access_token|refresh_token/);
    }
    for (const secret of SECRETS) expect(app.output()).not.toContain(secret);
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.close();
  });

  test('no token to be had (errcode 45009 on the token fetch): the route answers 503 try_later with Retry-After', async () => {
    sim.sim.faults.inject('/cgi-bin/stable_token', { errcode: 45009 });
    const res = await ship('A42');
    expect([res.status, res.headers['retry-after'], res.body]).toEqual([503, '60', { error: 'try_later' }]);
    expect(sim.sim.sentTemplates).toEqual([]);
  });

  test('the message goes to the logged-in visitor: 200 with WeChat\'s msgid', async () => {
    const res = await ship('A42');
    expect(res.status).toBe(200);
    const sent = sim.sim.sentTemplates.at(-1)!;
    expect(res.body).toEqual({ msgid: sent.msgid });
    expect(sent).toMatchObject({ appid: MP.appid, touser: sim.sim.openidOf(MP.appid, 'alice'), template_id: TEMPLATE_ID, data: { character_string1: { value: 'A42' }, thing2: { value: 'Shipped today' } } });
  });

  test('a token WeChat no longer accepts (40001) is replaced and the send retried once: still 200', async () => {
    sim.sim.faults.inject(SEND, { errcode: 40001 });
    const before = sim.sim.sentTemplates.length;
    expect((await ship('A43')).status).toBe(200);
    expect(sim.sim.sentTemplates.length).toBe(before + 1);
  });

  test('a visitor who does not follow the official account (43004): the route answers 409 follow_us_first', async () => {
    sim.sim.faults.inject(SEND, { errcode: 43004 });
    const res = await ship('A44');
    expect([res.status, res.body]).toEqual([409, { error: 'follow_us_first' }]);
  });

  test('another failure goes to the error handler: its status and its JSON, WeChat\'s errcode kept', async () => {
    sim.sim.faults.inject(SEND, { errcode: 40037 });
    const refused = await ship('A45');
    expect([refused.status, refused.body]).toEqual([400, { error: 'args_error', message: expect.stringContaining('40037'), errcode: 40037 }]);

    sim.sim.faults.inject(SEND, { errcode: -1, times: 3 });
    const busy = await ship('A46');
    expect([busy.status, busy.body]).toEqual([503, { error: 'wechat_error', message: expect.any(String), errcode: -1 }]);
  });

  test('a value WeChat would refuse is refused before the call, naming the field', async () => {
    const calls = sim.sim.calls(SEND);
    const res = await ship('A'.repeat(40));
    expect([res.status, res.body.error]).toEqual([400, 'args_error']);
    expect(res.body.message).toContain('data.character_string1');
    expect(sim.sim.calls(SEND)).toBe(calls);
  });

  test('without a login, requireLogin answers the API client 401 before the route runs', async () => {
    const res = await request(app.url).post('/orders/A47/shipped').set('Accept', 'application/json');
    expect([res.status, res.body.error]).toEqual([401, 'WXAUTH_REQUIRED']);
  });
});
