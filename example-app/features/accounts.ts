/**
 * Account binding for the example app: every WeChat login (browser, native app, mini program)
 * goes through `resolveUser`, which finds or creates the shop's own account.
 *
 * Bindings live in a `third_party_register` table — one row per (appid, openid) — next to an
 * `accounts` table. The same person is joined across apps by `unionid` (WeChat's per-person id
 * over all apps of one open-platform account); an app without unionid gets one account per
 * openid. PostgreSQL when `DATABASE_URL` is set, memory otherwise.
 *
 * example-app/app.ts picks this up as a feature: `options(context)` gives wxauth() its
 * `resolveUser`, `register(app, router, context)` mounts `GET /account`. By hand:
 *   const accounts = createAccounts(process.env);
 *   const router = wxauth({ ..., resolveUser: accounts.resolveUser });
 *   accounts.register(app, router);
 */
import type { Express, Request, Response } from 'express';
import { Pool } from 'pg';
import type { ResolveUserInput, WxAuthOptions, WxAuthRouter } from '../../lib';
import { esc, page, type NavLink } from '../layout';
import { redactUrl } from '../redact';

export const nav: NavLink[] = [{ href: '/account', label: 'Account', loggedIn: true }];

/** What `resolveUser` returns: small, so it fits in a session, a cookie or (as `id`) a JWT. */
export interface Account {
  id: number;
  nickname: string | null;
  avatarUrl: string | null;
}

export interface Binding {
  appid: string;
  openid: string;
  unionid: string | null;
  action: string;
}

export interface AccountStore {
  /** Find the account bound to this WeChat identity (by openid, then unionid), or create it. */
  resolve(input: ResolveUserInput): Promise<Account>;
  get(id: number): Promise<(Account & { bindings: Binding[] }) | undefined>;
  close(): Promise<void>;
}

export interface Accounts {
  /** Pass to `wxauth({ resolveUser })`. */
  resolveUser: (input: ResolveUserInput) => Promise<Account>;
  /** Mount `GET /account` (the logged-in user's account and WeChat bindings). */
  register: (app: Express, router: WxAuthRouter, context?: { nav?: readonly NavLink[] }) => void;
  store: AccountStore;
}

function profileOf(input: ResolveUserInput): { nickname: string | null; avatarUrl: string | null } {
  const u = input.userinfo ?? {};
  const nickname = typeof u.nickname === 'string' && u.nickname ? u.nickname : typeof u.nickName === 'string' && u.nickName ? u.nickName : null;
  const avatar = typeof u.headimgurl === 'string' && u.headimgurl ? u.headimgurl : typeof u.avatarUrl === 'string' && u.avatarUrl ? u.avatarUrl : null;
  return { nickname, avatarUrl: avatar };
}

/** One process, no database: fine for `npm start` and tests, gone on restart. */
export class MemoryAccountStore implements AccountStore {
  private readonly accounts = new Map<number, Account>();
  private readonly bindings = new Map<string, Binding & { accountId: number }>();
  private nextId = 1;

  async resolve(input: ResolveUserInput): Promise<Account> {
    const key = `${input.appid}\0${input.openid}`;
    let binding = this.bindings.get(key);
    const profile = profileOf(input);
    let accountId = binding?.accountId;
    if (accountId === undefined && input.unionid) accountId = [...this.bindings.values()].find((b) => b.unionid === input.unionid)?.accountId;
    if (accountId === undefined) {
      accountId = this.nextId++;
      this.accounts.set(accountId, { id: accountId, ...profile });
    }
    binding = { accountId, appid: input.appid, openid: input.openid, unionid: input.unionid ?? binding?.unionid ?? null, action: input.action };
    this.bindings.set(key, binding);
    const account = this.accounts.get(accountId)!;
    const updated = { ...account, nickname: profile.nickname ?? account.nickname, avatarUrl: profile.avatarUrl ?? account.avatarUrl };
    this.accounts.set(accountId, updated);
    return { ...updated };
  }

  async get(id: number): Promise<(Account & { bindings: Binding[] }) | undefined> {
    const account = this.accounts.get(id);
    if (!account) return undefined;
    const bindings = [...this.bindings.values()].filter((b) => b.accountId === id).map(({ accountId: _a, ...b }) => b);
    return { ...account, bindings };
  }

  async close(): Promise<void> {}
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * PostgreSQL: `accounts` + `third_party_register` in `schema` (created on first use). Each
 * resolve is one transaction holding an advisory lock on the person (unionid, else appid+openid),
 * so two first logins at once — the app and the mini program, say — create one account, not two.
 */
export class PgAccountStore implements AccountStore {
  private ready: Promise<void> | undefined;
  private readonly t: { accounts: string; register: string };

  constructor(
    private readonly pool: Pool,
    private readonly schema = 'public',
  ) {
    if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name "${schema}"`);
    this.t = { accounts: `"${schema}".accounts`, register: `"${schema}".third_party_register` };
  }

  /** Create the schema and tables if needed (serialised across processes by an advisory lock). */
  migrate(): Promise<void> {
    this.ready ??= (async () => {
      const client = await this.pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock(hashtext('example-app:accounts:migrate'))");
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.t.accounts} (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          nickname text,
          avatar_url text,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_login_at timestamptz NOT NULL DEFAULT now())`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.t.register} (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          account_id bigint NOT NULL REFERENCES ${this.t.accounts}(id) ON DELETE CASCADE,
          provider text NOT NULL DEFAULT 'wechat',
          appid text NOT NULL,
          openid text NOT NULL,
          unionid text,
          action text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_login_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (provider, appid, openid))`);
        await client.query(`CREATE INDEX IF NOT EXISTS third_party_register_unionid ON ${this.t.register} (provider, unionid) WHERE unionid IS NOT NULL`);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('example-app:accounts:migrate'))").catch(() => undefined);
        client.release();
      }
    })().catch((error: unknown) => {
      this.ready = undefined; // a failed migration (database down at start) is tried again next time
      throw error;
    });
    return this.ready;
  }

  async resolve(input: ResolveUserInput): Promise<Account> {
    await this.migrate();
    const profile = profileOf(input);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wechat:${input.unionid ?? `${input.appid}:${input.openid}`}`]);
      const byOpenid = await client.query<{ account_id: string }>(`SELECT account_id FROM ${this.t.register} WHERE provider = 'wechat' AND appid = $1 AND openid = $2`, [input.appid, input.openid]);
      let accountId = byOpenid.rows[0]?.account_id;
      if (accountId === undefined && input.unionid) {
        const byUnionid = await client.query<{ account_id: string }>(`SELECT account_id FROM ${this.t.register} WHERE provider = 'wechat' AND unionid = $1 ORDER BY id LIMIT 1`, [input.unionid]);
        accountId = byUnionid.rows[0]?.account_id;
      }
      if (accountId === undefined) {
        const created = await client.query<{ id: string }>(`INSERT INTO ${this.t.accounts} (nickname, avatar_url) VALUES ($1, $2) RETURNING id`, [profile.nickname, profile.avatarUrl]);
        accountId = created.rows[0]!.id;
      }
      await client.query(
        `INSERT INTO ${this.t.register} (account_id, appid, openid, unionid, action) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (provider, appid, openid) DO UPDATE
         SET unionid = COALESCE(EXCLUDED.unionid, ${this.t.register}.unionid), action = EXCLUDED.action, last_login_at = now()`,
        [accountId, input.appid, input.openid, input.unionid ?? null, input.action],
      );
      const row = await client.query<{ id: string; nickname: string | null; avatar_url: string | null }>(
        `UPDATE ${this.t.accounts} SET last_login_at = now(), nickname = COALESCE($2, nickname), avatar_url = COALESCE($3, avatar_url)
         WHERE id = $1 RETURNING id, nickname, avatar_url`,
        [accountId, profile.nickname, profile.avatarUrl],
      );
      await client.query('COMMIT');
      const r = row.rows[0]!;
      return { id: Number(r.id), nickname: r.nickname, avatarUrl: r.avatar_url };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async get(id: number): Promise<(Account & { bindings: Binding[] }) | undefined> {
    await this.migrate();
    const account = await this.pool.query<{ id: string; nickname: string | null; avatar_url: string | null }>(`SELECT id, nickname, avatar_url FROM ${this.t.accounts} WHERE id = $1`, [id]);
    const a = account.rows[0];
    if (!a) return undefined;
    const bindings = await this.pool.query<Binding>(`SELECT appid, openid, unionid, action FROM ${this.t.register} WHERE account_id = $1 ORDER BY id`, [id]);
    return { id: Number(a.id), nickname: a.nickname, avatarUrl: a.avatar_url, bindings: bindings.rows };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The account id behind a request: `req.wxauth.user.id` (the whole Account, or `{ id }` from a JWT). */
function accountIdOf(req: Request): number | undefined {
  const id = (req.wxauth?.user as { id?: unknown } | undefined)?.id;
  const n = typeof id === 'string' ? Number(id) : id;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Accounts from the environment: PostgreSQL when `DATABASE_URL` is set (e.g.
 * `postgres://postgres@127.0.0.1:5432/test`), memory otherwise.
 */
export function createAccounts(env: NodeJS.ProcessEnv = process.env, options: { schema?: string; pool?: Pool } = {}): Accounts {
  const url = env.DATABASE_URL;
  const store: AccountStore =
    options.pool || url ? new PgAccountStore(options.pool ?? new Pool({ connectionString: url, max: 5, allowExitOnIdle: true }), options.schema ?? env.ACCOUNTS_SCHEMA ?? 'public') : new MemoryAccountStore();

  function register(app: Express, router: WxAuthRouter, context?: { nav?: readonly NavLink[] }): void {
    app.get('/account', router.requireLogin(), (req: Request, res: Response, next) => {
      const id = accountIdOf(req);
      if (id === undefined) return void res.status(404).json({ error: 'no_account', message: 'this login has no account (resolveUser is not wired)' });
      store.get(id).then((account) => {
        if (!account) return void res.status(404).json({ error: 'no_account', message: 'account not found' });
        const rows = account.bindings
          .map((b) => `<tr><td>${esc(b.action)}</td><td>${esc(b.appid)}</td><td>${esc(b.openid)}</td><td>${esc(b.unionid ?? '—')}</td></tr>`)
          .join('');
        res.format({
          json: () => res.json(account),
          html: () =>
            res.send(
              page(
                'Account',
                `<h1>Account #${account.id}${account.nickname ? ` — ${esc(account.nickname)}` : ''}</h1>
<p>Your WeChat logins bound to this account (joined across apps by unionid):</p>
<div class="table-scroll"><table id="bindings"><tr><th>login</th><th>appid</th><th>openid</th><th>unionid</th></tr>${rows}</table></div>`,
                { nav: context?.nav ?? nav, loggedIn: true },
              ),
            ),
        });
      }, next);
    });
  }

  return { resolveUser: (input) => store.resolve(input), register, store };
}

/**
 * Where accounts live, for the start-up banner: PostgreSQL (the URL without its password, and the
 * schema) when `DATABASE_URL` is set, memory otherwise — the same choice `createAccounts` makes.
 */
export function describeAccounts(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): string {
  if (!env.DATABASE_URL) return 'in memory, gone on restart (set DATABASE_URL for PostgreSQL)';
  return `PostgreSQL at ${redactUrl(env.DATABASE_URL)}, schema "${env.ACCOUNTS_SCHEMA ?? 'public'}" (tables accounts, third_party_register)`;
}

/** The part of the example app's context this feature reads. */
export interface AccountsContext {
  env?: NodeJS.ProcessEnv | Record<string, string | undefined>;
  nav?: readonly NavLink[];
}

// One Accounts per example app (keyed by its context), so the resolveUser given to wxauth() and
// the /account route read the same store; apps built without a context share a default one.
const perContext = new WeakMap<object, Accounts>();
let shared: Accounts | undefined;
const defaults = (): Accounts => (shared ??= createAccounts(process.env));

/** Feature hook of example-app/app.ts: the `resolveUser` option, from `context.env` (DATABASE_URL or memory). */
export function options(context: AccountsContext): Pick<WxAuthOptions, 'resolveUser'> {
  const accounts = createAccounts(context.env ?? process.env);
  perContext.set(context, accounts);
  return { resolveUser: accounts.resolveUser };
}

/** `resolveUser` of the default accounts (from `process.env`), for apps wired by hand. */
export const resolveUser = (input: ResolveUserInput): Promise<Account> => defaults().resolveUser(input);

/** Feature hook of example-app/app.ts: mount `GET /account` for this app's accounts. */
export function register(app: Express, router: WxAuthRouter, context?: AccountsContext): void {
  const accounts = (context && perContext.get(context)) ?? defaults();
  accounts.register(app, router, context);
}
