import { MINI, MINUTE, MOBILE, MP, QR, exchange, startSim, type Harness } from './helpers';

const DAY = 24 * 60 * MINUTE;

describe('/sns/oauth2/access_token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim({ users: { ghost: { isSnapshotUser: true } } });
  });
  afterAll(() => h.close());

  it('exchanges a code for {access_token, expires_in, refresh_token, openid, scope, unionid}', async () => {
    const body = await exchange(h, MP, h.sim.issueCode(MP.appid, { user: 'alice', scope: 'snsapi_userinfo' }));
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9]{88}$/),
      expires_in: 7200,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9]{88}$/),
      openid: h.sim.openidOf(MP.appid, 'alice'),
      scope: 'snsapi_userinfo',
      unionid: h.sim.unionidOf('alice'),
    });
  });

  it('codes are single use: the second exchange answers 40163', async () => {
    const code = h.sim.issueCode(MP.appid);
    expect((await exchange(h, MP, code)).openid).toBeDefined();
    expect((await exchange(h, MP, code)).errcode).toBe(40163);
  });

  it('unknown appid → 40013', async () => {
    expect((await exchange(h, { appid: 'wxunknown0000001', secret: 'x' }, 'c')).errcode).toBe(40013);
  });

  it('wrong secret → 40125, without echoing the secret', async () => {
    const res = await h.http.get('/sns/oauth2/access_token').query({ appid: MP.appid, secret: 'guessed-secret-x', code: h.sim.issueCode(MP.appid), grant_type: 'authorization_code' });
    expect(res.body.errcode).toBe(40125);
    expect(res.text).not.toContain('guessed-secret-x');
    expect(res.text).not.toContain(MP.secret);
  });

  it('invalid code → 40029, without echoing the code', async () => {
    const res = await h.http.get('/sns/oauth2/access_token').query({ appid: MP.appid, secret: MP.secret, code: 'made-up-code-123', grant_type: 'authorization_code' });
    expect(res.body.errcode).toBe(40029);
    expect(res.text).not.toContain('made-up-code-123');
  });

  it('a code from another app → 40029', async () => {
    expect((await exchange(h, MP, h.sim.issueCode(QR.appid))).errcode).toBe(40029);
  });

  it('missing code → 41008, missing secret → 41004, missing appid → 41002, wrong grant_type → 40002', async () => {
    const get = (q: Record<string, string>) => h.http.get('/sns/oauth2/access_token').query(q).then((r) => r.body.errcode);
    expect(await get({ appid: MP.appid, secret: MP.secret, grant_type: 'authorization_code' })).toBe(41008);
    expect(await get({ appid: MP.appid, code: 'c', grant_type: 'authorization_code' })).toBe(41004);
    expect(await get({ secret: MP.secret, code: 'c' })).toBe(41002);
    expect(await get({ appid: MP.appid, secret: MP.secret, code: h.sim.issueCode(MP.appid), grant_type: 'client_credential' })).toBe(40002);
  });

  it('errmsg carries a rid like WeChat’s', async () => {
    const body = await exchange(h, MP, 'nope');
    expect(body.errmsg).toMatch(/^invalid code, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it.each([
    ['mp', MP, 5],
    ['qrcode', QR, 10],
    ['mobile', MOBILE, 10],
  ])('%s codes expire after %i minutes (→ 40029)', async (_type, app, minutes) => {
    const fresh = h.sim.issueCode(app.appid);
    const stale = h.sim.issueCode(app.appid);
    h.advance(minutes * MINUTE - 1);
    expect((await exchange(h, app, fresh)).openid).toBeDefined();
    h.advance(1);
    expect((await exchange(h, app, stale)).errcode).toBe(40029);
  });

  it('a mini program appid cannot use the OAuth exchange', async () => {
    expect((await exchange(h, MINI, h.sim.issueCode(MINI.appid))).errcode).toBe(40013);
  });

  it('snapshot users get is_snapshotuser: 1 (issueCode option or users profile)', async () => {
    expect((await exchange(h, MP, h.sim.issueCode(MP.appid, { snapshotUser: true }))).is_snapshotuser).toBe(1);
    expect((await exchange(h, MP, h.sim.issueCode(MP.appid, { user: 'ghost' }))).is_snapshotuser).toBe(1);
    expect((await exchange(h, MP, h.sim.issueCode(MP.appid))).is_snapshotuser).toBeUndefined();
  });
});

describe('apps without an open-platform binding', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim({ apps: [{ ...MP, unionid: false }] });
  });
  afterAll(() => h.close());

  it('answer no unionid', async () => {
    const body = await exchange(h, MP, h.sim.issueCode(MP.appid));
    expect(body.openid).toBeDefined();
    expect(body).not.toHaveProperty('unionid');
  });
});

describe('/sns/oauth2/refresh_token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  const refresh = (appid: string, refreshToken: string) =>
    h.http.get('/sns/oauth2/refresh_token').query({ appid, grant_type: 'refresh_token', refresh_token: refreshToken }).then((r) => r.body);

  it('gives a new, working access token for the same user and scope', async () => {
    const first = await exchange(h, MP, h.sim.issueCode(MP.appid, { user: 'alice' }));
    const body = await refresh(MP.appid, first.refresh_token as string);
    expect(body).toMatchObject({ expires_in: 7200, openid: first.openid, scope: 'snsapi_userinfo', refresh_token: first.refresh_token });
    expect(body.access_token).not.toBe(first.access_token);
    const info = await h.http.get('/sns/userinfo').query({ access_token: body.access_token, openid: body.openid });
    expect(info.body.openid).toBe(first.openid);
  });

  it('an unknown refresh token → 40030, another app’s → 40030', async () => {
    expect((await refresh(MP.appid, 'nope')).errcode).toBe(40030);
    const qr = await exchange(h, QR, h.sim.issueCode(QR.appid));
    expect((await refresh(MP.appid, qr.refresh_token as string)).errcode).toBe(40030);
  });

  it('lives 30 days, then 42002', async () => {
    const first = await exchange(h, MP, h.sim.issueCode(MP.appid));
    h.advance(30 * DAY - 1);
    expect((await refresh(MP.appid, first.refresh_token as string)).access_token).toBeDefined();
    h.advance(1);
    expect((await refresh(MP.appid, first.refresh_token as string)).errcode).toBe(42002);
  });

  it('unknown appid → 40013', async () => {
    expect((await refresh('wxunknown0000001', 'x')).errcode).toBe(40013);
  });
});

describe('/sns/userinfo and /sns/auth', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim({ users: { bob: { nickname: '鲍勃', city: 'Shenzhen' } } });
  });
  afterAll(() => h.close());

  const userinfo = (accessToken: unknown, openid: unknown) =>
    h.http.get('/sns/userinfo').query({ access_token: String(accessToken), openid: String(openid), lang: 'zh_CN' }).then((r) => r.body);

  it('returns the profile for a snsapi_userinfo token', async () => {
    const t = await exchange(h, MP, h.sim.issueCode(MP.appid, { user: 'alice' }));
    const body = await userinfo(t.access_token, t.openid);
    expect(body).toMatchObject({ openid: t.openid, nickname: 'Alice', sex: 0, privilege: [], unionid: h.sim.unionidOf('alice') });
    expect(body.headimgurl).toBe(`${h.url}/sim/avatar/alice.svg`);
  });

  it('uses the users option for the profile', async () => {
    const t = await exchange(h, MP, h.sim.issueCode(MP.appid, { user: 'bob' }));
    expect(await userinfo(t.access_token, t.openid)).toMatchObject({ nickname: '鲍勃', city: 'Shenzhen' });
  });

  it('works for website-app (snsapi_login) tokens', async () => {
    const t = await exchange(h, QR, h.sim.issueCode(QR.appid));
    expect((await userinfo(t.access_token, t.openid)).nickname).toBe('Alice');
  });

  it('a snsapi_base token → 48001', async () => {
    const t = await exchange(h, MP, h.sim.issueCode(MP.appid, { scope: 'snsapi_base' }));
    expect((await userinfo(t.access_token, t.openid)).errcode).toBe(48001);
  });

  it('an invalid token → 40001, an expired one → 42001', async () => {
    const t = await exchange(h, MP, h.sim.issueCode(MP.appid));
    expect((await userinfo('not-a-token', t.openid)).errcode).toBe(40001);
    h.advance(7200_000);
    expect((await userinfo(t.access_token, t.openid)).errcode).toBe(42001);
  });

  it('an openid that is not the token’s → 40003', async () => {
    const t = await exchange(h, MP, h.sim.issueCode(MP.appid, { user: 'alice' }));
    expect((await userinfo(t.access_token, h.sim.openidOf(MP.appid, 'bob'))).errcode).toBe(40003);
  });

  it('/sns/auth answers {errcode:0} for a valid token, 40003 / 40001 / 42001 otherwise', async () => {
    const t = await exchange(h, MP, h.sim.issueCode(MP.appid));
    const auth = (token: unknown, openid: unknown) => h.http.get('/sns/auth').query({ access_token: String(token), openid: String(openid) }).then((r) => r.body);
    expect(await auth(t.access_token, t.openid)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await auth(t.access_token, 'oSomeoneElse')).errcode).toBe(40003);
    expect((await auth('bad', t.openid)).errcode).toBe(40001);
    h.advance(7200_000);
    expect((await auth(t.access_token, t.openid)).errcode).toBe(42001);
  });
});

describe('/sns/jscode2session', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  const login = (app: { appid: string; secret: string }, jsCode: string) =>
    h.http.get('/sns/jscode2session').query({ appid: app.appid, secret: app.secret, js_code: jsCode, grant_type: 'authorization_code' }).then((r) => r.body);

  it('returns {openid, session_key, unionid}; session_key is what sessionKeyOf reports', async () => {
    const body = await login(MINI, h.sim.issueCode(MINI.appid, { user: 'alice' }));
    expect(body).toEqual({ openid: h.sim.openidOf(MINI.appid, 'alice'), session_key: expect.any(String), unionid: h.sim.unionidOf('alice') });
    expect(Buffer.from(body.session_key, 'base64')).toHaveLength(16);
    expect(h.sim.sessionKeyOf(MINI.appid, 'alice')).toBe(body.session_key);
  });

  it('each login issues a new session_key', async () => {
    const a = await login(MINI, h.sim.issueCode(MINI.appid, { user: 'bob' }));
    const b = await login(MINI, h.sim.issueCode(MINI.appid, { user: 'bob' }));
    expect(b.session_key).not.toBe(a.session_key);
    expect(h.sim.sessionKeyOf(MINI.appid, 'bob')).toBe(b.session_key);
  });

  it('js_code is single use (40163), expires after 5 minutes (40029), and is bound to its app', async () => {
    const code = h.sim.issueCode(MINI.appid);
    await login(MINI, code);
    expect((await login(MINI, code)).errcode).toBe(40163);
    const stale = h.sim.issueCode(MINI.appid);
    h.advance(5 * MINUTE);
    expect((await login(MINI, stale)).errcode).toBe(40029);
    expect((await login(MINI, h.sim.issueCode(MP.appid))).errcode).toBe(40029);
  });

  it('wrong secret → 40125; a non-mini-program appid → 40013', async () => {
    expect((await login({ appid: MINI.appid, secret: 'wrong' }, h.sim.issueCode(MINI.appid))).errcode).toBe(40125);
    expect((await login(MP, h.sim.issueCode(MP.appid))).errcode).toBe(40013);
  });
});
