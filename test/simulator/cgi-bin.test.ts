import { MINUTE, MP, QR, startSim, type Harness } from './helpers';

describe('/cgi-bin/token', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSim();
  });
  afterEach(() => h.close());

  const token = (q: Record<string, string> = {}) =>
    h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret, ...q }).then((r) => r.body);
  const ticket = (accessToken: string) => h.http.get('/cgi-bin/ticket/getticket').query({ access_token: accessToken, type: 'jsapi' }).then((r) => r.body);

  it('issues {access_token, expires_in: 7200}, a new token on every call', async () => {
    const a = await token();
    const b = await token();
    expect(a).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9]+$/), expires_in: 7200 });
    expect(b.access_token).not.toBe(a.access_token);
  });

  it('the previous token stays valid for 5 more minutes, then 40001', async () => {
    const old = await token();
    const fresh = await token();
    h.advance(5 * MINUTE - 1);
    expect((await ticket(old.access_token)).errcode).toBe(0);
    h.advance(1);
    expect((await ticket(old.access_token)).errcode).toBe(40001);
    expect((await ticket(fresh.access_token)).errcode).toBe(0);
  });

  it('a token expires after 7200 s (42001)', async () => {
    const t = await token();
    h.advance(7200_000);
    expect((await ticket(t.access_token)).errcode).toBe(42001);
  });

  it('unknown appid 40013, wrong secret 40125 (not echoed), wrong grant_type 40002', async () => {
    expect((await token({ appid: 'wxunknown0000001' })).errcode).toBe(40013);
    const wrong = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: 'nope-secret-42' });
    expect(wrong.body.errcode).toBe(40125);
    expect(wrong.text).not.toContain('nope-secret-42');
    expect((await token({ grant_type: 'authorization_code' })).errcode).toBe(40002);
  });

  it('tokenFetches counts the calls per app', async () => {
    await token();
    await token();
    await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: QR.appid, secret: QR.secret });
    expect(h.sim.tokenFetches(MP.appid)).toBe(2);
    expect(h.sim.tokenFetches(QR.appid)).toBe(1);
    expect(h.sim.calls('/cgi-bin/token')).toBe(3);
  });
});

describe('/cgi-bin/stable_token', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSim();
  });
  afterEach(() => h.close());

  const stable = (body: Record<string, unknown> = {}) =>
    h.http.post('/cgi-bin/stable_token').send({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret, ...body }).then((r) => r.body);
  const ticket = (accessToken: string) => h.http.get('/cgi-bin/ticket/getticket').query({ access_token: accessToken, type: 'jsapi' }).then((r) => r.body);

  it('is idempotent while the token is valid (same token, remaining lifetime)', async () => {
    const a = await stable();
    h.advance(1000 * 1000);
    const b = await stable();
    expect(a.expires_in).toBe(7200);
    expect(b).toEqual({ access_token: a.access_token, expires_in: 6200 });
    expect(h.sim.tokenFetches(MP.appid)).toBe(2);
  });

  it('issues a new token once the current one expired', async () => {
    const a = await stable();
    h.advance(7200_000);
    const b = await stable();
    expect(b.access_token).not.toBe(a.access_token);
    expect(b.expires_in).toBe(7200);
  });

  it('force_refresh issues a new token; the old one works 5 more minutes', async () => {
    const a = await stable();
    const b = await stable({ force_refresh: true });
    expect(b.access_token).not.toBe(a.access_token);
    expect((await stable()).access_token).toBe(b.access_token);
    h.advance(5 * MINUTE - 1);
    expect((await ticket(a.access_token)).errcode).toBe(0);
    h.advance(1);
    expect((await ticket(a.access_token)).errcode).toBe(40001);
  });

  it('is isolated from /cgi-bin/token, as at WeChat', async () => {
    const s = await stable();
    await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    h.advance(6 * MINUTE);
    expect((await ticket(s.access_token)).errcode).toBe(0);
    expect((await stable()).access_token).toBe(s.access_token);
  });

  it('answers 40013 / 40125 / 40002 / 47001 / 44002', async () => {
    expect((await stable({ appid: 'wxunknown0000001' })).errcode).toBe(40013);
    expect((await stable({ secret: 'wrong' })).errcode).toBe(40125);
    expect((await stable({ grant_type: 'x' })).errcode).toBe(40002);
    expect((await h.http.post('/cgi-bin/stable_token').type('json').send('{not json')).body.errcode).toBe(47001);
    expect((await h.http.post('/cgi-bin/stable_token')).body.errcode).toBe(44002);
  });

  it('reads JSON whatever the Content-Type, and logs the appid from the body', async () => {
    const res = await h.http
      .post('/cgi-bin/stable_token')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret }));
    expect(res.body.access_token).toBeDefined();
    expect(h.sim.log.at(-1)).toMatchObject({ method: 'POST', path: '/cgi-bin/stable_token', appid: MP.appid });
  });
});

describe('/cgi-bin/ticket/getticket', () => {
  let h: Harness;
  let accessToken: string;
  beforeAll(async () => {
    h = await startSim();
  });
  beforeEach(async () => {
    const r = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    accessToken = r.body.access_token;
  });
  afterAll(() => h.close());

  const ticket = (q: Record<string, string>) => h.http.get('/cgi-bin/ticket/getticket').query(q).then((r) => r.body);

  it('returns {errcode:0, errmsg:"ok", ticket, expires_in:7200}', async () => {
    const body = await ticket({ access_token: accessToken, type: 'jsapi' });
    expect(body).toEqual({ errcode: 0, errmsg: 'ok', ticket: expect.stringMatching(/^[A-Za-z0-9]+$/), expires_in: 7200 });
    expect(h.sim.ticketsOf(MP.appid)).toContain(body.ticket);
  });

  it('returns the same ticket while it is valid, a new one after 7200 s', async () => {
    const a = await ticket({ access_token: accessToken, type: 'jsapi' });
    const b = await ticket({ access_token: accessToken, type: 'jsapi' });
    expect(b.ticket).toBe(a.ticket);
    h.advance(7200_000);
    const r = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    const c = await ticket({ access_token: r.body.access_token, type: 'jsapi' });
    expect(c.ticket).not.toBe(a.ticket);
    expect(c.expires_in).toBe(7200);
  });

  it('an invalid token → 40001, a missing one → 41001, an unknown type → 40097', async () => {
    expect((await ticket({ access_token: 'bogus', type: 'jsapi' })).errcode).toBe(40001);
    expect((await ticket({ type: 'jsapi' })).errcode).toBe(41001);
    expect((await ticket({ access_token: accessToken, type: 'nope' })).errcode).toBe(40097);
  });
});

describe('/cgi-bin/message/template/send', () => {
  let h: Harness;
  let accessToken: string;
  beforeAll(async () => {
    h = await startSim();
    const r = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    accessToken = r.body.access_token;
  });
  afterAll(() => h.close());

  const send = (body: unknown, token = accessToken) => h.http.post('/cgi-bin/message/template/send').query({ access_token: token }).send(body as object).then((r) => r.body);
  const message = () => ({
    touser: h.sim.openidOf(MP.appid, 'alice'),
    template_id: 'TPL-order-shipped',
    url: 'https://app.test/orders/1',
    data: { first: { value: 'Shipped', color: '#173177' }, keyword1: { value: 'A-1' } },
  });

  it('accepts a message, answers a 64-bit msgid as a bare JSON integer and records it in sentTemplates', async () => {
    const res = await h.http.post('/cgi-bin/message/template/send').query({ access_token: accessToken }).send(message());
    const digits = /^\{"errcode":0,"errmsg":"ok","msgid":(\d+)\}$/.exec(res.text)?.[1];
    expect(digits).toMatch(/^\d{18,19}$/);
    // Past 2^53, like WeChat's (271781022721654784): a double cannot hold it.
    expect(BigInt(digits!)).toBeGreaterThan(2n ** 57n);
    expect(BigInt(digits!)).toBeLessThan(2n ** 63n);
    expect(h.sim.sentTemplates.at(-1)).toMatchObject({ appid: MP.appid, msgid: digits, template_id: 'TPL-order-shipped', touser: message().touser, url: 'https://app.test/orders/1', data: message().data });
  });

  it('msgids are distinct, also within one millisecond of a frozen clock', async () => {
    const before = h.sim.sentTemplates.length;
    for (let i = 0; i < 5; i++) expect((await send(message())).errcode).toBe(0);
    const ids = h.sim.sentTemplates.slice(before).map((t) => t.msgid);
    expect(new Set(ids).size).toBe(5);
  });

  it('answers application/json; encoding=utf-8, and its errors text/plain, as WeChat does', async () => {
    const ok = await h.http.post('/cgi-bin/message/template/send').query({ access_token: accessToken }).send(message());
    expect(ok.headers['content-type']).toBe('application/json; encoding=utf-8');
    const refused = await h.http.post('/cgi-bin/message/template/send').query({ access_token: 'bogus' }).send(message());
    expect(refused.headers['content-type']).toBe('text/plain');
    expect(JSON.parse(refused.text)).toMatchObject({ errcode: 40001 });
  });

  it('touser not an openid of this app → 40003', async () => {
    expect((await send({ ...message(), touser: 'oNotAKnownOpenid000000000000' })).errcode).toBe(40003);
    expect((await send({ ...message(), touser: h.sim.openidOf(QR.appid, 'alice') })).errcode).toBe(40003);
  });

  it('empty template_id → 40037', async () => {
    expect((await send({ ...message(), template_id: ' ' })).errcode).toBe(40037);
  });

  it('missing data → 47001; invalid token → 40001; expired token → 42001', async () => {
    expect((await send({ ...message(), data: undefined })).errcode).toBe(47001);
    expect((await send(message(), 'bogus')).errcode).toBe(40001);
    const count = h.sim.sentTemplates.length;
    h.advance(7200_000);
    expect((await send(message())).errcode).toBe(42001);
    expect(h.sim.sentTemplates).toHaveLength(count);
  });
});
