/**
 * `client.createQrcode` / `client.getFollowerInfo` against the simulator over HTTP, and the
 * simulator's qrcode/create, showqrcode (a real PNG of the phone page's URL) and user/info.
 */
import request from 'supertest';
import { wxauth, WxAuthError, type WxAuthRouter } from '../../lib';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { resolveEndpoints } from '../../lib/wechat/endpoints';
import { captureLogger } from '../helpers/logs';
import { decodeQrPng } from './decode-qr';

const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-0123456789abcdef' };
const QR = { appid: 'wxqr000000000001', secret: 'qr-secret-0123456789abcdef' };

let sim: Simulator;
let simUrl: string;
let close: () => Promise<void>;
let router: WxAuthRouter;
let clock = Date.now();

beforeAll(async () => {
  sim = createSimulator({ apps: [{ ...MP, type: 'mp' }, { ...QR, type: 'qrcode' }], now: () => clock });
  ({ url: simUrl, close } = await sim.listen());
  router = wxauth({ mp: MP, qrcode: QR, endpoints: { open: simUrl, api: simUrl }, logger: captureLogger(), now: () => clock });
});
afterAll(() => close());

test('the mp endpoint defaults to mp.weixin.qq.com, follows a configured open host, and can be set', () => {
  expect(resolveEndpoints({}).mp).toBe('https://mp.weixin.qq.com');
  expect(resolveEndpoints({ open: 'http://127.0.0.1:9/' }).mp).toBe('http://127.0.0.1:9');
  expect(resolveEndpoints({ open: 'http://a.test', mp: 'http://b.test' }).mp).toBe('http://b.test');
});

test('createQrcode makes a QR_STR_SCENE code: ticket, the encoded url, the granted life and the image on the mp host', async () => {
  const code = await router.client.createQrcode({ scene: 'wxlogin_test', expireSeconds: 300 });
  expect(code.expireSeconds).toBe(300);
  expect(code.imageUrl).toBe(`${simUrl}/cgi-bin/showqrcode?ticket=${encodeURIComponent(code.ticket)}`);
  expect(code.url).toBe(`${simUrl}/sim/phone/scan?ticket=${encodeURIComponent(code.ticket)}`);
  expect(sim.qrcodes.valid(code.ticket)).toMatchObject({ appid: MP.appid, scene: 'wxlogin_test' });
});

test('showqrcode answers a PNG that decodes to the phone page of that ticket; 404 once expired', async () => {
  const code = await router.client.createQrcode({ scene: 'wxlogin_png', expireSeconds: 60 });
  const png = await request(simUrl).get(new URL(code.imageUrl).pathname + new URL(code.imageUrl).search).buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });
  expect([png.status, png.headers['content-type']]).toEqual([200, 'image/png']);
  expect(decodeQrPng(png.body as Buffer)).toBe(code.url);
  clock += 61_000;
  const gone = await request(simUrl).get(`/cgi-bin/showqrcode?ticket=${encodeURIComponent(code.ticket)}`);
  expect(gone.status).toBe(404);
});

test('arguments WeChat would refuse are refused before any call (each refused call still costs quota)', async () => {
  const before = sim.calls('/cgi-bin/qrcode/create');
  for (const input of [{ scene: '' }, { scene: 'x'.repeat(65) }, { scene: 'ok', expireSeconds: 30 }, { scene: 'ok', expireSeconds: 2_592_001 }, { scene: 'ok', expireSeconds: 1.5 }]) {
    await expect(router.client.createQrcode(input)).rejects.toMatchObject({ code: 'args_error' });
  }
  expect(sim.calls('/cgi-bin/qrcode/create')).toBe(before);
});

test('the simulator refuses a website app (48001), an unknown action (40097) and a missing scene (40053), as WeChat', async () => {
  const tokenOf = async (app: typeof MP) => (await request(simUrl).get('/cgi-bin/token').query({ grant_type: 'client_credential', ...app })).body.access_token as string;
  // WeChat sends its error bodies as text/plain.
  const post = async (token: string, body: object) => JSON.parse((await request(simUrl).post(`/cgi-bin/qrcode/create?access_token=${token}`).send(body)).text) as { errcode?: number };
  const qrToken = await tokenOf(QR);
  const mpToken = await tokenOf(MP);
  expect((await post(qrToken, { action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'a' } } })).errcode).toBe(48001);
  expect((await post(mpToken, { action_name: 'QR_NOPE', action_info: { scene: { scene_str: 'a' } } })).errcode).toBe(40097);
  expect((await post(mpToken, { action_name: 'QR_STR_SCENE', action_info: { scene: {} } })).errcode).toBe(40053);
  const asClient = wxauth({ mp: MP, endpoints: { api: simUrl }, logger: captureLogger() });
  sim.faults.inject('/cgi-bin/qrcode/create', { errcode: 45009 });
  const error = await asClient.client.createQrcode({ scene: 'quota' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WxAuthError);
  expect(error).toMatchObject({ code: 'wechat_error', errcode: 45009 });
});

test('getFollowerInfo: subscribe false for a non-follower; after a follow, subscribe true with the unionid', async () => {
  const openid = sim.openidOf(MP.appid, 'carol');
  expect(await router.client.getFollowerInfo(openid)).toEqual({ subscribe: false, openid });
  sim.qrcodes.setFollowing(MP.appid, 'carol', true);
  const info = await router.client.getFollowerInfo(openid);
  expect(info).toMatchObject({ subscribe: true, openid, unionid: sim.unionidOf('carol'), subscribeScene: 'ADD_SCENE_QR_CODE' });
  await expect(router.client.getFollowerInfo('o-not-handed-out')).rejects.toMatchObject({ code: 'wechat_error', errcode: 40003 });
});
