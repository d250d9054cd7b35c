import { z } from 'zod';

export interface JwtOptions {
  /** HMAC secret (HS256/384/512), at least 32 characters. */
  secret?: string;
  /** PEM private key for RS256 / ES256 / EdDSA signing. */
  privateKey?: string;
  /** PEM public key for verification (required with `privateKey`). */
  publicKey?: string;
  /** Default HS256 with `secret`, RS256 with keys. `none` is never accepted. */
  alg?: 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'EdDSA';
  /** Lifetime, e.g. `'2h'` or seconds. Default `'2h'`. */
  expiresIn?: string | number;
  issuer?: string;
  audience?: string;
}

export const jwtOptionsSchema = z
  .strictObject({
    secret: z.string().min(32, 'must be at least 32 characters').optional(),
    privateKey: z.string().optional(),
    publicKey: z.string().optional(),
    alg: z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA']).optional(),
    expiresIn: z.union([z.string().regex(/^\d+\s*[smhdw]?$/, 'must look like "2h" or a number of seconds'), z.number().int().positive()]).optional(),
    issuer: z.string().optional(),
    audience: z.string().optional(),
  })
  .superRefine((o, ctx) => {
    if (!o.secret && !(o.privateKey && o.publicKey)) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'is required (or privateKey and publicKey)' });
  });
