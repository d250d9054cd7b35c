import request from 'supertest';
import { createSimulator, type SimServer, type Simulator } from '../../lib/simulator';
import { decodeQr } from '../client/qr-image';

// The simulator's mini-program codes, links and shipping endpoints on the wire, over real HTTP:
// WeChat's answers byte for byte where it matters (an image, or JSON errors with HTTP 200 as
// text/plain), and the errcodes of its own checks.
const MINI = { appid: 'wxmini000000000sim', secret: 'mini-secret-sim' };
const MP = { appid: 'wxmp00000000000sim', secret: 'mp-secret-sim' };
let sim: Simulator;
let server: SimServer;
let token: string;
let mpToken: string;

const tokenOf = async (app: { appid: string; secret: string }) =>
  (await request(server.url).post('/cgi-bin/stable_token').send({ grant_type: 'client_credential', ...app })).body.access_token as string;
const post = (path: string, body: unknown, t = token) => request(server.url).post(`${path}?access_token=${t}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
const binary = (path: string, body: unknown) =>
  post(path, body)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
const errcodeOf = (res: request.Response) => JSON.parse(Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.text).errcode as number;

beforeAll(async () => {
  sim = createSimulator({ apps: [{ ...MINI, type: 'miniprogram' }, { ...MP, type: 'mp' }] });
  server = await sim.listen();
  token = await tokenOf(MINI);
  mpToken = await tokenOf(MP);
});
afterAll(() => server.close());

describe('getwxacodeunlimit on the wire', () => {
  test('success is image/png bytes that decode to the scene', async () => {
    const res = await binary('/wxa/getwxacodeunlimit', { scene: 'a=1', page: 'pages/x/x', width: 280 });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(decodeQr(res.body as Buffer)).toBe(`wxacode:${MINI.appid}:pages/x/x?scene=a%3D1`);
  });

  test.each([
    [{ scene: 'a'.repeat(33) }, 40169],
    [{ scene: 'a b' }, 40129],
    [{}, 40097],
    [{ scene: 'a', page: '/pages/x/x' }, 41030],
    [{ scene: 'a', page: 'pages/x/x?scancode_time=1' }, 41030],
    [{ scene: 'a', page: 'pages/scancode_time/x' }, 85096],
    [{ scene: 'a', env_version: 'beta' }, 40097],
  ])('%j answers errcode %i as JSON with HTTP 200, text/plain', async (body, errcode) => {
    const res = await binary('/wxa/getwxacodeunlimit', body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(errcodeOf(res)).toBe(errcode);
  });

  test('an official account’s token answers 48001', async () => {
    expect(errcodeOf(await post('/wxa/getwxacodeunlimit', { scene: 'a' }, mpToken))).toBe(48001);
  });
});

describe('links on the wire', () => {
  test.each([
    ['/wxa/generate_urllink', { expire_type: 1, expire_interval: 0 }, 85401],
    ['/wxa/generate_urllink', { expire_type: 0, expire_time: Math.floor(Date.now() / 1000) + 10 }, 85401],
    ['/wxa/generate_urllink', { query: 'x'.repeat(1025) }, 40212],
    ['/wxa/generate_urllink', { env_version: 'beta' }, 85402],
    ['/wxa/generatescheme', { jump_wxa: { path: 'pages/a/a?x=1' } }, 40165],
    ['/wxa/genwxashortlink', { page_url: '/pages/a/a' }, 40066],
  ])('%s %j answers %i', async (path, body, errcode) => {
    const res = await post(path, body);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(errcodeOf(res)).toBe(errcode);
  });
});

describe('shipping on the wire', () => {
  test.each([
    [{ logistics_type: 9 }, 10060005],
    [{ logistics_type: 1, delivery_mode: 3 }, 268485224],
    [{ logistics_type: 3, delivery_mode: 2, is_all_delivered: true }, 10060006],
    [{ logistics_type: 1, delivery_mode: 2 }, 10060007],
    [{ logistics_type: 3, delivery_mode: 1, shipping_list: [{ item_desc: 'x' }, { item_desc: 'y' }] }, 268485228],
    [{ logistics_type: 3, delivery_mode: 1, shipping_list: [{ item_desc: 'x' }], upload_time: '2026-05-01 10:00' }, 268485216],
    [{ logistics_type: 3, delivery_mode: 1, shipping_list: [{ item_desc: 'x'.repeat(121) }], upload_time: '2026-05-01T10:00:00+08:00' }, 10060009],
    [{ logistics_type: 3, delivery_mode: 1, shipping_list: [{ item_desc: 'x' }], upload_time: '2026-05-01T10:00:00+08:00', order_key: {} }, 268485195],
    [{ logistics_type: 3, delivery_mode: 1, shipping_list: [{ item_desc: 'x' }], upload_time: '2026-05-01T10:00:00+08:00', order_key: { order_number_type: 2, transaction_id: '42' } }, 10060001],
  ])('upload %j answers %i', async (body, errcode) => {
    expect(errcodeOf(await post('/wxa/sec/order/upload_shipping_info', body))).toBe(errcode);
  });

  test('is_trade_managed for the mini program; get_order_list is empty before any payment', async () => {
    expect((await post('/wxa/sec/order/is_trade_managed', { appid: MINI.appid })).body).toEqual({ errcode: 0, errmsg: 'ok', is_trade_managed: true });
    expect((await post('/wxa/sec/order/get_order_list', {})).body).toMatchObject({ errcode: 0, order_list: [], has_more: false });
  });
});
