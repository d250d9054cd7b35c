import { randomId } from '../ids';

/** WeChat: a temporary code without `expire_seconds` lives 30 s; at most 30 days. */
const DEFAULT_EXPIRE_SECONDS = 30;
const MAX_EXPIRE_SECONDS = 2_592_000;

/** A temporary parametric QR code the simulator issued (`/cgi-bin/qrcode/create`). */
export interface SimQrcode {
  ticket: string;
  appid: string;
  /** `scene_str` (or the `scene_id` as text). */
  scene: string;
  expiresAt: number;
}

/**
 * What the simulator remembers for parametric QR codes: the tickets, and who follows which official
 * account (a first scan by a non-follower is `subscribe`, later ones `SCAN`; `/cgi-bin/user/info`
 * answers `subscribe` from here). No Express: `qrcode.ts` and the phone page are adapters over it.
 */
export class SimQrcodes {
  private tickets = new Map<string, SimQrcode>();
  private followers = new Map<string, Set<string>>();

  constructor(private readonly now: () => number) {}

  /** Issue a ticket; `expireSeconds` as WeChat reads it (absent: 30, above 30 days: 30 days). */
  create(appid: string, scene: string, expireSeconds: number | undefined): { ticket: string; expireSeconds: number } {
    const seconds = Math.min(expireSeconds ?? DEFAULT_EXPIRE_SECONDS, MAX_EXPIRE_SECONDS);
    // WeChat's tickets are base64-ish and URL-unsafe: callers must encode them in the image URL.
    const ticket = `gQ${randomId(58)}==`;
    this.tickets.set(ticket, { ticket, appid, scene, expiresAt: this.now() + seconds * 1000 });
    return { ticket, expireSeconds: seconds };
  }

  /** The QR code behind `ticket` while it is valid. */
  valid(ticket: string | undefined): SimQrcode | undefined {
    const code = ticket ? this.tickets.get(ticket) : undefined;
    return code && code.expiresAt > this.now() ? code : undefined;
  }

  /** Every QR code valid now, newest first (the phone page's list). */
  validCodes(): SimQrcode[] {
    const now = this.now();
    return [...this.tickets.values()].filter((c) => c.expiresAt > now).reverse();
  }

  follows(appid: string, user: string): boolean {
    return this.followers.get(appid)?.has(user) ?? false;
  }

  setFollowing(appid: string, user: string, following: boolean): void {
    let set = this.followers.get(appid);
    if (!set) this.followers.set(appid, (set = new Set()));
    if (following) set.add(user);
    else set.delete(user);
  }

  reset(): void {
    this.tickets = new Map();
    this.followers = new Map();
  }
}
