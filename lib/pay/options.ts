import { z } from 'zod';
import { fields } from '../validate';

/** The merchant certificate for refunds and red packets (mutual TLS). */
export type PayCertificate =
  /** `apiclient_cert.p12` contents; the passphrase defaults to the mch_id, as WeChat issues it. */
  | { pfx: Buffer; passphrase?: string }
  /** PEM `apiclient_cert.pem` and `apiclient_key.pem`. */
  | { cert: string | Buffer; key: string | Buffer };

export interface PayOptions {
  /** The AppID the payments belong to (mp, mini program or mobile app). */
  appid: string;
  /** Merchant id (商户号), digits. */
  mchid: string;
  /** API key (API密钥), 32 characters. Never logged. */
  key: string;
  /** Full notify URL; default `<baseUrl>/wxpay/<type>/callback` on the router's origin. */
  notifyUrl?: string;
  /** Default `MD5`. */
  signType?: 'MD5' | 'HMAC-SHA256';
  /** Needed for `refund` and `sendRedPack`. */
  cert?: PayCertificate;
  /** Red packet sender name (send_name). */
  sendName?: string;
  /** Server IP for `spbill_create_ip` / `client_ip` where the call has no user request. */
  clientIp?: string;
}

const buffer = z.custom<Buffer>((v) => Buffer.isBuffer(v), 'must be a Buffer');
const pem = z.union([z.string(), buffer]);

export const payOptionsSchema = z.strictObject({
  appid: fields.appid,
  mchid: z.string({ error: 'must be a string of digits' }).regex(/^\d{6,32}$/, 'must be a string of digits'),
  key: z.string({ error: 'must be a string' }).length(32, 'must be 32 characters (the API key from the merchant platform)'),
  notifyUrl: fields.url.optional(),
  signType: z.enum(['MD5', 'HMAC-SHA256']).optional(),
  cert: z.union([z.strictObject({ pfx: buffer, passphrase: z.string().optional() }), z.strictObject({ cert: pem, key: pem })]).optional(),
  sendName: z.string().min(1).max(32).optional(),
  clientIp: z.ipv4({ error: 'must be an IPv4 address' }).optional(),
});
