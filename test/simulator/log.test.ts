import { MINI, MP, QR, exchange, queryOf, startSim, WECHAT_UA, type Harness } from './helpers';

describe('request log', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  it('holds method, path, time and appid only — no secret, code, token or query', async () => {
    const secrets: string[] = [MP.secret, QR.secret, MINI.secret];
    // A full mp login through the consent page.
    const page = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query({ appid: MP.appid, redirect_uri: 'http://app.test/cb', response_type: 'code', scope: 'snsapi_userinfo', state: 'statevalue123' });
    expect(page.status).toBe(200);
    const confirm = await h.http
      .post('/connect/oauth2/authorize/confirm')
      .type('form')
      .send({ appid: MP.appid, redirect_uri: 'http://app.test/cb', scope: 'snsapi_userinfo', state: 'statevalue123', decision: 'approve' });
    const code = queryOf(confirm.headers.location).code!;
    const t = await exchange(h, MP, code);
    await exchange(h, MP, code); // replay, 40163
    await h.http.get('/sns/userinfo').query({ access_token: String(t.access_token), openid: String(t.openid) });
    await h.http.get('/sns/oauth2/refresh_token').query({ appid: MP.appid, grant_type: 'refresh_token', refresh_token: String(t.refresh_token) });
    const basic = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    const stable = await h.http.post('/cgi-bin/stable_token').send({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    const ticket = await h.http.get('/cgi-bin/ticket/getticket').query({ access_token: basic.body.access_token, type: 'jsapi' });
    const jsCode = h.sim.issueCode(MINI.appid);
    const mini = await h.http.get('/sns/jscode2session').query({ appid: MINI.appid, secret: MINI.secret, js_code: jsCode, grant_type: 'authorization_code' });
    await h.http.get('/sns/oauth2/access_token').query({ appid: QR.appid, secret: 'a-wrong-secret', code: 'x', grant_type: 'authorization_code' });
    secrets.push('a-wrong-secret', 'statevalue123', code, jsCode, String(t.access_token), String(t.refresh_token), basic.body.access_token, stable.body.access_token, ticket.body.ticket, mini.body.session_key);

    const dump = JSON.stringify(h.sim.log);
    for (const secret of secrets) expect(dump).not.toContain(secret);
    expect(dump).not.toContain('?');
    for (const entry of h.sim.log) expect(Object.keys(entry).sort()).toEqual(expect.arrayContaining(['method', 'path', 'time']));
    for (const entry of h.sim.log) expect(Object.keys(entry).every((k) => ['method', 'path', 'time', 'appid'].includes(k))).toBe(true);
  });

  it('names the app: from the query, the body, or the token used', () => {
    const byPath = (path: string) => h.sim.log.find((e) => e.path === path);
    expect(byPath('/connect/oauth2/authorize')?.appid).toBe(MP.appid);
    expect(byPath('/connect/oauth2/authorize/confirm')?.appid).toBe(MP.appid);
    expect(byPath('/cgi-bin/stable_token')?.appid).toBe(MP.appid);
    expect(byPath('/sns/userinfo')?.appid).toBe(MP.appid);
    expect(byPath('/cgi-bin/ticket/getticket')?.appid).toBe(MP.appid);
    expect(byPath('/sns/jscode2session')?.appid).toBe(MINI.appid);
  });

  it('calls(path) counts requests per exact path', () => {
    expect(h.sim.calls('/sns/oauth2/access_token')).toBe(3);
    expect(h.sim.calls('/sns/oauth2')).toBe(0);
  });

  it('logs an unknown appid as no appid (an attacker-chosen value is not an app)', async () => {
    await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: 'wxunknown0000001', secret: 'x' });
    expect(h.sim.log.at(-1)).toEqual({ method: 'GET', path: '/cgi-bin/token', time: expect.any(Number) });
  });
});
