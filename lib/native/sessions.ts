import { createHash } from 'node:crypto';
import type { WxContext } from '../context';

/** 30 days: the life of WeChat's OAuth refresh token, hence of a native-app session. */
export const SESSION_TTL_SECONDS = 30 * 24 * 60 * 60;

/** What every stored session has: when it was created and when it ends (ms since the epoch). */
export interface SessionTimes {
  createdAt: number;
  expiresAt: number;
}

/**
 * Server-side sessions of API clients (native apps, mini programs), keyed by the `sessionId` the
 * client holds. The key in the store is sha256(sessionId), so a store dump or `KEYS` listing
 * does not hand out usable session ids. Expiry is enforced twice: by the store's TTL and by
 * `expiresAt` against the injected clock (which is what tests move).
 */
export class SessionRecords<T extends SessionTimes> {
  constructor(
    private readonly ctx: WxContext,
    private readonly namespace: string,
  ) {}

  private key(sessionId: string): string {
    return `${this.namespace}:${createHash('sha256').update(sessionId).digest('hex')}`;
  }

  /** Save (or overwrite) a session until its `expiresAt`. Does nothing for an already expired one. */
  async save(sessionId: string, record: T): Promise<void> {
    const ttl = Math.ceil((record.expiresAt - this.ctx.now()) / 1000);
    if (ttl <= 0) return this.delete(sessionId);
    await this.ctx.store.set(this.key(sessionId), JSON.stringify(record), ttl);
  }

  /** The live session, or undefined when unknown, expired or unreadable. */
  async get(sessionId: string | undefined): Promise<T | undefined> {
    if (!sessionId || sessionId.length > 128) return undefined;
    const raw = await this.ctx.store.get(this.key(sessionId));
    if (raw === undefined) return undefined;
    let record: T;
    try {
      record = JSON.parse(raw) as T;
    } catch {
      return undefined;
    }
    if (!record || typeof record.expiresAt !== 'number' || record.expiresAt <= this.ctx.now()) return undefined;
    return record;
  }

  async delete(sessionId: string): Promise<void> {
    await this.ctx.store.del(this.key(sessionId));
  }
}

/** `createdAt` as the contract shows it: ISO 8601 UTC without milliseconds (`2019-01-17T07:36:20Z`). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
