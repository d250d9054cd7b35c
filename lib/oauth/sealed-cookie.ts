import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { WxAuthError } from '../errors';

/**
 * Sealed values for cookies: AES-256-GCM (confidential and authenticated), so state the server
 * would otherwise have to store — a pending login, later a QR scene — rides in the browser and
 * the server writes nothing for a visitor who has not logged in.
 *
 * One key per purpose, derived with HKDF-SHA256 from the configured secret(s) and the info
 * `express-wxauth <purpose> v1`: the raw secret is never a key, and a value sealed for one
 * purpose never opens as another (the label is also the GCM additional data). The expiry is
 * inside the ciphertext and checked against the caller's clock on every open.
 *
 * Format: base64url(version 0x01 ‖ 12-byte random IV ‖ ciphertext ‖ 16-byte tag), where the
 * plaintext is JSON `{"e": expiresAtMs, "p": payload}`.
 */
export interface Sealer {
  /** Seal `payload` for `purpose` until `expMs` (ms epoch). */
  seal(purpose: string, payload: unknown, expMs: number): string;
  /** The payload, or undefined when the value is absent, forged, for another purpose, or expired at `nowMs`. */
  open<T = unknown>(purpose: string, sealed: string | undefined, nowMs: number): T | undefined;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Longer input is not ours (a cookie is at most 4096 bytes): refuse before decoding. */
const MAX_SEALED_CHARS = 4096;
const PURPOSE = /^[a-z][a-z0-9-]{0,31}$/;
const SALT = 'express-wxauth sealed-cookie';

/** `info` of the HKDF and the GCM additional data for `purpose`. */
export const purposeLabel = (purpose: string): string => `express-wxauth ${purpose} v1`;

/**
 * A sealer keyed by `secrets` (one or more strings; all of them go into the key, in order).
 * `random` gives the IVs (tests may inject one; production uses the CSPRNG).
 */
export function createSealer(secrets: readonly string[], random: (bytes: number) => Buffer = randomBytes): Sealer {
  if (!secrets.length || secrets.some((s) => typeof s !== 'string' || !s)) {
    throw new WxAuthError('config_error', 'sealing needs a secret: set "secret" (or configure an app)', { field: 'secret' });
  }
  // JSON keeps ["ab","c"] and ["a","bc"] apart.
  const ikm = Buffer.from(JSON.stringify(secrets), 'utf8');
  const keys = new Map<string, Buffer>();
  const keyFor = (purpose: string): Buffer => {
    let key = keys.get(purpose);
    if (!key) {
      if (!PURPOSE.test(purpose)) throw new TypeError(`sealed-cookie: bad purpose ${JSON.stringify(purpose)}`);
      key = Buffer.from(hkdfSync('sha256', ikm, SALT, purposeLabel(purpose), 32));
      keys.set(purpose, key);
    }
    return key;
  };

  return {
    seal(purpose, payload, expMs) {
      if (!Number.isSafeInteger(expMs)) throw new TypeError('sealed-cookie: expMs must be an integer (ms)');
      const iv = random(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyFor(purpose), iv);
      cipher.setAAD(Buffer.from(purposeLabel(purpose), 'utf8'));
      const body = cipher.update(JSON.stringify({ e: expMs, p: payload }), 'utf8');
      const final = cipher.final();
      return Buffer.concat([Buffer.of(VERSION), iv, body, final, cipher.getAuthTag()]).toString('base64url');
    },

    open<T>(purpose: string, sealed: string | undefined, nowMs: number): T | undefined {
      if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_CHARS || !/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < 1 + IV_BYTES + TAG_BYTES + 1 || raw[0] !== VERSION) return undefined;
      let plain: string;
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyFor(purpose), raw.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(purposeLabel(purpose), 'utf8'));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        plain = Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return undefined; // wrong key, wrong purpose, or tampered
      }
      let parsed: { e?: unknown; p?: unknown };
      try {
        parsed = JSON.parse(plain) as typeof parsed;
      } catch {
        return undefined;
      }
      if (!parsed || typeof parsed.e !== 'number' || !(parsed.e > nowMs)) return undefined;
      return parsed.p as T;
    },
  };
}
