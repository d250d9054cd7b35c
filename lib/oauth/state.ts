import { hexEqual, sha256Hex } from '../hash';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { LoginAction } from '../identity/types';
import type { OAuthScope } from './authorize-url';

/**
 * OAuth `state`: the only CSRF defence of WeChat's login (shared/wechat-api.md §1). Ours is
 * 128 bits of CSPRNG output as hex (WeChat allows `[a-zA-Z0-9]`, ≤128 bytes), kept in the store
 * for 10 minutes, bound to the browser that started the login, and consumed with an atomic
 * get-and-delete so a replayed callback finds nothing.
 */
export const STATE_TTL_SECONDS = 600;
/** Bytes of randomness in a state and in a browser binding (128 bits). */
export const STATE_BYTES = 16;
const STATE_FORMAT = /^[A-Za-z0-9]{16,128}$/;

/** What a state remembers about the login it started. */
export interface StateRecord {
  action: Extract<LoginAction, 'mp' | 'qrcode'>;
  scope: OAuthScope;
  appid: string;
  /** Already checked by the `next` guard when the login started. */
  next: string;
  /** sha256 of the browser binding (the binding cookie), hex. */
  binding: string;
  /** Issued at / expires at, ms. Checked against `ctx.now()` as well as the store TTL. */
  iat: number;
  exp: number;
}

const key = (state: string) => `oauth:state:${state}`;
const hashBinding = (binding: string) => sha256Hex(binding);

/** A fresh per-browser binding value (kept in an httpOnly cookie). */
export function newBinding(ctx: WxContext): string {
  return ctx.randomHex(STATE_BYTES);
}

/** Create and store a state for one login attempt. */
export async function createState(
  ctx: WxContext,
  input: { binding: string } & Pick<StateRecord, 'action' | 'scope' | 'appid' | 'next'>,
): Promise<string> {
  const state = ctx.randomHex(STATE_BYTES);
  const iat = ctx.now();
  const record: StateRecord = {
    action: input.action,
    scope: input.scope,
    appid: input.appid,
    next: input.next,
    binding: hashBinding(input.binding),
    iat,
    exp: iat + STATE_TTL_SECONDS * 1000,
  };
  await ctx.store.set(key(state), JSON.stringify(record), STATE_TTL_SECONDS);
  return state;
}

/**
 * Consume `state` (single use) and check it belongs to this browser and has not expired.
 * Every failure is the same `state_error`: which check failed is not the client's business.
 */
export async function consumeState(ctx: WxContext, state: unknown, binding: string | undefined): Promise<StateRecord> {
  if (typeof state !== 'string' || !STATE_FORMAT.test(state)) throw stateError('missing or malformed');
  const raw = await ctx.store.take(key(state));
  if (!raw) throw stateError('unknown, used or expired');
  let record: StateRecord;
  try {
    record = JSON.parse(raw) as StateRecord;
  } catch {
    throw stateError('unreadable');
  }
  if (!(record.exp > ctx.now())) throw stateError('expired');
  if (!binding || typeof record.binding !== 'string' || !hexEqual(record.binding, hashBinding(binding))) throw stateError('started in another browser');
  return record;
}

function stateError(reason: string): WxAuthError {
  // The reason helps the app's logs; the message shown to users stays the same for every case.
  return new WxAuthError('state_error', 'the login link is invalid or has expired; please log in again', { cause: new Error(`state ${reason}`) });
}
