/** The example app's JSSDK page: loads /weixin-config.js, and the offline check accepts what it got. */
import vm from 'node:vm';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app';

let example: ExampleApp;
beforeAll(async () => {
  example = await createExampleApp({});
});
afterAll(async () => {
  await example.close();
});

test('GET /jssdk loads /weixin-config.js; the config it gets passes the simulator check', async () => {
  const pageUrl = 'http://127.0.0.1/jssdk';
  const pageRes = await request(example.app).get('/jssdk').set('Host', '127.0.0.1');
  expect(pageRes.status).toBe(200);
  expect(pageRes.text).toContain('<script src="/weixin-config.js"></script>');
  expect(pageRes.text).toContain('id="jssdk-config"');

  // What the browser does next: request the script with the page as Referer and run it.
  const script = await request(example.app).get('/weixin-config.js').set('Host', '127.0.0.1').set('Referer', pageUrl);
  expect(script.status).toBe(200);
  const configs: Array<Record<string, unknown>> = [];
  vm.runInNewContext(script.text, { wx: { config: (c: Record<string, unknown>) => configs.push(c) }, console });
  expect(configs[0]).toMatchObject({ appId: 'wxexamplemp00001', jsApiList: expect.arrayContaining(['updateAppMessageShareData']), openTagList: ['wx-open-launch-app'] });

  const ok = await request(example.app).post('/jssdk/check').set('Host', '127.0.0.1').send({ url: pageUrl, config: configs[0] });
  expect(ok.body).toEqual({ ok: true });
  const wrongPage = await request(example.app).post('/jssdk/check').set('Host', '127.0.0.1').send({ url: 'http://127.0.0.1/other', config: configs[0] });
  expect(wrongPage.body).toMatchObject({ ok: false });
});
