import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createSimulator, type Simulator, type SimServer } from '../../lib/simulator';
import { redisUrl } from '../helpers/redis';
import { brokenLinks, bundleProgram, extractSnippets, freePort, linksOf, programOf, snippetNamed, startProgram, typecheckSnippets, type RunningProgram } from './snippets';

// docs/message-server.md: every ts snippet type-checks under strict, and the quick start with
// the slow-handler recipe runs as written (its own process, real Redis) while the simulator
// plays WeChat's side over HTTP.
const ROOT = path.resolve(__dirname, '../..');
const GUIDE = 'docs/message-server.md';
const CACHE = path.join(ROOT, 'node_modules/.cache/express-wxauth/snippets/message-server');
const LIB = { 'express-wxauth': path.join(ROOT, 'lib/index.ts'), 'express-wxauth/simulator': path.join(ROOT, 'lib/simulator/index.ts') };
const markdown = readFileSync(path.join(ROOT, GUIDE), 'utf8');
const snippets = extractSnippets(markdown, GUIDE);

describe('docs/message-server.md: the snippets', () => {
  test('the run snippets are the quick start and the slow-handler recipe', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name).sort()).toEqual(['quickstart', 'slow']);
    expect(snippets.every((s) => s.mode !== 'skip')).toBe(true);
  });

  test('every link lands', () => {
    const { broken } = brokenLinks(markdown, GUIDE, ROOT);
    expect(linksOf(markdown).length).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(CACHE, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

describe('the quick start and the slow-handler recipe, run as written', () => {
  const APPID = 'wx3c5f0d6a0c7e2b91';
  const TOKEN = 'devtoken';
  const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  let sim: Simulator;
  let simServer: SimServer;
  let program: RunningProgram;

  beforeAll(async () => {
    sim = createSimulator({ apps: [{ appid: APPID, secret: 'mp-secret-for-development', type: 'mp', name: 'Tea Shop' }] });
    simServer = await sim.listen();
    const bundle = await bundleProgram('quickstart-slow', programOf([snippetNamed(snippets, 'quickstart'), snippetNamed(snippets, 'slow')], snippets), { dir: path.join(CACHE, 'run'), alias: LIB });
    const port = await freePort();
    program = await startProgram(bundle, {
      cwd: path.join(CACHE, 'run'),
      port,
      env: { PORT: String(port), REDIS_URL: redisUrl(), WECHAT_SIMULATOR: simServer.url, WX_MP_APPID: APPID, WX_MP_SECRET: 'mp-secret-for-development', WX_MESSAGE_TOKEN: TOKEN, WX_ENCODING_AES_KEY: KEY },
    });
    sim.connectMessages(APPID, { url: `${program.url}/wechat/message`, token: TOKEN, encodingAESKey: KEY, mode: 'safe' });
  }, 60_000);
  afterAll(async () => {
    await program?.stop();
    await simServer?.close();
  });

  test("WeChat's URL check: echostr back only with a good signature", async () => {
    const { createHash } = await import('node:crypto');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHash('sha1').update([TOKEN, timestamp, 'n1'].sort().join('')).digest('hex');
    expect((await request(program.url).get('/wechat/message').query({ signature, timestamp, nonce: 'n1', echostr: 'hello-echo' })).text).toBe('hello-echo');
    expect((await request(program.url).get('/wechat/message').query({ signature: '0'.repeat(40), timestamp, nonce: 'n1', echostr: 'x' })).status).toBe(403);
  });

  test('a text is echoed, the hello button answered, a follow welcomed — encrypted both ways', async () => {
    const text = await sim.pushMessage(APPID, { from: 'alice', content: '你好' });
    expect(text.attempts[0]!.body).toMatch(/^<xml><Encrypt>/);
    expect(text.reply).toMatchObject({ MsgType: 'text', Content: '你说：你好' });
    expect((await sim.pushMessage(APPID, { from: 'alice', event: 'CLICK', eventKey: 'MENU_HELLO' })).reply).toMatchObject({ Content: '你好！' });
    expect((await sim.pushMessage(APPID, { from: 'bob', event: 'subscribe' })).reply).toMatchObject({ Content: '欢迎关注！' });
    expect((await sim.pushMessage(APPID, { from: 'bob', msgType: 'image', picUrl: 'http://p/1.png', mediaId: 'M' })).outcome).toBe('success');
  });

  test('the report button: acknowledged at once, the report sent as a customer-service message', async () => {
    const ack = await sim.pushMessage(APPID, { from: 'carol', event: 'CLICK', eventKey: 'MENU_REPORT' });
    expect(ack.reply).toMatchObject({ Content: '正在生成报告，稍后发给你' });
    const openid = sim.openidOf(APPID, 'carol');
    for (let i = 0; i < 50 && !sim.sentCustomMessages.some((m) => m.touser === openid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(sim.sentCustomMessages.find((m) => m.touser === openid)).toMatchObject({ msgtype: 'text', body: { text: { content: `Report for ${openid.slice(-4)}: 3 orders, all shipped` } } });
  });
});
