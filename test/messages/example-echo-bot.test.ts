import request from 'supertest';
import { createExampleApp, SIM_APPS, type ExampleApp } from '../../example-app/app';

// The example's echo bot, offline: the simulated official account's users write to the app's
// message server (safe mode) through sim.pushMessage and the phone console.
let example: ExampleApp;
let url: string;
const MP = SIM_APPS.find((a) => a.type === 'mp')!;

beforeAll(async () => {
  example = await createExampleApp({});
  ({ url } = await example.listen(0, '127.0.0.1'));
});
afterAll(async () => {
  await example.close();
});

test('/echo-bot connects the simulated account and links to the phone console', async () => {
  const res = await request(url).get('/echo-bot');
  expect(res.status).toBe(200);
  expect(res.text).toContain(`${example.context.simulatorUrl}/sim/phone/console?appid=${MP.appid}`);
  expect(res.text).toContain('safe mode');
});

test('a text is echoed, a menu click answered, a plain follow welcomed — all through safe mode', async () => {
  const sim = example.context.simulator!;
  await request(url).get('/echo-bot');
  const text = await sim.pushMessage(MP.appid, { from: 'alice', content: '你好' });
  expect(text.attempts[0]!.body).toMatch(/^<xml><Encrypt>/);
  expect(text.reply).toMatchObject({ MsgType: 'text', Content: '你说：你好' });
  expect((await sim.pushMessage(MP.appid, { from: 'alice', event: 'CLICK', eventKey: 'MENU_HELLO' })).reply).toMatchObject({ Content: '你点了菜单 MENU_HELLO' });
  expect((await sim.pushMessage(MP.appid, { from: 'bob', event: 'subscribe' })).reply).toMatchObject({ Content: expect.stringContaining('欢迎关注') });
  expect((await sim.pushMessage(MP.appid, { from: 'bob', msgType: 'image', picUrl: 'http://p/1.png', mediaId: 'M' })).reply).toMatchObject({ Content: '收到一条 image 消息' });
});

test('the phone console shows the echo', async () => {
  await request(url).get('/echo-bot');
  const res = await request(example.context.simulatorUrl!).post('/sim/phone/console').type('form').send({ appid: MP.appid, user: 'carol', kind: 'text', content: 'echo me' });
  expect(res.text).toContain('<p class="bubble" id="reply">你说：echo me</p>');
});
