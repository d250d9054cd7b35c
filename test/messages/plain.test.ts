import request from 'supertest';
import type { TextMessage } from '../../lib/messages';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { eventXml, plainQuery, sha1Sorted, startMessageApp, textXml, TOKEN, type MessageApp } from './helpers';

// Plain mode (明文) over HTTP: the URL check, messages to handlers, replies and `success`.
let redis: TestRedis;
let app: MessageApp;
const seen: TextMessage[] = [];

beforeAll(async () => {
  redis = await createTestRedis('messages-plain');
  app = await startMessageApp(redis);
  app.router
    .onMessage((m) => {
      if (m.msgType !== 'text') return undefined;
      seen.push(m as TextMessage);
      return m.content === 'quiet' ? undefined : { type: 'text', content: `echo: ${m.content}` };
    })
    .onEvent('CLICK', (e) => `clicked ${e.eventKey}`);
});
afterAll(async () => {
  await app.close();
  await redis.close();
});

describe('GET: the server URL check', () => {
  test('echoes echostr when the signature verifies', async () => {
    const q = plainQuery();
    const res = await request(app.url).get('/wechat/message').query({ ...q, echostr: 'e1234567890' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('e1234567890');
  });

  test('a wrong signature gets 403 and no echostr', async () => {
    const q = plainQuery();
    const res = await request(app.url).get('/wechat/message').query({ ...q, signature: sha1Sorted('other', q.timestamp!, q.nonce!), echostr: 'e1234567890' });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('e1234567890');
  });

  test('a missing signature gets 403', async () => {
    const res = await request(app.url).get('/wechat/message').query({ timestamp: '1', nonce: 'n', echostr: 'x' });
    expect(res.status).toBe(403);
  });
});

describe('POST: plain messages', () => {
  test('a text message reaches the handler with camelCase fields and raw, and the reply comes back as XML', async () => {
    const res = await request(app.url).post('/wechat/message').query(plainQuery()).type('text/xml').send(textXml('hello', { msgId: '1234567890123456789' }));
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/xml');
    expect(res.text).toMatch(/^<xml><ToUserName><!\[CDATA\[oUSER000000000000000000alice\]\]><\/ToUserName><FromUserName><!\[CDATA\[gh_test\]\]><\/FromUserName><CreateTime>\d+<\/CreateTime><MsgType><!\[CDATA\[text\]\]><\/MsgType><Content><!\[CDATA\[echo: hello\]\]><\/Content><\/xml>$/);
    const m = seen.find((s) => s.msgId === '1234567890123456789')!;
    expect(m).toMatchObject({ toUserName: 'gh_test', fromUserName: 'oUSER000000000000000000alice', msgType: 'text', content: 'hello', msgId: '1234567890123456789' });
    expect(typeof m.createTime).toBe('number');
    expect(m.raw).toMatchObject({ ToUserName: 'gh_test', MsgId: '1234567890123456789', Content: 'hello' });
  });

  test('a handler that returns nothing: WeChat gets "success"', async () => {
    const res = await request(app.url).post('/wechat/message').query(plainQuery()).type('text/xml').send(textXml('quiet'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('success');
  });

  test('an event goes to its onEvent handler; a bare string is a text reply', async () => {
    const res = await request(app.url).post('/wechat/message').query(plainQuery()).type('text/xml').send(eventXml('CLICK', { EventKey: 'MENU_HELLO' }));
    expect(res.text).toContain('<Content><![CDATA[clicked MENU_HELLO]]></Content>');
  });

  test('an event nobody handles: "success"', async () => {
    const res = await request(app.url).post('/wechat/message').query(plainQuery()).type('text/xml').send(eventXml('VIEW', { EventKey: 'https://example.com/' }));
    expect(res.text).toBe('success');
  });

  test('a wrong signature is refused with 403 before the handler', async () => {
    const before = seen.length;
    const q = { ...plainQuery(), signature: sha1Sorted(TOKEN, '1', '2') };
    const res = await request(app.url).post('/wechat/message').query(q).type('text/xml').send(textXml('forged'));
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/^sign_error/);
    expect(seen.length).toBe(before);
  });

  test('other methods get 405', async () => {
    expect((await request(app.url).put('/wechat/message').send('x')).status).toBe(405);
  });
});
