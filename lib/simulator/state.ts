import type { SimApp, SimUserProfile, SentTemplate, SimLogEntry } from './types';
import { newSessionKey, openidFor, randomId, unionidFor } from './ids';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** WeChat: mp and mini program codes live 5 minutes, website and native app codes 10. */
const CODE_TTL: Record<SimApp['type'], number> = { mp: 5 * MINUTE, miniprogram: 5 * MINUTE, qrcode: 10 * MINUTE, mobile: 10 * MINUTE };
/** Access tokens (OAuth and basic) and tickets: 7200 s. */
export const TOKEN_TTL = 7200_000;
export const REFRESH_TTL = 30 * DAY;
/** A superseded basic token keeps working this long (WeChat's 5-minute overlap). */
export const OVERLAP = 5 * MINUTE;

/** A request WeChat refuses with `errcode`; routes turn it into WeChat's JSON error body. */
export class WxFail extends Error {
  constructor(readonly errcode: number) {
    super(`errcode ${errcode}`);
  }
}
export function fail(errcode: number): never {
  throw new WxFail(errcode);
}

export interface Grant {
  appid: string;
  user: string;
  scope: string;
  snapshotUser: boolean;
  expiresAt: number;
}
interface CodeRecord extends Grant {
  used: boolean;
}
interface BasicToken {
  appid: string;
  expiresAt: number;
  supersededAt?: number;
}
interface Ticket {
  ticket: string;
  expiresAt: number;
}
type Lineage = 'token' | 'stable';

/**
 * Everything the simulator remembers, with WeChat's rules for it. No Express here: the hosts
 * are thin adapters over these methods, which throw `WxFail(errcode)` where WeChat would refuse.
 */
export class SimState {
  readonly log: SimLogEntry[] = [];
  readonly sentTemplates: SentTemplate[] = [];
  private readonly apps = new Map<string, SimApp>();
  private codes = new Map<string, CodeRecord>();
  private oauthTokens = new Map<string, Grant>();
  private refreshTokens = new Map<string, Grant>();
  private basicTokens = new Map<string, BasicToken>();
  /** Current basic token per `${lineage}\0${appid}` (`/cgi-bin/token` and `stable_token` are separate, as at WeChat). */
  private currentToken = new Map<string, string>();
  private tickets = new Map<string, Ticket[]>();
  private sessionKeys = new Map<string, string>();
  /** openid → user, per app, for every openid handed out (ids are hashes; this is the way back). */
  private readonly openids = new Map<string, string>();
  private msgid = 2_000_000_000;

  constructor(
    apps: readonly SimApp[],
    readonly now: () => number,
    private readonly users: Record<string, SimUserProfile> = {},
  ) {
    for (const app of apps) this.apps.set(app.appid, app);
  }

  app(appid: string | undefined): SimApp | undefined {
    return appid ? this.apps.get(appid) : undefined;
  }

  /** The app, after WeChat's appid and secret checks (41002 / 40013 / 41004 / 40125). */
  authenticate(appid: unknown, secret: unknown): SimApp {
    if (typeof appid !== 'string' || !appid) fail(41002);
    const app = this.apps.get(appid) ?? fail(40013);
    if (typeof secret !== 'string' || !secret) fail(41004);
    if (secret !== app.secret) fail(40125);
    return app;
  }

  profile(user: string): SimUserProfile {
    return this.users[user] ?? {};
  }

  openidOf(appid: string, user: string): string {
    const openid = openidFor(appid, user);
    this.openids.set(`${appid}\0${openid}`, user);
    return openid;
  }

  unionidOf(user: string): string {
    return unionidFor(user);
  }

  userOf(appid: string, openid: string): string | undefined {
    return this.openids.get(`${appid}\0${openid}`);
  }

  // ---- codes ----------------------------------------------------------------------------

  issueCode(appid: string, user: string, scope: string, snapshotUser = false): string {
    const app = this.app(appid);
    if (!app) throw new Error(`simulator: unknown appid "${appid}"`);
    const code = randomId(32);
    this.codes.set(code, { appid, user, scope, snapshotUser: snapshotUser || !!this.profile(user).isSnapshotUser, expiresAt: this.now() + CODE_TTL[app.type], used: false });
    this.openidOf(appid, user);
    return code;
  }

  /** Spend a code: unknown, foreign or expired → 40029, already spent → 40163. */
  redeemCode(appid: string, code: unknown): Grant {
    if (typeof code !== 'string' || !code) fail(41008);
    const record = this.codes.get(code);
    if (!record || record.appid !== appid) fail(40029);
    if (record.used) fail(40163);
    if (this.now() >= record.expiresAt) fail(40029);
    record.used = true;
    return record;
  }

  // ---- OAuth tokens ---------------------------------------------------------------------

  issueOAuthTokens(grant: Grant, refreshToken?: string): { accessToken: string; refreshToken: string } {
    const now = this.now();
    const accessToken = randomId(88);
    this.oauthTokens.set(accessToken, { ...grant, expiresAt: now + TOKEN_TTL });
    if (!refreshToken) {
      refreshToken = randomId(88);
      this.refreshTokens.set(refreshToken, { ...grant, expiresAt: now + REFRESH_TTL });
    }
    return { accessToken, refreshToken };
  }

  /** A refresh token of `appid`: unknown → 40030, expired → 42002. */
  refreshGrant(appid: string, refreshToken: unknown): Grant {
    if (typeof refreshToken !== 'string' || !refreshToken) fail(41003);
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.appid !== appid) fail(40030);
    if (this.now() >= grant.expiresAt) fail(42002);
    return grant;
  }

  /** An OAuth access token: missing → 41001, unknown → 40001, expired → 42001. */
  oauthGrant(accessToken: unknown): Grant {
    if (typeof accessToken !== 'string' || !accessToken) fail(41001);
    const grant = this.oauthTokens.get(accessToken) ?? fail(40001);
    if (this.now() >= grant.expiresAt) fail(42001);
    return grant;
  }

  // ---- basic access token ---------------------------------------------------------------

  /** A new basic token; the previous one of the same lineage keeps working for 5 more minutes. */
  issueBasicToken(appid: string, lineage: Lineage): { token: string; expiresIn: number } {
    const key = `${lineage}\0${appid}`;
    const now = this.now();
    const previous = this.currentToken.get(key);
    const previousRecord = previous ? this.basicTokens.get(previous) : undefined;
    if (previousRecord && previousRecord.supersededAt === undefined) previousRecord.supersededAt = now;
    const token = randomId(136);
    this.basicTokens.set(token, { appid, expiresAt: now + TOKEN_TTL });
    this.currentToken.set(key, token);
    return { token, expiresIn: TOKEN_TTL / 1000 };
  }

  /** The current stable token while it is valid (idempotent), else a new one. */
  stableToken(appid: string, forceRefresh: boolean): { token: string; expiresIn: number } {
    const current = this.currentToken.get(`stable\0${appid}`);
    const record = current ? this.basicTokens.get(current) : undefined;
    const remaining = record ? record.expiresAt - this.now() : 0;
    if (!forceRefresh && current && remaining > 0) return { token: current, expiresIn: Math.floor(remaining / 1000) };
    return this.issueBasicToken(appid, 'stable');
  }

  /** The app a basic token belongs to: missing → 41001, unknown or superseded > 5 min → 40001, expired → 42001. */
  basicTokenApp(token: unknown): string {
    if (typeof token !== 'string' || !token) fail(41001);
    const record = this.basicTokens.get(token) ?? fail(40001);
    const now = this.now();
    if (record.supersededAt !== undefined && now >= record.supersededAt + OVERLAP) fail(40001);
    if (now >= record.expiresAt) fail(42001);
    return record.appid;
  }

  // ---- tickets, session keys, templates -------------------------------------------------

  /** The app's current ticket of that type while valid, else a new one. */
  ticket(appid: string, type: string): { ticket: string; expiresIn: number } {
    const key = `${type}\0${appid}`;
    const list = this.tickets.get(key) ?? [];
    const last = list[list.length - 1];
    const now = this.now();
    if (last && last.expiresAt > now) return { ticket: last.ticket, expiresIn: Math.floor((last.expiresAt - now) / 1000) };
    const ticket = { ticket: randomId(86), expiresAt: now + TOKEN_TTL };
    this.tickets.set(key, [...list, ticket]);
    return { ticket: ticket.ticket, expiresIn: TOKEN_TTL / 1000 };
  }

  ticketsOf(appid: string, type = 'jsapi'): string[] {
    return (this.tickets.get(`${type}\0${appid}`) ?? []).map((t) => t.ticket);
  }

  /** The user's session_key, created on first use; `rotate` gives a new one (each jscode2session). */
  sessionKey(appid: string, user: string, rotate = false): string {
    const key = `${appid}\0${user}`;
    let value = this.sessionKeys.get(key);
    if (!value || rotate) this.sessionKeys.set(key, (value = newSessionKey()));
    return value;
  }

  nextMsgid(): number {
    return ++this.msgid;
  }

  /** Forget everything but the apps and the openid registry (ids are deterministic anyway). */
  reset(): void {
    this.log.length = 0;
    this.sentTemplates.length = 0;
    this.codes = new Map();
    this.oauthTokens = new Map();
    this.refreshTokens = new Map();
    this.basicTokens = new Map();
    this.currentToken = new Map();
    this.tickets = new Map();
    this.sessionKeys = new Map();
  }
}
