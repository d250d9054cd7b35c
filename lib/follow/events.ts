import type { WxContext } from '../context';
import type { FollowSettings } from './options';
import { scanKey, sceneOfEvent } from './scene';
import type { ScanWaiters } from './waiters';

/** The longest `follow.expireSeconds` allows, and a minute of clock skew. */
const MAX_SCENE_SECONDS = 1800 + 60;

/** The fields of a verified `subscribe` / `SCAN` event this surface reads (the message server's typed event). */
export interface ScanEventLike {
  event: string;
  eventKey?: unknown;
  /** The user's openid in the official account. */
  fromUserName: string;
}

/** What the store holds for a scanned scene. */
export interface ScanRecord {
  openid: string;
}

/**
 * The message server's handler for `subscribe` and `SCAN`, registered before any of the app's:
 * for an event key that is one of our login scenes it writes "scene → openid" (the only write of
 * this login, made on a WeChat event whose signature the message server verified, living as long
 * as the QR code has left), wakes this process's waiting poll and replies `replies.success`. Every
 * other event (the app's own QR codes, a plain follow) gets `undefined`: the app's handlers see it.
 */
export function scanEventHandler(ctx: WxContext, settings: FollowSettings, waiters: ScanWaiters) {
  return async (message: ScanEventLike): Promise<{ type: 'text'; content: string } | undefined> => {
    const scene = sceneOfEvent(message.event, message.eventKey);
    if (!scene) return undefined;
    const { replies } = settings;
    // Our scenes live at most 30 minutes (`follow.expireSeconds`): a longer claim is not one of ours.
    const ttl = Math.floor((scene.exp - ctx.now()) / 1000);
    if (ttl > MAX_SCENE_SECONDS) return undefined;
    if (ttl <= 0) return { type: 'text', content: replies.expired };
    const openid = message.fromUserName;
    const record: ScanRecord = { openid };
    // First scan wins: a second person scanning the same code cannot take over the waiting browser.
    const created = await ctx.store.setIfAbsent(scanKey(scene.id), JSON.stringify(record), ttl);
    if (!created) {
      const stored = await ctx.store.get(scanKey(scene.id));
      if (isUsedScan(stored)) return { type: 'text', content: replies.used };
      const existing = parseScan(stored);
      // The same person again (a second scan, a redelivery past the message dedupe): still a success.
      if (!existing || existing.openid !== openid) return { type: 'text', content: existing ? replies.used : replies.expired };
    }
    ctx.logger.debug?.('follow login scanned', { event: message.event });
    waiters.wake(scene.id);
    return { type: 'text', content: replies.success };
  };
}

/**
 * What replaces a scan record once its login completed, for the code's remaining life: the scene
 * stays spent, so a later scan of the same code is told so, and a kept copy of the browser's cookie
 * finds nothing to complete.
 */
export const USED_SCAN = '{"used":true}';
export const isUsedScan = (value: string | undefined): boolean => value === USED_SCAN;

export function parseScan(value: string | undefined): ScanRecord | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as ScanRecord).openid === 'string' && (parsed as ScanRecord).openid) return { openid: (parsed as ScanRecord).openid };
  } catch {
    // not ours
  }
  return undefined;
}
