import { createSimulator } from '../../lib/simulator';
import { MOBILE, MP, QR, exchange, queryOf, startSim, WECHAT_UA, type Harness } from './helpers';

const CALLBACK = 'http://app.test/oauth/wechat/callback';

function authorizeQuery(extra: Record<string, string> = {}) {
  return { appid: MP.appid, redirect_uri: CALLBACK, response_type: 'code', scope: 'snsapi_userinfo', state: 'st4te', ...extra };
}

/** Pull the hidden form fields out of a consent / QR page. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&#38;/g, '&');
  return fields;
}

describe('open host: /connect/oauth2/authorize', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  it('snsapi_base redirects straight back with code and state', async () => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery({ scope: 'snsapi_base' }));
    expect(res.status).toBe(302);
    expect(res.headers.location!.startsWith(`${CALLBACK}?code=`)).toBe(true);
    const q = queryOf(res.headers.location);
    expect(q.state).toBe('st4te');
    const token = await exchange(h, MP, q.code!);
    expect(token).toMatchObject({ scope: 'snsapi_base', openid: h.sim.openidOf(MP.appid, 'alice') });
  });

  it('keeps the redirect_uri query and fragment in place', async () => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery({ scope: 'snsapi_base', redirect_uri: `${CALLBACK}?next=%2Fa%20b#frag` }));
    expect(res.headers.location).toMatch(/^http:\/\/app\.test\/oauth\/wechat\/callback\?next=%2Fa%20b&code=[A-Za-z0-9]{32}&state=st4te#frag$/);
  });

  it('snsapi_userinfo shows a consent page with the app name, the user and Approve / Deny', async () => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('id="app-name">Demo Shop<');
    expect(res.text).toContain('id="approve"');
    expect(res.text).toContain('id="deny"');
    expect(res.text).toMatch(/id="user" name="user" value="alice"/);
  });

  it('Approve redirects with a code for the chosen user', async () => {
    const page = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery());
    const res = await h.http
      .post('/connect/oauth2/authorize/confirm')
      .type('form')
      .send({ ...hiddenFields(page.text), user: 'bob', decision: 'approve' });
    expect(res.status).toBe(302);
    const q = queryOf(res.headers.location);
    expect(q.state).toBe('st4te');
    expect(res.headers['set-cookie']?.[0]).toMatch(/^wxsim_user=bob/);
    const token = await exchange(h, MP, q.code!);
    expect(token).toMatchObject({ scope: 'snsapi_userinfo', openid: h.sim.openidOf(MP.appid, 'bob') });
  });

  it('Deny redirects with state and no code', async () => {
    const page = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery());
    const res = await h.http
      .post('/connect/oauth2/authorize/confirm')
      .type('form')
      .send({ ...hiddenFields(page.text), decision: 'deny' });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${CALLBACK}?state=st4te`);
  });

  it('picks the user from sim_user, else the wxsim_user cookie, else alice', async () => {
    const base = authorizeQuery({ scope: 'snsapi_base' });
    const byQuery = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query({ ...base, sim_user: 'dave' });
    const byCookie = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(base).set('Cookie', 'wxsim_user=erin');
    const byDefault = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(base);
    const openid = async (location: string | undefined) => (await exchange(h, MP, queryOf(location).code!)).openid;
    expect(await openid(byQuery.headers.location)).toBe(h.sim.openidOf(MP.appid, 'dave'));
    expect(await openid(byCookie.headers.location)).toBe(h.sim.openidOf(MP.appid, 'erin'));
    expect(await openid(byDefault.headers.location)).toBe(h.sim.openidOf(MP.appid, 'alice'));
  });

  it('escapes query values on the page', async () => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery({ state: '"><script>x</script>' }));
    expect(res.text).not.toContain('<script>x</script>');
  });

  it.each([
    ['an unknown appid', { appid: 'wxunknown0000001' }, 40013],
    ['a website-app appid', { appid: QR.appid }, 10016],
    ['a missing scope', { scope: '' }, 10010],
    ['an unknown scope', { scope: 'snsapi_login' }, 10005],
    ['a missing redirect_uri', { redirect_uri: '' }, 10011],
    ['a non-http redirect_uri', { redirect_uri: 'javascript:alert(1)' }, 10003],
  ])('shows WeChat’s error page for %s', async (_name, extra, errcode) => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery(extra));
    expect(res.status).toBe(400);
    expect(res.text).toContain(`data-errcode="${errcode}"`);
    expect(res.headers.location).toBeUndefined();
  });
});

describe('open host: redirectDomains', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim({
      apps: [
        { ...MP, redirectDomains: ['app.test'] },
        { ...QR, redirectDomains: ['example.com'] },
      ],
    });
  });
  afterAll(() => h.close());

  it('accepts a registered host', async () => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery({ scope: 'snsapi_base' }));
    expect(res.status).toBe(302);
  });

  it('answers "redirect_uri 参数错误" (10003) for another host', async () => {
    const res = await h.http.get('/connect/oauth2/authorize').set('User-Agent', WECHAT_UA).query(authorizeQuery({ redirect_uri: 'https://evil.test/cb' }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('redirect_uri 参数错误');
    expect(res.text).toContain('data-errcode="10003"');
  });

  it('checks the host again when the consent form is posted', async () => {
    const res = await h.http
      .post('/connect/oauth2/authorize/confirm')
      .type('form')
      .send({ appid: MP.appid, redirect_uri: 'https://evil.test/cb', scope: 'snsapi_userinfo', state: 's', decision: 'approve' });
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
  });

  it('website apps also accept subdomains of the registered domain', async () => {
    const q = { appid: QR.appid, response_type: 'code', scope: 'snsapi_login', state: 's' };
    expect((await h.http.get('/connect/qrconnect').query({ ...q, redirect_uri: 'https://www.example.com/cb' })).status).toBe(200);
    expect((await h.http.get('/connect/qrconnect').query({ ...q, redirect_uri: 'https://example.com.evil.test/cb' })).status).toBe(400);
  });
});

describe('open host: /connect/qrconnect', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  const qrQuery = (extra: Record<string, string> = {}) => ({ appid: QR.appid, redirect_uri: CALLBACK, response_type: 'code', scope: 'snsapi_login', state: 'qrstate', ...extra });

  it('shows a QR page with a "Scan and confirm" button that navigates the top window', async () => {
    const res = await h.http.get('/connect/qrconnect').query(qrQuery());
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="qrcode"');
    expect(res.text).toMatch(/<button id="confirm"[^>]*>Scan and confirm<\/button>/);
    expect(res.text).toContain('window.top.location.href = data.redirect');
    expect(res.text).toContain('if (false) window.location.href');
    expect(res.headers['x-frame-options']).toBeUndefined();
  });

  it('self_redirect=true navigates the frame itself', async () => {
    const res = await h.http.get('/connect/qrconnect').query(qrQuery({ self_redirect: 'true' }));
    expect(res.text).toContain('if (true) window.location.href');
  });

  it('confirm (JSON, as the page script asks) returns the redirect with a snsapi_login code', async () => {
    const page = await h.http.get('/connect/qrconnect').query(qrQuery());
    const res = await h.http
      .post('/connect/qrconnect/confirm')
      .set('Accept', 'application/json')
      .type('form')
      .send({ ...hiddenFields(page.text), user: 'frank' });
    expect(res.status).toBe(200);
    const q = queryOf(res.body.redirect);
    expect(res.body.redirect.startsWith(`${CALLBACK}?code=`)).toBe(true);
    expect(q.state).toBe('qrstate');
    const token = await exchange(h, QR, q.code!);
    expect(token).toMatchObject({ scope: 'snsapi_login', openid: h.sim.openidOf(QR.appid, 'frank'), unionid: h.sim.unionidOf('frank') });
  });

  it('confirm without JavaScript answers a 302', async () => {
    const page = await h.http.get('/connect/qrconnect').query(qrQuery());
    const res = await h.http.post('/connect/qrconnect/confirm').type('form').send(hiddenFields(page.text));
    expect(res.status).toBe(302);
    expect(queryOf(res.headers.location).code).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it.each([
    ['an mp appid', { appid: MP.appid }],
    ['a mobile appid', { appid: MOBILE.appid }],
    ['a scope other than snsapi_login', { scope: 'snsapi_userinfo' }],
  ])('refuses %s with "Scope 参数错误或没有 Scope 权限"', async (_name, extra) => {
    const res = await h.http.get('/connect/qrconnect').query(qrQuery(extra));
    expect(res.status).toBe(400);
    expect(res.text).toContain('Scope 参数错误或没有 Scope 权限');
  });

  it('a confirm for a bad request answers a JSON error, not a redirect', async () => {
    const res = await h.http.post('/connect/qrconnect/confirm').set('Accept', 'application/json').type('form').send({ appid: MP.appid, redirect_uri: CALLBACK, scope: 'snsapi_login' });
    expect(res.status).toBe(400);
    expect(res.body.redirect).toBeUndefined();
  });
});

describe('home page and avatars', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  it('GET / lists the apps', async () => {
    const res = await h.http.get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain(MP.appid);
    expect(res.text).toContain('Demo Web');
    expect(res.text).not.toContain(MP.secret);
  });

  it('serves an SVG avatar', async () => {
    const res = await h.http.get('/sim/avatar/alice.svg');
    expect(res.headers['content-type']).toMatch(/image\/svg\+xml/);
  });

  it('an unknown path answers 404 with errcode 40066', async () => {
    const res = await h.http.get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe(40066);
  });

  it('the app can be mounted without listen()', async () => {
    const sim = createSimulator({ apps: [MP] });
    const { default: request } = await import('supertest');
    const res = await request(sim.app).get('/');
    expect(res.status).toBe(200);
  });
});
