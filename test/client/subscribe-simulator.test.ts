import { createSimulator, type SimServer, type Simulator } from '../../lib/simulator';

/**
 * The simulator's subscribe endpoints and its category-template checks, spoken to as WeChat is:
 * raw JSON over a real HTTP socket, no client of ours in between (what a peer library would send).
 */
const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-never-logged', type: 'mp' as const };
const MINI = { appid: 'wxmini00000000001', secret: 'mini-secret-never-logged', type: 'miniprogram' as const };
const TEMPLATE = 'tpl-order-shipped';

let sim: Simulator;
let server: SimServer;
beforeAll(async () => {
  sim = createSimulator({ apps: [MP, MINI] });
  server = await sim.listen();
});
afterAll(() => server.close());
beforeEach(() => sim.reset());

async function tokenOf(app: { appid: string; secret: string }): Promise<string> {
  const res = await fetch(`${server.url}/cgi-bin/stable_token`, { method: 'POST', body: JSON.stringify({ grant_type: 'client_credential', appid: app.appid, secret: app.secret }) });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function post(path: string, token: string, body: unknown): Promise<{ text: string; json: Record<string, unknown>; type: string | null }> {
  const res = await fetch(`${server.url}${path}?access_token=${encodeURIComponent(token)}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { text, json: JSON.parse(text) as Record<string, unknown>, type: res.headers.get('content-type') };
}

const SEND = '/cgi-bin/message/subscribe/send';
const BIZSEND = '/cgi-bin/message/subscribe/bizsend';
const message = (openid: string, extra: Record<string, unknown> = {}) => ({ touser: openid, template_id: TEMPLATE, data: { thing1: { value: 'Green tea' }, amount2: { value: '¥12.50' } }, ...extra });

describe('/cgi-bin/message/subscribe/send (mini program)', () => {
  test('accepts after a subscription, answers a bare 64-bit msgid, records the message, spends the subscription', async () => {
    const token = await tokenOf(MINI);
    const openid = sim.openidOf(MINI.appid, 'alice');
    expect(sim.subscribe({ appid: MINI.appid, openid, templateId: TEMPLATE, times: 2 })).toBe(2);
    const ok = await post(SEND, token, message(openid, { page: 'pages/index/index?foo=bar', miniprogram_state: 'developer', lang: 'zh_CN' }));
    expect(ok.text).toMatch(/^\{"errcode":0,"errmsg":"ok","msgid":\d{18,19}\}$/);
    expect(ok.type).toBe('application/json; encoding=utf-8');
    expect(sim.sentSubscribes.at(-1)).toMatchObject({ kind: 'send', appid: MINI.appid, touser: openid, page: 'pages/index/index?foo=bar', miniprogram_state: 'developer', lang: 'zh_CN' });
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(0);
    const refused = await post(SEND, token, message(openid));
    expect(refused.json).toMatchObject({ errcode: 43101, errmsg: expect.stringMatching(/^user refuse to accept the msg, rid: /) });
    expect(refused.type).toBe('text/plain');
    expect(sim.sentSubscribes).toHaveLength(2);
  });

  test('a long-term subscription (times: Infinity) is never spent', async () => {
    const token = await tokenOf(MINI);
    const openid = sim.openidOf(MINI.appid, 'alice');
    sim.subscribe({ appid: MINI.appid, openid, templateId: TEMPLATE, times: Infinity });
    for (let i = 0; i < 4; i++) expect((await post(SEND, token, message(openid))).json.errcode).toBe(0);
  });

  test('WeChat’s checks, in its order, none of which spends the subscription', async () => {
    const token = await tokenOf(MINI);
    const openid = sim.openidOf(MINI.appid, 'alice');
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(40037); // the app has no such template yet
    sim.subscribe({ appid: MINI.appid, openid, templateId: TEMPLATE });
    expect((await post(SEND, token, message('oUnknownOpenid'))).json.errcode).toBe(40003);
    expect((await post(SEND, token, message(sim.openidOf(MP.appid, 'alice')))).json.errcode).toBe(40003); // another app's openid
    expect((await post(SEND, token, message(openid, { page: 'https://shop.example.com/' }))).json.errcode).toBe(41030);
    expect((await post(SEND, token, message(openid, { miniprogram_state: 'beta' }))).json).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('miniprogram_state') });
    expect((await post(SEND, token, message(openid, { lang: 'fr' }))).json.errcode).toBe(47003);
    expect((await post(SEND, token, message(openid, { data: 'x' }))).json.errcode).toBe(47001);
    expect((await post(SEND, token, '{not json')).json.errcode).toBe(47001);
    const tooLong = await post(SEND, token, message(openid, { data: { thing1: { value: '一二三四五六七八九十一二三四五六七八九十一' } } }));
    expect(tooLong.json).toMatchObject({ errcode: 47003, errmsg: expect.stringMatching(/^argument invalid! data\.thing1\.value invalid, rid: /) });
    expect((await post(SEND, token, message(openid, { data: { phrase3: { value: 'shipped' } } }))).json.errcode).toBe(47003);
    expect((await post(SEND, token, message(openid, { data: { thing1: 'not { value }' } }))).json.errcode).toBe(47003);
    expect(sim.sentSubscribes).toEqual([]);
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(0);
  });

  test('only a mini program may send subscribe messages, only an official account notices (48001)', async () => {
    const mpToken = await tokenOf(MP);
    const mpOpenid = sim.openidOf(MP.appid, 'alice');
    sim.subscribe({ appid: MP.appid, openid: mpOpenid, templateId: TEMPLATE });
    expect((await post(SEND, mpToken, message(mpOpenid))).json.errcode).toBe(48001);
    const miniToken = await tokenOf(MINI);
    expect((await post(BIZSEND, miniToken, message(sim.openidOf(MINI.appid, 'alice')))).json.errcode).toBe(48001);
    expect((await post(SEND, 'bogus', message(mpOpenid))).json.errcode).toBe(40001);
  });
});

describe('/cgi-bin/message/subscribe/bizsend (official account 订阅通知)', () => {
  test('accepts a web page or a mini program jump; a bad pagepath is 41030', async () => {
    const token = await tokenOf(MP);
    const openid = sim.openidOf(MP.appid, 'alice');
    sim.subscribe({ appid: MP.appid, openid, templateId: TEMPLATE, times: 3 });
    expect((await post(BIZSEND, token, message(openid, { page: 'https://shop.example.com/orders/1' }))).json.errcode).toBe(0);
    expect((await post(BIZSEND, token, message(openid, { miniprogram: { appid: MINI.appid, pagepath: 'pages/order/detail?id=1' } }))).json.errcode).toBe(0);
    expect((await post(BIZSEND, token, message(openid, { miniprogram: { appid: MINI.appid, pagepath: '../x y' } }))).json.errcode).toBe(41030);
    expect(sim.sentSubscribes.map((s) => [s.kind, s.page ?? s.miniprogram?.pagepath])).toEqual([
      ['bizsend', 'https://shop.example.com/orders/1'],
      ['bizsend', 'pages/order/detail?id=1'],
    ]);
  });
});

describe('sim.subscribe, sim.addTemplate, reset', () => {
  test('refuses a subscription without appid, openid or template, or with a bad count', () => {
    expect(() => sim.subscribe({ appid: MINI.appid, openid: '', templateId: TEMPLATE })).toThrow(/required/);
    expect(() => sim.subscribe({ appid: MINI.appid, openid: 'o', templateId: TEMPLATE, times: 0 })).toThrow(/positive integer/);
    expect(() => sim.subscribe({ appid: MINI.appid, openid: 'o', templateId: TEMPLATE, times: 1.5 })).toThrow(/positive integer/);
  });

  test('addTemplate makes a send answer 43101 instead of 40037; reset forgets templates, subscriptions and sent messages', async () => {
    const token = await tokenOf(MINI);
    const openid = sim.openidOf(MINI.appid, 'alice');
    sim.addTemplate(MINI.appid, TEMPLATE);
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(43101);
    sim.subscribe({ appid: MINI.appid, openid, templateId: TEMPLATE });
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(0);
    const sent = sim.sentSubscribes;
    sim.reset();
    expect(sent).toHaveLength(0);
    expect(sim.sentSubscribes).toBe(sent);
    const fresh = await tokenOf(MINI);
    expect((await post(SEND, fresh, message(openid))).json.errcode).toBe(40037);
  });
});

describe('POST /sim/subscribe (the tool for a simulator run by hand)', () => {
  const tool = async (body: unknown) => {
    const res = await fetch(`${server.url}/sim/subscribe`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  test('a user by name accepts a template; the mini program can then send it that many times', async () => {
    const openid = sim.openidOf(MINI.appid, 'bob');
    expect(await tool({ appid: MINI.appid, user: 'bob', templateId: TEMPLATE, times: 2 })).toEqual({ status: 200, json: { appid: MINI.appid, openid, templateId: TEMPLATE, remaining: 2 } });
    const token = await tokenOf(MINI);
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(0);
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(0);
    expect((await post(SEND, token, message(openid))).json.errcode).toBe(43101);
  });

  test('an openid, and a long-term subscription as "Infinity"', async () => {
    const openid = sim.openidOf(MP.appid, 'alice');
    expect((await tool({ appid: MP.appid, openid, templateId: TEMPLATE, times: 'Infinity' })).json.remaining).toBe('Infinity');
  });

  test('refuses an unknown or website app, an unknown openid, a missing template and a bad count, with a sentence', async () => {
    const bad = [
      { appid: 'wxnope', user: 'alice', templateId: TEMPLATE },
      { appid: MINI.appid, openid: 'oNeverHandedOut', templateId: TEMPLATE },
      { appid: MINI.appid, user: 'alice' },
      { appid: MINI.appid, user: 'alice', templateId: TEMPLATE, times: 0 },
    ];
    for (const body of bad) expect(await tool(body)).toEqual({ status: 400, json: { error: expect.any(String) } });
    const res = await fetch(`${server.url}/sim/subscribe`, { method: 'POST', body: 'not json' });
    expect(res.status).toBe(400);
  });
});

describe('/cgi-bin/message/template/send: category templates', () => {
  const templateMessage = (openid: string, data: Record<string, unknown>) => ({ touser: openid, template_id: 'TPL-paid', data });

  test('a typed key outside its rule is 47003 naming the key, and nothing is recorded', async () => {
    const token = await tokenOf(MP);
    const openid = sim.openidOf(MP.appid, 'alice');
    const refused = await post('/cgi-bin/message/template/send', token, templateMessage(openid, { character_string1: { value: '订单42' } }));
    expect(refused.json).toMatchObject({ errcode: 47003, errmsg: expect.stringMatching(/^argument invalid! data\.character_string1\.value invalid/) });
    expect((await post('/cgi-bin/message/template/send', token, templateMessage(openid, { amount2: { value: '12.505' } }))).json.errcode).toBe(47003);
    expect(sim.sentTemplates).toEqual([]);
  });

  test('first, remark and colours are accepted and ignored, as WeChat does; typed values within their rules pass', async () => {
    const token = await tokenOf(MP);
    const openid = sim.openidOf(MP.appid, 'alice');
    const data = { first: { value: 'Paid' }, character_string1: { value: 'A-42', color: '#173177' }, time2: { value: '2026年12月1日 12:30' }, remark: { value: 'Thanks' } };
    expect((await post('/cgi-bin/message/template/send', token, templateMessage(openid, data))).json.errcode).toBe(0);
    expect(sim.sentTemplates.at(-1)).toMatchObject({ template_id: 'TPL-paid', data, shown: { character_string1: 'A-42', time2: '2026年12月1日 12:30' } });
  });
});
