import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { WxAuthError } from '../errors';
import type { PayCertificate } from './options';

/** The TLS material of the merchant certificate, as Node's TLS options. */
function tlsOptions(cert: PayCertificate, mchid: string): tls.SecureContextOptions {
  // WeChat issues apiclient_cert.p12 with the mch_id as its passphrase.
  return 'pfx' in cert ? { pfx: cert.pfx, passphrase: cert.passphrase ?? mchid } : { cert: cert.cert, key: cert.key };
}

/**
 * Load the merchant certificate once, at construction: a wrong passphrase, a corrupt file or a
 * key that does not match the certificate fails start-up with a `config_error` naming
 * `pay.cert`, instead of the first refund. The message says which kind of problem, never the
 * passphrase or any byte of the key.
 */
export function createCertAgent(cert: PayCertificate, mchid: string, ca?: string | Buffer): https.Agent {
  const options = tlsOptions(cert, mchid);
  try {
    tls.createSecureContext(options);
  } catch (error) {
    throw new WxAuthError('config_error', `"pay.cert" ${reasonOf(error, 'pfx' in cert)}`, { field: 'pay.cert', cause: error });
  }
  return new https.Agent({ ...options, ...(ca ? { ca } : {}), keepAlive: true, maxSockets: 16 });
}

/**
 * The convert command for a legacy .p12. Checked against OpenSSL 3 (test/pay/cert-legacy.test.ts):
 * `-legacy` loads the provider that has RC2, `-nodes` writes the key unencrypted (the import
 * password it asks for is the mch_id), and the one file holds the certificate and the key.
 */
export const LEGACY_P12_CONVERT = 'openssl pkcs12 -in apiclient_cert.p12 -legacy -nodes -out apiclient.pem';

/** Why OpenSSL refused the certificate, as the end of a sentence starting with `"pay.cert"`. */
function reasonOf(error: unknown, isPfx: boolean): string {
  const message = String((error as Error)?.message);
  // The MAC is checked before anything is decrypted, so a wrong passphrase is reported as such
  // even for a legacy file.
  if (/mac verify|bad decrypt|password|passphrase/i.test(message)) return 'could not be decrypted (wrong passphrase? it defaults to the mch_id)';
  if (/key values mismatch/i.test(message)) return 'has a private key that does not match the certificate';
  // Older apiclient_cert.p12 files are encrypted with RC2-40, which OpenSSL 3 (Node ≥ 17) keeps
  // in its legacy provider, not loaded by Node: the passphrase verified, but the bags cannot be read.
  if (isPfx && (/unsupported pkcs12|unsupported/i.test(message) || (error as NodeJS.ErrnoException)?.code === 'ERR_CRYPTO_UNSUPPORTED_OPERATION')) {
    return (
      'is a legacy apiclient_cert.p12 (RC2-40 encrypted) that OpenSSL 3 cannot read without its legacy provider. ' +
      'Either give the PEM pair from the same certificate download: { cert: apiclient_cert.pem, key: apiclient_key.pem }; ' +
      `or convert the .p12 once with \`${LEGACY_P12_CONVERT}\` (the import password is the mch_id) ` +
      'and pass apiclient.pem as both { cert, key }'
    );
  }
  return 'could not be loaded (expected apiclient_cert.p12 as { pfx } or PEM { cert, key })';
}

/** An agent trusting `ca` for calls that need no client certificate (test doubles only). */
export function createCaAgent(ca: string | Buffer): https.Agent {
  try {
    // Node's TLS silently skips what is not PEM; parse it ourselves so a typo fails start-up.
    new X509Certificate(ca);
    tls.createSecureContext({ ca });
  } catch {
    throw new WxAuthError('config_error', '"pay.ca" could not be loaded (expected PEM)', { field: 'pay.ca' });
  }
  return new https.Agent({ ca, keepAlive: true, maxSockets: 64 });
}
