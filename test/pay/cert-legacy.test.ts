import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WxAuthError } from '../../lib/errors';
import { createPay } from '../../lib/pay/pay';
import type { SimServer } from '../../lib/simulator';
import { makeTestCerts, type TestCerts } from './certs';
import { APPID, MCHID, PAY, startPaySim, type PaySim } from './helpers';

// An apiclient_cert.p12 as older merchant platforms issued it: RC2-40 encrypted, which OpenSSL 3
// (the one in Node ≥ 17) reads only with its legacy provider, and Node does not load it. Made
// here with this machine's openssl, from a client certificate of the test CA (CN = mch_id), so
// the converted file can then do a real refund over mutual TLS against the simulator.
let certs: TestCerts;
let dir: string;
let legacyPfx: Buffer;
let sim: PaySim;
let tls: SimServer;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

beforeAll(async () => {
  certs = makeTestCerts(MCHID);
  dir = mkdtempSync(join(tmpdir(), 'wxpay-legacy-p12-'));
  writeFileSync(join(dir, 'client.key'), certs.client.key);
  writeFileSync(join(dir, 'client.crt'), certs.client.cert);
  openssl('pkcs12', '-export', '-legacy', '-certpbe', 'PBE-SHA1-RC2-40', '-keypbe', 'PBE-SHA1-3DES', '-inkey', 'client.key', '-in', 'client.crt', '-passout', `pass:${MCHID}`, '-out', 'apiclient_cert.p12');
  legacyPfx = readFileSync(join(dir, 'apiclient_cert.p12'));
  sim = await startPaySim();
  tls = await sim.host.listenTls({ cert: certs.server.cert, key: certs.server.key, ca: certs.ca });
  sim.host.policy.repeats = 1;
  sim.host.policy.retries = 0;
});
afterAll(async () => {
  await tls?.close();
  await sim?.close();
  certs?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const quiet = { warn: () => undefined, error: () => undefined };
const payWith = (cert: Parameters<typeof createPay>[0]['cert']) =>
  createPay({ ...PAY, cert, ca: certs.ca, endpoints: { pay: tls.url }, notifyUrl: 'http://127.0.0.1:9/wxpay/:type/callback', logger: quiet });

function configError(fn: () => unknown): WxAuthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WxAuthError);
    expect((error as WxAuthError).code).toBe('config_error');
    return error as WxAuthError;
  }
  throw new Error('expected a config_error');
}

describe('a legacy RC2-encrypted apiclient_cert.p12', () => {
  test('the file really is one OpenSSL 3 cannot read without -legacy (the premise of the hint)', () => {
    let stderr = '';
    try {
      openssl('pkcs12', '-in', 'apiclient_cert.p12', '-nodes', '-passin', `pass:${MCHID}`);
    } catch (e) {
      stderr = String((e as { stderr?: Buffer }).stderr);
    }
    expect(stderr).toMatch(/unsupported[\s\S]*RC2-40/);
  });

  test('fails start-up with a config_error naming pay.cert, the cause and both fixes, never the passphrase', () => {
    const e = configError(() => createPay({ ...PAY, cert: { pfx: legacyPfx } }));
    expect(e.field).toBe('pay.cert');
    expect(e.message).toMatch(/^"pay\.cert" is a legacy apiclient_cert\.p12 \(RC2-40 encrypted\)/);
    expect(e.message).toMatch(/OpenSSL 3/);
    expect(e.message).toContain('{ cert: apiclient_cert.pem, key: apiclient_key.pem }');
    expect(e.message).toContain('`openssl pkcs12 -in apiclient_cert.p12 -legacy -nodes -out apiclient.pem`');
    expect(e.message).not.toContain(MCHID);
    expect(String((e.cause as Error).message)).toMatch(/unsupported pkcs12/i); // OpenSSL's own words, kept as the cause
  });

  test('with a wrong passphrase it still says "wrong passphrase" (the MAC is checked first)', () => {
    const e = configError(() => createPay({ ...PAY, cert: { pfx: legacyPfx, passphrase: 'guess-123' } }));
    expect(e.message).toMatch(/wrong passphrase/);
    expect(e.message).not.toMatch(/legacy|guess-123/);
  });

  test('converted with the command the error names, it loads and a refund goes through over mutual TLS', async () => {
    const e = configError(() => createPay({ ...PAY, cert: { pfx: legacyPfx } }));
    const command = /`(openssl [^`]+)`/.exec(e.message)![1]!;
    // The command as printed, plus the import password it would otherwise prompt for.
    openssl(...command.split(' ').slice(1), '-passin', `pass:${MCHID}`);
    const pem = readFileSync(join(dir, 'apiclient.pem'));
    expect(pem.toString()).toMatch(/-----BEGIN CERTIFICATE-----[\s\S]*-----BEGIN PRIVATE KEY-----/);

    const no = `L${Date.now()}`;
    const { prepayId } = await payWith(undefined).prepay({ body: 'Tea', outTradeNo: no, totalFee: 100, openid: sim.sim.openidOf(APPID, 'alice') });
    await sim.host.payOrder(prepayId);
    const refund = await payWith({ cert: pem, key: pem }).refund({ outTradeNo: no, outRefundNo: `${no}R`, totalFee: 100, refundFee: 100 });
    expect(refund.refundId).toBeTruthy();
    expect(sim.host.order(prepayId)).toMatchObject({ state: 'REFUND' });
  });
});
