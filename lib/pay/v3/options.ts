import { X509Certificate, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { WxAuthError } from '../../errors';
import { fields } from '../../validate';
import type { AutoShipVirtualGoodsOptions } from './auto-ship';
import { privateKeyOf, publicKeyOf } from './crypto';

/**
 * WeChat Pay v3 (APIv3): `pay.v3`. Public-key mode (`publicKeyId` + `publicKey`) is what every
 * merchant registered since about 2024-10 has; `certificates` is the legacy platform-certificate
 * mode, and both together verify either kind during a switch. Nothing is ever downloaded.
 */
export interface PayV3Options {
  /** The APIv3 key (APIv3密钥): exactly 32 bytes. Decrypts notifies. Never logged. */
  apiV3Key: string;
  /** The serial of the merchant API certificate (商户API证书序列号), 40 hex digits. */
  serialNo: string;
  /** The merchant API private key, `apiclient_key.pem` (PEM string or Buffer). Never logged. */
  privateKey: string | Buffer;
  /** The WeChat Pay public key's id, `PUB_KEY_ID_` + digits. With `publicKey`. */
  publicKeyId?: string;
  /** The WeChat Pay public key (`pub_key.pem`, SPKI PEM). With `publicKeyId`. */
  publicKey?: string | Buffer;
  /**
   * Platform certificates by serial (`{ [serial]: pem }`): legacy mode, or both modes while the
   * merchant switches to the public key (WeChat then signs with either for 7 days).
   */
  certificates?: Record<string, string | Buffer>;
  /**
   * Other AppIDs bound to the merchant whose payments this server takes (a mini program's, an
   * app's): `prepay({ appid })` accepts them and their notifies pass the appid check. `pay.appid`
   * is always accepted.
   */
  appids?: string[];
  /**
   * Full notify URL, no query string (WeChat forbids one); `:type` is replaced by the order type
   * (`refund` / `transfer` for those notifies). Default `<baseUrl><mountPath>/wxpay/v3/:type/callback`.
   */
  notifyUrl?: string;
  /**
   * After a mini-program payment's notify was handled (your `onNotify` succeeded), record its
   * shipping as virtual goods (`logisticsType: 3`) with WeChat's shipping-info service, in the
   * background, once per payment. Needs `miniprogram` (its appid in `pay.appid` or `pay.v3.appids`).
   * For payments of a mini program that sells services or digital goods; off by default.
   */
  autoShipVirtualGoods?: AutoShipVirtualGoodsOptions;
}

/** The keys of `pay.v3`, parsed once at construction. */
export interface PayV3Keys {
  apiV3Key: string;
  serialNo: string;
  privateKey: KeyObject;
  /** Verification keys by the `Wechatpay-Serial` that names them (public key id, certificate serials upper-case). */
  verifiers: Map<string, KeyObject>;
  /** The key sensitive fields are encrypted under, and the serial to send with it. */
  encryptKey: KeyObject;
  encryptSerial: string;
  /** Sent as `Wechatpay-Serial` on every request in public-key mode. */
  publicKeyId?: string;
}

const buffer = z.custom<Buffer>((v) => Buffer.isBuffer(v), 'must be a Buffer');
const pem = z.union([z.string(), buffer], { error: 'must be a PEM string or a Buffer' });
const HEX_SERIAL = /^[0-9A-Fa-f]{8,40}$/;

function parses(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

const normalSerial = (serial: string) => serial.toUpperCase().replace(/^0+/, '');
const textOf = (value: string | Buffer) => (typeof value === 'string' ? value : value.toString('utf8'));

/** The serial of a PEM certificate (upper-case hex), or undefined when it is not one. */
function certificateSerial(value: string | Buffer): string | undefined {
  try {
    return new X509Certificate(value).serialNumber.toUpperCase();
  } catch {
    return undefined;
  }
}

export const payV3OptionsSchema = z
  .strictObject({
    apiV3Key: z
      .string({ error: 'must be a string' })
      .refine((s) => Buffer.byteLength(s, 'utf8') === 32, 'must be exactly 32 bytes (the APIv3 key from the merchant platform)'),
    serialNo: z.string({ error: 'must be a string' }).regex(/^[0-9A-Fa-f]{40}$/, 'must be 40 hex digits (the merchant API certificate serial)'),
    privateKey: pem.refine((v) => parses(() => privateKeyOf(v)), 'must be an RSA private key in PEM (apiclient_key.pem)'),
    publicKeyId: z.string({ error: 'must be a string' }).regex(/^PUB_KEY_ID_\d+$/, 'must be "PUB_KEY_ID_" followed by digits').optional(),
    publicKey: pem
      .refine((v) => !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(textOf(v)) && parses(() => publicKeyOf(v)), 'must be the WeChat Pay public key in PEM (pub_key.pem)')
      .optional(),
    certificates: z
      .record(z.string().regex(HEX_SERIAL, 'keys must be certificate serials (hex)'), pem, { error: 'must be { [serial]: certificate PEM }' })
      .optional(),
    appids: z.array(fields.appid).max(64).optional(),
    notifyUrl: fields.url.refine((v) => !v.includes('?') && !v.includes('#'), 'must not have a query string (WeChat refuses one)').optional(),
    autoShipVirtualGoods: z
      .strictObject({
        itemDesc: z.union(
          [
            z.string().min(1, 'must not be empty').refine((v) => [...v].length <= 120, 'must be at most 120 characters'),
            z.custom<(t: never) => string>((v) => typeof v === 'function'),
          ],
          { error: 'must be a text of at most 120 characters or a function of the transaction' },
        ),
        retryDelaysMs: z.array(z.number().int().min(0).max(3_600_000)).max(10).optional(),
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (!!v.publicKeyId !== !!v.publicKey) {
      const missing = v.publicKeyId ? 'publicKey' : 'publicKeyId';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required with ' + (v.publicKeyId ? '"publicKeyId"' : '"publicKey"') });
      return;
    }
    const certs = Object.entries(v.certificates ?? {});
    if (!v.publicKeyId && !certs.length) {
      ctx.addIssue({ code: 'custom', path: ['publicKey'], message: 'is required (with "publicKeyId"), unless "certificates" are given (platform-certificate mode)' });
      return;
    }
    for (const [serial, cert] of certs) {
      const actual = certificateSerial(cert);
      if (!actual) ctx.addIssue({ code: 'custom', path: ['certificates', serial], message: 'must be a platform certificate in PEM' });
      else if (normalSerial(actual) !== normalSerial(serial)) {
        ctx.addIssue({ code: 'custom', path: ['certificates', serial], message: 'is a certificate with another serial' });
      }
    }
  });

/**
 * Parse `pay.v3`'s keys (already validated by the schema) into KeyObjects. A key that still fails
 * here (a KeyObject-unfriendly Buffer changed since validation) is a `config_error` naming it.
 */
export function loadPayV3Keys(options: PayV3Options): PayV3Keys {
  const load = <T>(field: string, parse: () => T): T => {
    try {
      return parse();
    } catch {
      throw new WxAuthError('config_error', `"pay.v3.${field}" is not a usable key`, { field: `pay.v3.${field}` });
    }
  };
  const verifiers = new Map<string, KeyObject>();
  let encryptKey: KeyObject | undefined;
  let encryptSerial = '';
  // Certificates first: in a switch the public key, added last, is the one to encrypt under.
  for (const [serial, pemText] of Object.entries(options.certificates ?? {})) {
    const key = load(`certificates.${serial}`, () => publicKeyOf(textOf(pemText)));
    verifiers.set(serial.toUpperCase(), key);
    encryptKey = key;
    encryptSerial = serial.toUpperCase();
  }
  if (options.publicKeyId && options.publicKey) {
    const key = load('publicKey', () => publicKeyOf(options.publicKey!));
    verifiers.set(options.publicKeyId, key);
    encryptKey = key;
    encryptSerial = options.publicKeyId;
  }
  if (!encryptKey) throw new WxAuthError('config_error', '"pay.v3.publicKey" is required', { field: 'pay.v3.publicKey' });
  return {
    apiV3Key: options.apiV3Key,
    serialNo: options.serialNo.toUpperCase(),
    privateKey: load('privateKey', () => privateKeyOf(options.privateKey)),
    verifiers,
    encryptKey,
    encryptSerial,
    ...(options.publicKeyId ? { publicKeyId: options.publicKeyId } : {}),
  };
}
