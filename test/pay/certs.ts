import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  /** The CA that issues merchant client certificates and the simulator's server certificate. */
  ca: Buffer;
  server: { cert: Buffer; key: Buffer };
  /** apiclient_cert.p12 for `mchid`, passphrase = mchid (as WeChat issues it). */
  clientPfx: Buffer;
  /** The same client certificate as PEM. */
  client: { cert: Buffer; key: Buffer };
  /** A client certificate for `mchid` from another CA. */
  rogue: { cert: Buffer; key: Buffer };
  /** A client certificate from our CA but for another merchant. */
  otherMerchant: { cert: Buffer; key: Buffer };
  cleanup(): void;
}

/** Make a throwaway PKI with openssl (EC keys: fast). */
export function makeTestCerts(mchid: string): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-certs-'));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (name: string) => ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f(name));
  const issue = (name: string, subject: string, caName: string, ext?: string) => {
    key(`${name}.key`);
    ssl('req', '-new', '-key', f(`${name}.key`), '-subj', subject, '-out', f(`${name}.csr`));
    const args = ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.crt`), '-CAkey', f(`${caName}.key`), '-CAcreateserial', '-days', '2', '-out', f(`${name}.crt`)];
    if (ext) {
      writeFileSync(f(`${name}.ext`), ext);
      args.push('-extfile', f(`${name}.ext`));
    }
    ssl(...args);
  };
  const ca = (name: string, subject: string) => {
    key(`${name}.key`);
    ssl('req', '-x509', '-new', '-key', f(`${name}.key`), '-subj', subject, '-days', '2', '-out', f(`${name}.crt`));
  };
  ca('ca', '/CN=Test Pay CA');
  ca('rogueca', '/CN=Rogue CA');
  issue('server', '/CN=127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', `/CN=${mchid}/O=Test Merchant`, 'ca', 'extendedKeyUsage=clientAuth\n');
  issue('rogue', `/CN=${mchid}`, 'rogueca', 'extendedKeyUsage=clientAuth\n');
  issue('other', '/CN=1900000555', 'ca', 'extendedKeyUsage=clientAuth\n');
  ssl('pkcs12', '-export', '-inkey', f('client.key'), '-in', f('client.crt'), '-passout', `pass:${mchid}`, '-out', f('client.p12'));
  const read = (name: string) => readFileSync(f(name));
  const certs: TestCerts = {
    ca: read('ca.crt'),
    server: { cert: read('server.crt'), key: read('server.key') },
    clientPfx: read('client.p12'),
    client: { cert: read('client.crt'), key: read('client.key') },
    rogue: { cert: read('rogue.crt'), key: read('rogue.key') },
    otherMerchant: { cert: read('other.crt'), key: read('other.key') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return certs;
}
