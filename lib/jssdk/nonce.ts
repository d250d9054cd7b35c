import { randomFillSync } from 'node:crypto';
import { defaultRandomHex } from '../context';

const POOL_BYTES = 4096;
const NONCE_BYTES = 8;

/**
 * `nonceStr` for `wx.config`: 16 hex characters of CSPRNG output. With the default random
 * source the bytes come from a 4 KiB pool refilled by `randomFillSync` (each byte used once):
 * one `randomBytes` call per request costs more than the whole signature. An injected
 * `randomHex` (tests) is called as it is.
 */
export function createNonceSource(randomHex: (bytes: number) => string): () => string {
  if (randomHex !== defaultRandomHex) return () => randomHex(NONCE_BYTES);
  const pool = Buffer.allocUnsafe(POOL_BYTES);
  let offset = POOL_BYTES;
  return () => {
    if (offset + NONCE_BYTES > POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const nonce = pool.toString('hex', offset, offset + NONCE_BYTES);
    offset += NONCE_BYTES;
    return nonce;
  };
}
