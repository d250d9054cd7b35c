import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { wxauth, type WxAuthRouter } from '../../lib';
import { createSimulator, type Simulator, type SimServer } from '../../lib/simulator';
import { createTestRedis, type TestRedis } from '../helpers/redis';

// sim.pushMessage: a user's message or event, signed and encrypted per mode, posted to the app's
// message URL over HTTP as WeChat does (redelivered when the app is slow), the reply checked and
// decrypted; customer-service messages within the 48-hour window.
const APPID = 'wxmp000000000001';
const SECRET = 'mp-secret-0001';
const TOKEN = 'pushtoken1';
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

let redis: TestRedis;
let sim: Simulator;
let simServer: SimServer;
let server: http.Server;
let url: string;
let router: WxAuthRouter;
const runs: string[] = [];

beforeAll(async () => {
  redis = await createTestRedis('sim-phone-push');
  sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET, type: 'mp', name: 'Echo Shop' }, { appid: 'wxqr000000000001', secret: 's', type: 'qrcode' }] });
  simServer = await sim.listen();
  router = wxauth({
    mp: { appid: APPID, secret: SECRET, messages: { token: TOKEN, mode: 'safe', encodingAESKey: KEY, replyTimeoutMs: 1000 } },
    endpoints: { api: simServer.url, open: simServer.url },
    store: redis.client,
    storePrefix: redis.prefix,
    logger: { warn: () => undefined, error: () => undefined },
  });
  router
    .onMessage(async (m) => {
      runs.push(String(m.content));
      if (String(m.content).startsWith('slow')) await new Promise((r) => setTimeout(r, 300));
      return `you said: ${String(m.content)}`;
    })
    .onEvent('CLICK', (e) => ({ type: 'news', articles: [{ title: `Menu ${String(e.eventKey)}`, description: 'from the menu' }] }));
  const app = express();
  app.use(router);
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim.connectMessages(APPID, { url: `${url}/wechat/message`, token: TOKEN, encodingAESKey: KEY, mode: 'safe' });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await simServer.close();
  await redis.close();
});

test('a text message in safe mode: one attempt, the passive reply decrypted and verified', async () => {
  const result = await sim.pushMessage(APPID, { from: 'alice', content: 'hello' });
  expect(result.outcome).toBe('replied');
  expect(result.attempts).toHaveLength(1);
  expect(result.attempts[0]!.body).toMatch(/^<xml><Encrypt>/);
  expect(result.reply).toMatchObject({ MsgType: 'text', Content: 'you said: hello', ToUserName: sim.openidOf(APPID, 'alice'), FromUserName: result.toUserName });
  expect(result.msgId).toMatch(/^\d{18,}$/);
  expect(result.xml).toContain(`<MsgId>${result.msgId}</MsgId>`);
});

test('a menu click: an event without MsgId, answered with a news reply', async () => {
  const result = await sim.pushMessage(APPID, { from: 'bob', event: 'CLICK', eventKey: 'MENU_1' });
  expect(result.msgId).toBeUndefined();
  expect(result.xml).toContain('<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_1]]></EventKey>');
  expect(result.reply).toMatchObject({ MsgType: 'news', ArticleCount: '1', Articles: { item: [{ Title: 'Menu MENU_1', Description: 'from the menu' }] } });
});

test('a slow app: redelivered after the timeout (freshly signed, same MsgId); the handler runs once and a retry carries the reply', async () => {
  const result = await sim.pushMessage(APPID, { from: 'carol', content: 'slow one', timeoutMs: 250 });
  expect(result.attempts[0]!.timedOut).toBe(true);
  expect(result.attempts.length).toBeGreaterThanOrEqual(2);
  expect(result.outcome).toBe('replied');
  expect(result.reply).toMatchObject({ Content: 'you said: slow one' });
  expect(runs.filter((r) => r === 'slow one')).toHaveLength(1);
});

test('an app that never answers in time: 3 attempts, then failed', async () => {
  const hang = http.createServer(() => undefined);
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  sim.connectMessages(APPID, { url: `http://127.0.0.1:${(hang.address() as AddressInfo).port}/wechat/message`, token: TOKEN, encodingAESKey: KEY, mode: 'safe' });
  try {
    const result = await sim.pushMessage(APPID, { from: 'alice', content: 'into the void', timeoutMs: 100 });
    expect(result.outcome).toBe('failed');
    expect(result.attempts.map((a) => a.timedOut)).toEqual([true, true, true]);
  } finally {
    hang.closeAllConnections();
    await new Promise((r) => hang.close(r));
    sim.connectMessages(APPID, { url: `${url}/wechat/message`, token: TOKEN, encodingAESKey: KEY, mode: 'safe' });
  }
});

test('a reply WeChat would reject (plaintext in safe mode) is failed, not shown', async () => {
  const liar = express();
  liar.post('/m', (_req, res) => void res.type('text/xml').send('<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[g]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[forged]]></Content></xml>'));
  const s = http.createServer(liar);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  sim.connectMessages(APPID, { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/m`, token: TOKEN, encodingAESKey: KEY, mode: 'safe' });
  try {
    const result = await sim.pushMessage(APPID, { from: 'alice', content: 'hi' });
    expect(result.outcome).toBe('failed');
    expect(result.attempts[0]!.error).toBe('safe mode: the reply is not encrypted');
    expect(result.reply).toBeUndefined();
  } finally {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
    sim.connectMessages(APPID, { url: `${url}/wechat/message`, token: TOKEN, encodingAESKey: KEY, mode: 'safe' });
  }
});

test('connectMessages refuses an app that is not an official account, and safe mode without a key', () => {
  expect(() => sim.connectMessages('wxqr000000000001', { url: 'http://x/', token: 't', mode: 'plain' })).toThrow(/not an official account/);
  expect(() => sim.connectMessages(APPID, { url: 'http://x/', token: 't', mode: 'safe' })).toThrow(expect.objectContaining({ code: 'config_error' }));
});

describe('customer-service messages (client.sendCustomMessage)', () => {
  test('within 48 hours of the user writing: delivered; to a user who never wrote: 45015', async () => {
    await sim.pushMessage(APPID, { from: 'dave', content: 'please answer later' });
    await router.client.sendCustomMessage({ touser: sim.openidOf(APPID, 'dave'), msgtype: 'text', text: { content: 'here is the answer' } });
    expect(sim.sentCustomMessages.at(-1)).toMatchObject({ appid: APPID, touser: sim.openidOf(APPID, 'dave'), msgtype: 'text', body: { text: { content: 'here is the answer' } } });
    await expect(router.client.sendCustomMessage({ touser: sim.openidOf(APPID, 'erin'), msgtype: 'text', text: { content: 'x' } })).rejects.toMatchObject({ code: 'wechat_error', errcode: 45015 });
  });

  test('a malformed message is refused before any call', async () => {
    const before = sim.calls('/cgi-bin/message/custom/send');
    await expect(router.client.sendCustomMessage({ touser: '', msgtype: 'text', text: { content: 'x' } })).rejects.toMatchObject({ code: 'args_error', field: 'touser' });
    await expect(router.client.sendCustomMessage({ touser: 'o', msgtype: 'fax' } as never)).rejects.toMatchObject({ code: 'args_error', field: 'msgtype' });
    expect(sim.calls('/cgi-bin/message/custom/send')).toBe(before);
  });
});

describe('the phone console page', () => {
  test('sends a text as the chosen user and shows the passive reply', async () => {
    const page = await request(simServer.url).get('/sim/phone/console').query({ appid: APPID, user: 'frank' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="send-text"');
    const res = await request(simServer.url).post('/sim/phone/console').type('form').send({ appid: APPID, user: 'frank', kind: 'text', content: '<b>hi</b>' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<p class="bubble" id="reply">you said: &#60;b&#62;hi&#60;/b&#62;</p>');
    expect(runs).toContain('<b>hi</b>');
  });

  test('a menu click shows the news reply', async () => {
    const res = await request(simServer.url).post('/sim/phone/console').type('form').send({ appid: APPID, user: 'frank', kind: 'click', eventKey: 'MENU_2' });
    expect(res.text).toContain('<b>Menu MENU_2</b>');
  });

  test('an app without a message URL is said so', async () => {
    const res = await request(simServer.url).post('/sim/phone/console').type('form').send({ appid: 'wxqr000000000001', user: 'frank', kind: 'text', content: 'x' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('id="error"');
  });
});

test('an app given with `messages` in createSimulator is connected from the start (plain mode here)', async () => {
  const plainSim = createSimulator({ apps: [{ appid: 'wxmp000000000002', secret: 's2', type: 'mp', messages: { url: `${url}/elsewhere`, token: TOKEN, mode: 'plain' } }] });
  const result = await plainSim.pushMessage('wxmp000000000002', { from: 'alice', content: 'hi' });
  // Our app has no route there: Express answers 404, which WeChat does not retry.
  expect(result.outcome).toBe('failed');
  expect(result.attempts).toEqual([expect.objectContaining({ status: 404, timedOut: false })]);
  expect(result.xml).not.toContain('<Encrypt>');
  expect(() => createSimulator({ apps: [{ appid: 'wxmp000000000003', secret: 's', type: 'mp', messages: { url: 'ftp://x', token: 't', mode: 'plain' } }] })).toThrow(expect.objectContaining({ code: 'config_error', field: 'simulator.apps.0.messages.url' }));
});
