import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
/** Requests larger than this skip the pool: they are rare and would drain it. */
const MAX_POOLED = 256;

const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * `bytes` of CSPRNG output as lower-case hex. Small requests are served from a 4 KiB pool that
 * one `randomFillSync` refills, each byte handed out once (Node's own `randomUUID` does the
 * same): a `randomBytes` call per state, binding cookie or nonce cost more than the HMAC that
 * follows it (bench/oauth.ts and bench/jssdk.ts profiles).
 */
export function pooledRandomHex(bytes: number): string {
  // A fractional or negative size would move the offset backwards and hand bytes out twice.
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`randomHex: bytes must be a positive integer, got ${bytes}`);
  if (bytes > MAX_POOLED) return randomBytes(bytes).toString('hex');
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
