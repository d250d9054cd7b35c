import axios, { type AxiosInstance } from 'axios';
import { wxauth, type WxAuthRouter } from '../../lib';
import { createSimulator, type SimServer, type Simulator } from '../../lib/simulator';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { RedisStore } from '../../lib/store/redis';

/**
 * A template message's msgid is a 64-bit integer (`271781022721654784`): `router.client.sendTemplate`
 * hands it back as its exact digits, through our own HTTP client and through a user's axios
 * instance, whose default `JSON.parse` would round it to `271781022721654800`.
 */
const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-never-logged' };
const SEND = '/cgi-bin/message/template/send';

let redis: TestRedis;
let sim: Simulator;
let server: SimServer;
let n = 0;
beforeAll(async () => {
  redis = await createTestRedis('msgid');
  sim = createSimulator({ apps: [{ ...MP, type: 'mp' }] });
  server = await sim.listen();
});
afterAll(async () => {
  await server.close();
  await redis.close();
});
beforeEach(() => sim.reset());

const routerWith = (axiosInstance?: AxiosInstance): WxAuthRouter =>
  wxauth({
    mp: MP,
    endpoints: { open: server.url, api: server.url, pay: server.url },
    store: new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` }),
    logger: captureLogger(),
    ...(axiosInstance ? { axios: axiosInstance } : {}),
  });
const message = () => ({ touser: sim.openidOf(MP.appid, 'alice'), templateId: 'order-paid', data: { first: { value: 'Paid' } } });

const INSTANCES: Array<[string, () => AxiosInstance | undefined]> = [
  ['our own HTTP client', () => undefined],
  ['axios.create() with its defaults (JSON.parse in transformResponse)', () => axios.create()],
  ["responseType: 'arraybuffer' and an interceptor that hands back a Uint8Array", () => {
    const instance = axios.create({ responseType: 'arraybuffer' });
    instance.interceptors.response.use((res) => ({ ...res, data: new Uint8Array(res.data as ArrayBuffer) }));
    return instance;
  }],
];

describe.each(INSTANCES)('router.client.sendTemplate with %s', (_name, make) => {
  test('resolves with the simulator’s 64-bit msgid, digit for digit, as a string', async () => {
    const router = routerWith(make());
    const { msgid } = await router.client.sendTemplate(message());
    const sent = sim.sentTemplates.at(-1)!;
    expect(typeof msgid).toBe('string');
    expect(msgid).toBe(sent.msgid);
    expect(BigInt(msgid)).toBeGreaterThan(2n ** 53n);
  });

  test("WeChat's own example msgid 271781022721654784 comes back exactly (JSON.parse gives …800)", async () => {
    const router = routerWith(make());
    // The answer WeChat sends, labelled as WeChat labels it.
    sim.faults.inject(SEND, { status: 200, body: '{"errcode":0,"errmsg":"ok","msgid":271781022721654784}', contentType: 'application/json; encoding=utf-8' });
    await expect(router.client.sendTemplate(message())).resolves.toEqual({ msgid: '271781022721654784' });
  });
});
