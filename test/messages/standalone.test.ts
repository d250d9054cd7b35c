import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createMessageServer, RedisStore } from '../../lib';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { AES_KEY, openReply, safeRequest, textXml, TOKEN } from './helpers';

// createMessageServer on its own route, for an account wxauth() does not configure (another
// official account, a mini program's message push): same protocol, its own store.
let redis: TestRedis;
let server: http.Server;
let url: string;

beforeAll(async () => {
  redis = await createTestRedis('messages-standalone');
  const messages = createMessageServer('wxmsg000000000001', { token: TOKEN, mode: 'safe', encodingAESKey: AES_KEY }, { store: new RedisStore(redis.client, { prefix: redis.prefix }) });
  messages.onMessage((m) => `standalone: ${String(m.content)}`);
  const app = express();
  app.all('/mini/push', messages.handler);
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await redis.close();
});

test('mounted on any route, it verifies, decrypts, handles and answers encrypted', async () => {
  const { query, body } = safeRequest(textXml('hi'));
  const res = await request(url).post('/mini/push').query(query).type('text/xml').send(body);
  expect(openReply(res.text)).toContain('<Content><![CDATA[standalone: hi]]></Content>');
});

test('options are checked at construction, the message naming the field', () => {
  expect(() => createMessageServer('wx1', { token: TOKEN, mode: 'safe' })).toThrow(expect.objectContaining({ code: 'config_error', message: '"messages.encodingAESKey" is required in "safe" mode' }));
  expect(() => createMessageServer('wx1', { token: 'a b', mode: 'plain' })).toThrow(expect.objectContaining({ code: 'config_error', field: 'messages.token' }));
  expect(() => createMessageServer('wx1', { token: TOKEN, mode: 'secure' as never })).toThrow(expect.objectContaining({ field: 'messages.mode' }));
});

describe('wxauth({ mp: { messages } }) options', () => {
  const mp = { appid: 'wxmsg000000000001', secret: 's' };
  test('a bad field is named, a typo gets a hint', async () => {
    const { wxauth } = await import('../../lib');
    expect(() => wxauth({ mp: { ...mp, messages: { token: TOKEN, mode: 'safe' } } })).toThrow('"mp.messages.encodingAESKey" is required in "safe" mode');
    expect(() => wxauth({ mp: { ...mp, messages: { tokn: TOKEN, mode: 'plain' } as never } })).toThrow('"mp.messages.tokn" is not a known option; did you mean "token"?');
    expect(() => wxauth({ mp: { ...mp, messages: { token: TOKEN, mode: 'plain', replyTimeoutMs: 6000 } } })).toThrow('"mp.messages.replyTimeoutMs" must be at most 4900 (WeChat waits 5 s)');
    expect(() => wxauth({ mp: { ...mp, messages: { token: TOKEN, mode: 'plain', path: 'wechat' } } })).toThrow(expect.objectContaining({ field: 'mp.messages.path' }));
  });

  test('router.onMessage without mp.messages is a config_error', async () => {
    const { wxauth } = await import('../../lib');
    expect(() => wxauth({ mp }).onMessage(() => undefined)).toThrow(expect.objectContaining({ code: 'config_error', field: 'mp.messages' }));
  });
});
