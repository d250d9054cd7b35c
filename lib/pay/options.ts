import { z } from 'zod';
import { fields } from '../validate';
import { payV3OptionsSchema, type PayV3Options } from './v3/options';

/** The merchant certificate for refunds and red packets (mutual TLS). */
export type PayCertificate =
  /**
   * `apiclient_cert.p12` contents; the passphrase defaults to the mch_id, as WeChat issues it.
   * An older RC2-40 encrypted one cannot be read by OpenSSL 3 (Node ≥ 17) without its legacy
   * provider: give the PEM pair instead, or convert it (docs/pay-v2.md, the merchant certificate).
   */
  | { pfx: Buffer; passphrase?: string }
  /** PEM `apiclient_cert.pem` and `apiclient_key.pem` (or one converted file holding both, given as each). */
  | { cert: string | Buffer; key: string | Buffer };

/** How payment notifies are processed once (see "Notifies: exactly once" in docs/pay-v2.md). */
export interface PayNotifyOptions {
  /**
   * How long one process may hold a notify while its handler runs, in seconds; a crashed holder
   * blocks the next delivery for at most this long. It must outlast your handler. Default 120.
   */
  lockSeconds?: number;
  /** How long a concurrent delivery waits for the holder to finish before answering FAIL (WeChat retries), ms. Default 5000. */
  waitMs?: number;
  /** How long a processed transaction is remembered, in days. WeChat retries for about 24 h. Default 30. */
  rememberDays?: number;
  /**
   * Durable marks: after taking a notify's lock and after its done mark, wait (Redis `WAIT` on the
   * key's master) until `replicas` replicas have it, at most `timeoutMs` (keep it below the store's
   * `commandTimeoutMs`). Fewer is logged, the notify still answered. Needs a store with
   * `waitReplicas` (RedisStore has it). Default: off.
   */
  durableMarks?: { replicas: number; timeoutMs: number };
}

export interface PayOptions {
  /** The AppID the payments belong to (mp, mini program or mobile app). */
  appid: string;
  /** Merchant id (商户号), digits. */
  mchid: string;
  /** API key (API密钥), 32 characters. Never logged. */
  key: string;
  /**
   * Full notify URL. `:type` in it is replaced by the order's `type` (`refund` for refund
   * notifies). Default `<baseUrl><mountPath>/wxpay/:type/callback` (`<baseUrl>/wxpay/…` with
   * `createPay()`); set it when `baseUrl` is not set or the notify route is served elsewhere.
   */
  notifyUrl?: string;
  /** Refund notify URL. Default: `notifyUrl` with `:type` = `refund`, else `<baseUrl><mountPath>/wxpay/refund/callback`. */
  refundNotifyUrl?: string;
  /**
   * Default `MD5`. Requests and JSAPI/APP pay parameters are signed this way, and it is the only
   * algorithm accepted in answers and notifies (one whose `sign_type` names another is refused).
   */
  signType?: 'MD5' | 'HMAC-SHA256';
  /** Needed for `refund` and `sendRedPack`; loaded once at start-up (a bad one is a `config_error`). */
  cert?: PayCertificate;
  /**
   * Extra CA certificate(s) (PEM) to trust for the pay host. WeChat's real host needs none: this
   * is for a test double such as the simulator's TLS listener.
   */
  ca?: string | Buffer;
  /** Red packet sender name (send_name). */
  sendName?: string;
  /** Server IP for `spbill_create_ip` / `client_ip` when the call does not pass one. No default. */
  clientIp?: string;
  /** Exactly-once processing of notifies. */
  notify?: PayNotifyOptions;
}

/**
 * The `pay` option: WeChat Pay v2 (`key`), v3 (`v3`), or both. `key` may be left out when `v3`
 * is given; the v2 calls then throw `config_error`.
 */
export type PayConfig = Omit<PayOptions, 'key'> & {
  /** The v2 API key (API密钥), 32 characters. Optional when `v3` is given. Never logged. */
  key?: string;
  /** WeChat Pay v3 (APIv3): the main pay path. */
  v3?: PayV3Options;
};

const buffer = z.custom<Buffer>((v) => Buffer.isBuffer(v), 'must be a Buffer');
const pem = z.union([z.string(), buffer], { error: 'must be a PEM string or a Buffer' });
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });

export const payOptionsSchema = z.strictObject({
  appid: fields.appid,
  mchid: z.string({ error: 'must be a string of digits' }).regex(/^\d{6,32}$/, 'must be a string of digits'),
  key: z.string({ error: 'must be a string' }).length(32, 'must be 32 characters (the API key from the merchant platform)').optional(),
  v3: payV3OptionsSchema.optional(),
  notifyUrl: fields.url.optional(),
  refundNotifyUrl: fields.url.optional(),
  signType: z.enum(['MD5', 'HMAC-SHA256']).optional(),
  cert: z
    .union([z.strictObject({ pfx: buffer, passphrase: z.string().optional() }), z.strictObject({ cert: pem, key: pem })], {
      error: 'must be { pfx, passphrase? } (apiclient_cert.p12) or { cert, key } (PEM)',
    })
    .optional(),
  ca: pem.optional(),
  sendName: z.string().min(1).max(32, 'must be at most 32 characters').optional(),
  clientIp: ip.optional(),
  notify: z
    .strictObject({
      lockSeconds: z.number().positive().max(3600).optional(),
      waitMs: z.number().int().min(0).max(60_000).optional(),
      rememberDays: z.number().positive().max(365).optional(),
      durableMarks: z.strictObject({ replicas: z.number().int().min(1).max(16), timeoutMs: z.number().int().min(1).max(10_000) }).optional(),
    })
    .optional(),
}).superRefine((v, ctx) => {
  if (v.key === undefined && v.v3 === undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'is required (the v2 API key), unless "v3" is given' });
});
