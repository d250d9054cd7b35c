import { MINI, MP, exchange, startSim, type Harness } from './helpers';

/**
 * The api host labels its JSON as WeChat's does: `/sns/*` as `text/plain` (no charset), `/cgi-bin/*`
 * as `application/json; encoding=utf-8`, every error body as `text/plain`. A client that trusts the
 * label (RestTemplate, oauth4webapi, a fetch wrapper calling `.json()` only for application/json)
 * fails here as it would on WeChat.
 */
const TEXT = 'text/plain';
const JSON_TYPE = 'application/json; encoding=utf-8';

describe('Content-Type per endpoint, as WeChat answers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim({ users: { bob: { nickname: '鲍勃' } } });
  });
  afterAll(() => h.close());

  const oauth = async (user = 'alice') => exchange(h, MP, h.sim.issueCode(MP.appid, { user, scope: 'snsapi_userinfo' }));
  const basicToken = async () =>
    (await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret })).body.access_token as string;

  it('/sns/oauth2/access_token: text/plain, the JSON unchanged, success and error', async () => {
    const code = h.sim.issueCode(MP.appid, { scope: 'snsapi_base' });
    const ok = await h.http.get('/sns/oauth2/access_token').query({ appid: MP.appid, secret: MP.secret, code, grant_type: 'authorization_code' });
    expect(ok.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(ok.text)).toMatchObject({ openid: h.sim.openidOf(MP.appid, 'alice'), scope: 'snsapi_base' });
    const used = await h.http.get('/sns/oauth2/access_token').query({ appid: MP.appid, secret: MP.secret, code, grant_type: 'authorization_code' });
    expect(used.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(used.text)).toMatchObject({ errcode: 40163 });
  });

  it('/sns/oauth2/refresh_token, /sns/userinfo, /sns/auth, /sns/jscode2session: text/plain', async () => {
    const t = await oauth('bob');
    const refreshed = await h.http.get('/sns/oauth2/refresh_token').query({ appid: MP.appid, grant_type: 'refresh_token', refresh_token: t.refresh_token as string });
    expect(refreshed.headers['content-type']).toBe(TEXT);
    const info = await h.http.get('/sns/userinfo').query({ access_token: t.access_token as string, openid: t.openid as string });
    // No charset, as at WeChat: a client must read it as UTF-8 itself (the nickname is Chinese).
    expect(info.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(info.text)).toMatchObject({ nickname: '鲍勃' });
    const auth = await h.http.get('/sns/auth').query({ access_token: t.access_token as string, openid: t.openid as string });
    expect(auth.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(auth.text)).toEqual({ errcode: 0, errmsg: 'ok' });
    const session = await h.http
      .get('/sns/jscode2session')
      .query({ appid: MINI.appid, secret: MINI.secret, js_code: h.sim.issueCode(MINI.appid), grant_type: 'authorization_code' });
    expect(session.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(session.text)).toHaveProperty('session_key');
  });

  it('/cgi-bin/token, stable_token, getticket: application/json; encoding=utf-8; their errors text/plain', async () => {
    const token = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    expect(token.headers['content-type']).toBe(JSON_TYPE);
    const stable = await h.http.post('/cgi-bin/stable_token').send({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    expect(stable.headers['content-type']).toBe(JSON_TYPE);
    const ticket = await h.http.get('/cgi-bin/ticket/getticket').query({ access_token: await basicToken(), type: 'jsapi' });
    expect(ticket.headers['content-type']).toBe(JSON_TYPE);
    expect(JSON.parse(ticket.text)).toMatchObject({ errcode: 0, ticket: expect.any(String) });

    const wrongSecret = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: 'nope' });
    expect(wrongSecret.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(wrongSecret.text)).toMatchObject({ errcode: 40125 });
    const badTicket = await h.http.get('/cgi-bin/ticket/getticket').query({ access_token: 'bogus', type: 'jsapi' });
    expect(badTicket.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(badTicket.text)).toMatchObject({ errcode: 40001 });
  });

  it('an injected errcode fault is an error body too: text/plain', async () => {
    h.sim.faults.inject('/cgi-bin/token', { errcode: -1 });
    const busy = await h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });
    expect(busy.headers['content-type']).toBe(TEXT);
    expect(JSON.parse(busy.text)).toEqual({ errcode: -1, errmsg: 'system error' });
  });
});
