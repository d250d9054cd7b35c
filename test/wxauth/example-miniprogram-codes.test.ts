/** The example app's codes-and-links page, offline on the simulator: a code that decodes to the scene, and links. */
import request from 'supertest';
import { createExampleApp, SIM_APPS, type ExampleApp } from '../../example-app/app';
import { decodeQr } from '../client/qr-image';

let example: ExampleApp;
const MINI = SIM_APPS.find((a) => a.type === 'miniprogram')!;
const png = (req: request.Test) =>
  req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

beforeAll(async () => {
  example = await createExampleApp({});
});
afterAll(async () => {
  await example.close();
});

test('the page shows a code for the scene, and the image decodes to what a scan would open', async () => {
  const res = await request(example.app).get('/mini-program/codes?scene=table%3D7');
  expect(res.status).toBe(200);
  expect(res.text).toContain('src="/mini-program/codes/code.png?scene=table%3D7"');
  expect(res.text).toContain('href="/mini-program/codes"');
  const image = await png(request(example.app).get('/mini-program/codes/code.png?scene=table%3D7'));
  expect(image.status).toBe(200);
  expect(image.headers['content-type']).toBe('image/png');
  expect(decodeQr(image.body as Buffer)).toBe(`wxacode:${MINI.appid}:pages/index/index?scene=table%3D7`);
});

test('a scene WeChat would refuse answers 400 with the reason, before any call', async () => {
  const res = await request(example.app).get(`/mini-program/codes/code.png?scene=${'x'.repeat(40)}`);
  expect(res.status).toBe(400);
  expect(res.text).toMatch(/^args_error: "scene" must be 1-32 characters/);
});

test('the link button makes a URL Link and a Short Link', async () => {
  const res = await request(example.app).post('/mini-program/codes/link').type('form').send({});
  expect(res.status).toBe(200);
  expect(res.text).toMatch(/id="url-link">https:\/\/wxaurl\.cn\/[A-Za-z0-9]+</);
  expect(res.text).toMatch(/id="short-link">#小程序:\/\//);
});
