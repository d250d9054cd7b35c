import type { WxContext } from '../context';
import { hexEqual } from '../hash';
import { WxAuthError } from '../errors';
import type { LoginAction } from '../identity/types';
import { mobileApps, type ResolvedOptions } from '../options';
import type { OAuthScope } from './authorize-url';
import type { Sealer } from './sealed-cookie';

/**
 * OAuth `state`: the only CSRF defence of WeChat's login (shared/wechat-api.md §1). Ours is
 * 128 bits of CSPRNG output as hex (WeChat allows `[a-zA-Z0-9]`, ≤128 bytes), valid for 10
 * minutes, single use, and bound to the browser that started the login.
 *
 * Nothing is stored on the server for it: the pending login (state, next, action, scope, appid,
 * issued/expiry) is sealed (AES-256-GCM, sealed-cookie.ts) into a cookie of the browser that
 * started it. That cookie is the binding: a callback whose state is not in the cookie the
 * browser sent — another browser's state, a forged one, one already used — is refused. The
 * cookie holds a few pending logins (parallel tabs), newest last; the callback removes its own.
 */
export const STATE_TTL_SECONDS = 600;
/** Bytes of randomness in a state (128 bits). */
export const STATE_BYTES = 16;
/** Pending logins kept in the cookie; a fifth drops the oldest. */
export const MAX_PENDING = 4;
/** The sealed-cookie purpose (HKDF info `express-wxauth pending-login v1`). */
export const PENDING_PURPOSE = 'pending-login';
/** The sealed value stays under this many characters (the whole cookie well under 4 KB). */
export const MAX_SEALED_CHARS = 3000;

const STATE_FORMAT = /^[a-f0-9]{32}$/;
const ACTIONS: ReadonlySet<string> = new Set(['mp', 'qrcode']);
const SCOPES: ReadonlySet<string> = new Set(['snsapi_base', 'snsapi_userinfo', 'snsapi_login']);

/** What a state remembers about the login it started. */
export interface StateRecord {
  state: string;
  action: Extract<LoginAction, 'mp' | 'qrcode'>;
  scope: OAuthScope;
  appid: string;
  /** Already checked by the `next` guard when the login started. */
  next: string;
  /** Issued at / expires at, ms. Checked against `ctx.now()`. */
  iat: number;
  exp: number;
  /** mp: the `snsapi_userinfo` round of an upgrade — the base login already completed. */
  upgrade?: true;
}

/**
 * The sealed form, compact: [state, action, scope, appid, next, iat, exp], plus a trailing `1`
 * for an upgrade round. Entries without it read as before (cookies sealed by older versions open).
 */
type Packed = [string, string, string, string, string, number, number] | [string, string, string, string, string, number, number, 1];

/** The key material of the seal: the `secret` option, else the configured app secrets (in a fixed order). */
export function sealingSecrets(options: ResolvedOptions): string[] {
  if (options.secret) return [options.secret];
  return [options.mp?.secret, options.qrcode?.secret, ...mobileApps(options).map((a) => a.secret), options.miniprogram?.secret].filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
}

/** A fresh pending login (not yet in any cookie). */
export function newStateRecord(ctx: WxContext, input: Pick<StateRecord, 'action' | 'scope' | 'appid' | 'next'>): StateRecord {
  const iat = ctx.now();
  return { state: ctx.randomHex(STATE_BYTES), ...input, iat, exp: iat + STATE_TTL_SECONDS * 1000 };
}

/** The pending logins in a sealed cookie value (unexpired, well-formed ones); [] for anything else. */
export function openPending(sealer: Sealer, value: string | undefined, nowMs: number): StateRecord[] {
  const packed = sealer.open<unknown>(PENDING_PURPOSE, value, nowMs);
  if (!Array.isArray(packed)) return [];
  const out: StateRecord[] = [];
  for (const p of packed.slice(-MAX_PENDING) as unknown[]) {
    const r = unpack(p);
    if (r && r.exp > nowMs) out.push(r);
  }
  return out;
}

/**
 * Seal `list` for the cookie: undefined when it is empty (clear the cookie). The oldest entries
 * go first when the value would be too large; a lone entry whose `next` is that long keeps `/`.
 */
export function sealPending(sealer: Sealer, list: readonly StateRecord[]): string | undefined {
  let entries = list.slice(-MAX_PENDING);
  while (entries.length) {
    const exp = Math.max(...entries.map((r) => r.exp));
    const sealed = sealer.seal(PENDING_PURPOSE, entries.map(pack), exp);
    if (sealed.length <= MAX_SEALED_CHARS) return sealed;
    if (entries.length > 1) entries = entries.slice(1);
    else if (entries[0]!.next !== '/') entries = [{ ...entries[0]!, next: '/' }];
    else throw new WxAuthError('args_error', 'the login could not be prepared'); // unreachable: a bare entry is ~200 bytes
  }
  return undefined;
}

/** `list` plus `record`, without expired entries, at most `MAX_PENDING` (oldest dropped). */
export function addPending(list: readonly StateRecord[], record: StateRecord, nowMs: number): StateRecord[] {
  return [...list.filter((r) => r.exp > nowMs && r.state !== record.state), record].slice(-MAX_PENDING);
}

/**
 * The pending login `state` names, and the list without it (single use). Every failure is the
 * same `state_error`: which check failed is not the client's business.
 */
export function takePending(list: readonly StateRecord[], state: unknown, nowMs: number): { record: StateRecord; rest: StateRecord[] } {
  if (typeof state !== 'string' || !STATE_FORMAT.test(state)) throw stateError('missing or malformed');
  // Compare every entry (constant time each) so the position of a match is not observable.
  let found: StateRecord | undefined;
  for (const r of list) if (hexEqual(state, r.state)) found = r;
  if (!found) throw stateError(list.length ? 'not started in this browser, or already used' : 'no pending login in this browser');
  const rest = list.filter((r) => r !== found && r.exp > nowMs);
  if (!(found.exp > nowMs)) throw stateError('expired');
  return { record: found, rest };
}

export function stateError(reason: string): WxAuthError {
  // The reason helps the app's logs; the message shown to users stays the same for every case.
  return new WxAuthError('state_error', 'the login link is invalid or has expired; please log in again', { cause: new Error(`state ${reason}`) });
}

function pack(r: StateRecord): Packed {
  const packed: Packed = [r.state, r.action, r.scope, r.appid, r.next, r.iat, r.exp];
  return r.upgrade ? [...packed, 1] : packed;
}

function unpack(p: unknown): StateRecord | undefined {
  if (!Array.isArray(p) || (p.length !== 7 && !(p.length === 8 && p[7] === 1))) return undefined;
  const [state, action, scope, appid, next, iat, exp, upgrade] = p as unknown[];
  if (typeof state !== 'string' || !STATE_FORMAT.test(state)) return undefined;
  if (typeof action !== 'string' || !ACTIONS.has(action) || typeof scope !== 'string' || !SCOPES.has(scope)) return undefined;
  if (typeof appid !== 'string' || typeof next !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  return { state, action: action as StateRecord['action'], scope: scope as OAuthScope, appid, next, iat, exp, ...(upgrade === 1 ? { upgrade: true as const } : {}) };
}
