import type { Sealer } from '../oauth/sealed-cookie';

/**
 * A follow login's scene (`scene_str` of the QR code): `wxlogin_` + 128 random bits as hex + `_` +
 * the expiry in seconds (base 36), 48 characters of WeChat's 64. The prefix tells our scenes from
 * the app's own QR codes; the expiry lets the scan event give the store entry the QR code's
 * remaining life without anything having been stored when the code was made.
 */
export const SCENE_PREFIX = 'wxlogin_';
/** WeChat prefixes the scene of a first follow (`subscribe`) with this. */
export const SUBSCRIBE_PREFIX = 'qrscene_';
const SCENE = /^wxlogin_([a-f0-9]{32})_([0-9a-z]{1,10})$/;
/** 128 bits, as OAuth state. */
export const SCENE_BYTES = 16;

export interface Scene {
  /** The random part (32 hex): the store key and the waiters' key. */
  id: string;
  /** Expiry, ms. */
  exp: number;
}

export function sceneString(scene: Scene): string {
  return `${SCENE_PREFIX}${scene.id}_${Math.ceil(scene.exp / 1000).toString(36)}`;
}

/**
 * The scene of a `subscribe` (`qrscene_<scene>`) or `SCAN` (`<scene>`) event key, when it is one
 * of ours; undefined for every other event key (the app's own QR codes).
 */
export function sceneOfEvent(event: string | undefined, eventKey: unknown): Scene | undefined {
  if (typeof eventKey !== 'string') return undefined;
  let key: string;
  if (event === 'subscribe') {
    if (!eventKey.startsWith(SUBSCRIBE_PREFIX)) return undefined;
    key = eventKey.slice(SUBSCRIBE_PREFIX.length);
  } else if (event === 'SCAN') key = eventKey;
  else return undefined;
  const m = SCENE.exec(key);
  return m ? { id: m[1]!, exp: parseInt(m[2]!, 36) * 1000 } : undefined;
}

/** The store key of a scanned scene: "scene → openid", written only on a verified WeChat event. */
export const scanKey = (id: string): string => `follow:scan:${id}`;

/** A follow login waiting in this browser (sealed in its cookie: nothing is stored for it). */
export interface PendingFollow {
  scene: Scene;
  appid: string;
  /** The QR image (`showqrcode?ticket=…`): a reload shows the same code without asking WeChat again. */
  imageUrl: string;
  /** Checked by the `next` guard when the login started. */
  next: string;
}

/** The sealed-cookie purpose (HKDF info `express-wxauth follow-login v1`). */
export const FOLLOW_PURPOSE = 'follow-login';

type Packed = [id: string, exp: number, appid: string, imageUrl: string, next: string];

/**
 * The cookie outlives its QR code by this much, so that a poll after the code's end still knows
 * where the browser was going (`expired` with a link to a new code for the same `next`).
 */
export const FOLLOW_COOKIE_GRACE_MS = 10 * 60_000;

export function sealFollow(sealer: Sealer, p: PendingFollow): string {
  const packed: Packed = [p.scene.id, p.scene.exp, p.appid, p.imageUrl, p.next];
  return sealer.seal(FOLLOW_PURPOSE, packed, p.scene.exp + FOLLOW_COOKIE_GRACE_MS);
}

/** The pending follow in a sealed value, if it is ours and well formed (its QR code may have expired: check `scene.exp`). */
export function openFollow(sealer: Sealer, value: string | undefined, nowMs: number): PendingFollow | undefined {
  const packed = sealer.open<unknown>(FOLLOW_PURPOSE, value, nowMs);
  if (!Array.isArray(packed) || packed.length !== 5) return undefined;
  const [id, exp, appid, imageUrl, next] = packed as unknown[];
  if (typeof id !== 'string' || !/^[a-f0-9]{32}$/.test(id) || typeof exp !== 'number') return undefined;
  if (typeof appid !== 'string' || typeof imageUrl !== 'string' || typeof next !== 'string') return undefined;
  return { scene: { id, exp }, appid, imageUrl, next };
}
