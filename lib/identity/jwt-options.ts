import { z } from 'zod';

/** Algorithms `storage: 'jwt'` signs with. `none` is not one of them and is never accepted. */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'EdDSA';

export interface JwtOptions {
  /** HMAC secret for HS256 / HS384 / HS512, at least 32 characters. */
  secret?: string;
  /** PEM private key (PKCS#8 or PKCS#1/SEC1) for RS256 / ES256 / EdDSA signing. */
  privateKey?: string;
  /** PEM public key (SPKI) matching `privateKey`; the only key used to verify. */
  publicKey?: string;
  /**
   * Signing algorithm, and the only one verification accepts (so `alg: none` and HS/RS swaps are
   * refused). Default `HS256` with `secret`, `RS256` with `privateKey`/`publicKey`.
   */
  alg?: JwtAlgorithm;
  /** Token lifetime: seconds, or a string like `'90s'`, `'30m'`, `'2h'`, `'7d'`, `'1w'`. Default `'2h'`. */
  expiresIn?: string | number;
  /** `iss` claim set on every token and required when verifying. */
  issuer?: string;
  /** `aud` claim set on every token and required when verifying. */
  audience?: string;
}

const HMAC = new Set(['HS256', 'HS384', 'HS512']);

export const jwtOptionsSchema = z
  .strictObject({
    secret: z.string().min(32, 'must be at least 32 characters').optional(),
    privateKey: z.string().optional(),
    publicKey: z.string().optional(),
    alg: z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA']).optional(),
    expiresIn: z.union([z.string().regex(/^\d+\s*[smhdw]?$/, 'must look like "2h" or a number of seconds'), z.number().int().positive()]).optional(),
    issuer: z.string().min(1).optional(),
    audience: z.string().min(1).optional(),
  })
  .superRefine((o, ctx) => {
    const hasKeys = !!(o.privateKey && o.publicKey);
    if (!o.secret && !hasKeys) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'is required (or privateKey and publicKey)' });
      return;
    }
    if (!!o.privateKey !== !!o.publicKey) {
      ctx.addIssue({ code: 'custom', path: [o.privateKey ? 'publicKey' : 'privateKey'], message: 'is required with the other half of the key pair' });
      return;
    }
    if (!o.alg) {
      if (o.secret && hasKeys) ctx.addIssue({ code: 'custom', path: ['alg'], message: 'is required when both secret and a key pair are given' });
      return;
    }
    if (HMAC.has(o.alg) && !o.secret) ctx.addIssue({ code: 'custom', path: ['secret'], message: `is required for alg "${o.alg}"` });
    if (!HMAC.has(o.alg) && !hasKeys) ctx.addIssue({ code: 'custom', path: ['privateKey'], message: `and publicKey are required for alg "${o.alg}"` });
  });
