/**
 * Account binding of the example app (`example-app/features/accounts.ts`): the memory store and
 * the PostgreSQL store against the machine's real database (own schema, dropped afterwards).
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { decodeJwt } from 'jose';
import { Pool } from 'pg';
import request from 'supertest';
import type { ResolveUserInput } from '../../lib';
import { createAccounts, MemoryAccountStore, PgAccountStore, type AccountStore } from '../../example-app/features/accounts';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { clock, JWT_SECRET, MINI, MOBILE, startApp, startSimulator, T0, type SimHandle } from './harness';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `wxauth_accounts_${randomBytes(4).toString('hex')}`;

/** Decided before the suites are declared, so an unreachable Postgres skips them with a message. */
function postgresReachable(): boolean {
  const probe = "const{Client}=require('pg');const c=new Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))";
  return spawnSync(process.execPath, ['-e', probe, DATABASE_URL], { timeout: 8000, cwd: __dirname }).status === 0;
}
const PG = postgresReachable();
if (!PG) console.warn(`[accounts.test] PostgreSQL is not reachable at ${DATABASE_URL}: the PostgreSQL suites are skipped`);

let pool: Pool | undefined;
afterAll(async () => {
  if (pool) {
    await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await pool.end();
  }
});
function pgPool(): Pool {
  return (pool ??= new Pool({ connectionString: DATABASE_URL, max: 10 }));
}

const APP_A = 'wxappA0000000001';
const APP_B = 'wxappB0000000001';
const login = (appid: string, openid: string, unionid?: string, nickname?: string): ResolveUserInput => ({
  appid,
  openid,
  ...(unionid ? { unionid } : {}),
  action: 'mobile',
  ...(nickname ? { userinfo: { nickname, headimgurl: `https://img.example/${nickname}.png` } } : {}),
});

const stores: Array<[string, () => AccountStore, boolean]> = [
  ['memory', () => new MemoryAccountStore(), true],
  ['PostgreSQL', () => new PgAccountStore(pgPool(), SCHEMA), PG],
];

describe.each(stores)('%s account store', (_name, make, enabled) => {
  const it = enabled ? test : test.skip;
  let store: AccountStore;
  let n = 0;
  const fresh = (prefix: string) => `${prefix}-${++n}-${randomBytes(3).toString('hex')}`;
  beforeAll(() => {
    if (enabled) store = make();
  });

  it('the first login creates an account with the WeChat profile', async () => {
    const openid = fresh('o');
    const account = await store.resolve(login(APP_A, openid, fresh('u'), 'Alice'));
    expect(account).toEqual({ id: expect.any(Number), nickname: 'Alice', avatarUrl: 'https://img.example/Alice.png' });
  });

  it('the same openid logging in again finds the same account', async () => {
    const openid = fresh('o');
    const first = await store.resolve(login(APP_A, openid, undefined, 'Bob'));
    const again = await store.resolve(login(APP_A, openid));
    expect(again.id).toBe(first.id);
    expect(again.nickname).toBe('Bob'); // a login without a profile keeps the one we have
  });

  it('the same person through another app is joined by unionid: one account, two bindings', async () => {
    const unionid = fresh('u');
    const a = await store.resolve(login(APP_A, fresh('oa'), unionid, 'Carol'));
    const b = await store.resolve(login(APP_B, fresh('ob'), unionid));
    expect(b.id).toBe(a.id);
    const account = await store.get(a.id);
    expect(account!.bindings.map((x) => x.appid)).toEqual([APP_A, APP_B]);
    expect(account!.bindings.every((x) => x.unionid === unionid)).toBe(true);
  });

  it('another person gets another account', async () => {
    const a = await store.resolve(login(APP_A, fresh('o'), fresh('u')));
    const b = await store.resolve(login(APP_A, fresh('o'), fresh('u')));
    expect(b.id).not.toBe(a.id);
  });

  it('without unionid nothing is joined across apps (an openid alone says nothing about another app)', async () => {
    const a = await store.resolve(login(APP_A, fresh('o')));
    const b = await store.resolve(login(APP_B, fresh('o')));
    expect(b.id).not.toBe(a.id);
  });

  it('a unionid arriving on a later login is recorded on the binding and joins later apps', async () => {
    const openid = fresh('o');
    const unionid = fresh('u');
    const first = await store.resolve(login(APP_A, openid));
    await store.resolve(login(APP_A, openid, unionid));
    const other = await store.resolve(login(APP_B, fresh('o'), unionid));
    expect(other.id).toBe(first.id);
  });

  it('get() of an unknown id is undefined', async () => {
    expect(await store.get(987654321)).toBeUndefined();
  });
});

(PG ? describe : describe.skip)('PostgreSQL specifics', () => {
  test('eight first logins of one person at once, through different apps, create one account', async () => {
    const store = new PgAccountStore(pgPool(), SCHEMA);
    const unionid = `u-race-${randomBytes(4).toString('hex')}`;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.resolve(login(`wxrace00000000${i}`, `o-race-${i}-${unionid}`, unionid))));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect((await store.get(results[0]!.id))!.bindings).toHaveLength(8);
  });

  test('the tables are created once even when two stores migrate at the same time', async () => {
    const schema = `${SCHEMA}_m`;
    try {
      await Promise.all([new PgAccountStore(pgPool(), schema).migrate(), new PgAccountStore(pgPool(), schema).migrate()]);
      const tables = await pgPool().query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema]);
      expect(tables.rows.map((r) => r.table_name)).toEqual(['accounts', 'third_party_register']);
    } finally {
      await pgPool().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});

describe('resolveUser wired into wxauth', () => {
  let sim: SimHandle;
  let redis: TestRedis;
  beforeAll(async () => {
    sim = await startSimulator();
    redis = await createTestRedis('accounts');
  });
  afterAll(async () => {
    await sim.close();
    await redis.close();
  });

  test.each([
    ['memory', false],
    ['PostgreSQL', true],
  ])('%s: the native app and the mini program log the same person into one account; JWT sub is its id', async (_name, usePg) => {
    if (usePg && !PG) return void expect(PG).toBe(false); // skipped: PostgreSQL unreachable (warned above)
    clock.now = T0;
    const accounts = usePg ? createAccounts({ DATABASE_URL }, { pool: pgPool(), schema: SCHEMA }) : createAccounts({});
    const { app, router } = startApp(sim, redis, { storage: 'jwt', jwt: { secret: JWT_SECRET }, resolveUser: accounts.resolveUser });
    accounts.register(app, router);
    const user = `dora${usePg ? 'pg' : 'mem'}`;
    const mobile = await request(app)
      .post('/wx/oauth/login')
      .set({ 'X-Client-Type': 'android', 'X-App-Id': MOBILE.appid })
      .send({ code: sim.sim.issueCode(MOBILE.appid, { user }) });
    const mini = await request(app).post('/wx/miniprogram/login').send({ code: sim.sim.issueCode(MINI.appid, { user }) });
    expect(mobile.status).toBe(200);
    expect(mini.status).toBe(200);
    const sub = decodeJwt(mobile.body.token).sub;
    expect(sub).toMatch(/^\d+$/);
    expect(decodeJwt(mini.body.token).sub).toBe(sub);
    const page = await request(app).get('/account').set('Accept', 'application/json').set('Authorization', `Bearer ${mini.body.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ id: Number(sub), nickname: 'Dora' + (usePg ? 'pg' : 'mem') });
    expect(page.body.bindings).toEqual([
      { appid: MOBILE.appid, openid: sim.sim.openidOf(MOBILE.appid, user), unionid: sim.sim.unionidOf(user), action: 'mobile' },
      { appid: MINI.appid, openid: sim.sim.openidOf(MINI.appid, user), unionid: sim.sim.unionidOf(user), action: 'miniprogram' },
    ]);
  });
});

describe('in the example app (example-app/app.ts picks the feature up)', () => {
  test.each([
    ['memory', false],
    ['PostgreSQL', true],
  ])('%s: app and mini-program logins of one person land on one account, shown at /account', async (_name, usePg) => {
    if (usePg && !PG) return void expect(PG).toBe(false); // skipped: PostgreSQL unreachable (warned above)
    const { createExampleApp } = await import('../../example-app/app');
    const example = await createExampleApp(usePg ? { DATABASE_URL, ACCOUNTS_SCHEMA: SCHEMA } : {});
    try {
      const sim = example.context.simulator!;
      const { mobile, miniprogram } = example.context.credentials;
      const user = `erin${usePg ? 'pg' : 'mem'}`;
      const agent = request.agent(example.app);
      const native = await agent
        .post('/wx/oauth/login')
        .set({ 'X-Client-Type': 'android', 'X-App-Id': mobile!.appid })
        .send({ code: sim.issueCode(mobile!.appid, { user }) });
      expect(native.status).toBe(200);
      const first = await agent.get('/account').set('Accept', 'application/json');
      expect(first.status).toBe(200);
      expect(first.body.bindings).toHaveLength(1);
      const mini = await agent.post('/wx/miniprogram/login').send({ code: sim.issueCode(miniprogram!.appid, { user }) });
      expect(mini.status).toBe(200);
      const second = await agent.get('/account').set('Accept', 'application/json');
      expect(second.body.id).toBe(first.body.id);
      expect(second.body.bindings.map((b: { action: string }) => b.action)).toEqual(['mobile', 'miniprogram']);
      const html = await agent.get('/account').set('Accept', 'text/html');
      expect(html.text).toContain(`Account #${first.body.id}`);
    } finally {
      await example.close();
    }
  });
});
