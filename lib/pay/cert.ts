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
    const reason = /mac verify|bad decrypt|password|passphrase/i.test(String((error as Error)?.message))
      ? 'could not be decrypted (wrong passphrase? it defaults to the mch_id)'
      : /key values mismatch/i.test(String((error as Error)?.message))
        ? 'has a private key that does not match the certificate'
        : 'could not be loaded (expected apiclient_cert.p12 as { pfx } or PEM { cert, key })';
    throw new WxAuthError('config_error', `"pay.cert" ${reason}`, { field: 'pay.cert' });
  }
  return new https.Agent({ ...options, ...(ca ? { ca } : {}), keepAlive: true, maxSockets: 16 });
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
