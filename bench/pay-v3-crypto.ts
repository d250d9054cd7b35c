/**
 * WeChat Pay v3 primitives per second: sign (the request `Authorization` and the JSAPI `paySign`),
 * verify (a notify's signature over `TIMESTAMP\nNONCE\nBODY\n`) and notify-decrypt (the
 * AES-256-GCM `resource`), ours vs `wechatpay-node-v3` vs `wechatpay-axios-plugin`, on the same
 * inputs, in one process (pure CPU: no server, no I/O).
 *
 *   node_modules/.bin/tsx bench/pay-v3-crypto.ts    (BENCH_ROUNDS, default 21; BENCH_ROUND_MS, default 200)
 *
 * Method: an RSA-2048 merchant key pair and a WeChat Pay key pair are generated at start. Every
 * row first proves the three compute the same thing (identical signatures; all accept a good
 * signature and refuse a tampered body and a probe signature; identical decrypted objects); then
 * each function is warmed up and timed in `ROUNDS` rounds of `ROUND_MS` each, the order of the
 * three rotated every round so drift and a busy neighbour hit all alike. The figure is the median
 * round, with the range; "ours / peer" is the median of the per-round ratios (each round's pair ran
 * within the same second, so a neighbour's load cancels out). Each function has a timing loop of
 * its own (generated code), so no shared call site turns megamorphic.
 *
 * Each peer is called the way its README shows:
 *   - wechatpay-node-v3: `new WxPay({ …, privateKey: readFileSync('apiclient_key.pem') })` (a
 *     Buffer), `getSignature` + `getAuthorization`, `sign(str)` for the JSAPI paySign (what its
 *     `transactions_jsapi` does), `await verifySign({ timestamp, nonce, body, serial, signature })`
 *     with the public key placed in `WxPay.certificates` (it has no public-key mode: for an unknown
 *     serial it downloads /v3/certificates, which fails for public-key merchants), `decipher_gcm`.
 *   - wechatpay-axios-plugin: keys loaded once with `Rsa.from(…)` (its recommended loader),
 *     `Rsa.sign(Formatter.request(…))` + `Formatter.authorization`, `Rsa.sign(Formatter.joinedByLineFeed(…))`
 *     for the paySign, `Rsa.verify(Formatter.response(…), signature, certs[serial])`,
 *     `Aes.AesGcm.decrypt(ciphertext, key, nonce, aad)`.
 *   - ours: `authorization(…)` (what every v3 request runs), `signPayV3(message, pem)`,
 *     `verifyPayV3(message, signature, pem)`, `decryptPayV3Resource(resource, apiV3Key)`; keys passed
 *     as PEM text, as users configure them.
 * The decrypt rows all end in `JSON.parse` (node-v3's `decipher_gcm` parses; the others return text).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { decryptPayV3Resource, encryptPayV3Resource, signPayV3, verifyPayV3 } from '../lib/pay/v3/crypto';
import { loadPayV3Keys } from '../lib/pay/v3/options';
import { authorization } from '../lib/pay/v3/signature';
import { grouped, machine, median, peerVersion, requireBench, table } from './_shared';
import { API_V3_KEY, APPID, MCHID, PUBLIC_KEY_ID, SERIAL_NO, v3Fixture, type NodeV3Pay, type AxiosPlugin } from './_pay-v3';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 200);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 500);

type Result = string | boolean | object;
type Fn = () => Result | Promise<Result>;
type Contender = 'ours' | 'node-v3' | 'axios';
const CONTENDERS: Contender[] = ['ours', 'node-v3', 'axios'];

interface Row {
  name: string;
  fns: Record<Contender, Fn>;
  /** Throws unless all three compute the same thing. */
  check: () => Promise<void>;
}

const fixture = v3Fixture();
const NodeV3 = requireBench('wechatpay-node-v3') as NodeV3Pay;
const { Rsa, Formatter, Aes } = requireBench('wechatpay-axios-plugin') as AxiosPlugin;

// wechatpay-node-v3 as its README builds it (serial_no given, so it does not parse a certificate).
const nodeV3 = new NodeV3({ appid: APPID, mchid: MCHID, serial_no: SERIAL_NO, publicKey: Buffer.from(fixture.merchantPublicPem), privateKey: Buffer.from(fixture.merchantPrivatePem), key: API_V3_KEY });
NodeV3.certificates = { [PUBLIC_KEY_ID]: fixture.wechatPublicPem };
// wechatpay-axios-plugin's keys, loaded once as its README recommends.
const axiosPrivate = Rsa.from(fixture.merchantPrivatePem, Rsa.KEY_TYPE_PRIVATE);
const axiosCerts: Record<string, unknown> = { [PUBLIC_KEY_ID]: Rsa.from(fixture.wechatPublicPem, Rsa.KEY_TYPE_PUBLIC) };
// Ours as the client holds them (parsed once at construction).
const ourKeys = loadPayV3Keys({ apiV3Key: API_V3_KEY, serialNo: SERIAL_NO, privateKey: fixture.merchantPrivatePem, publicKeyId: PUBLIC_KEY_ID, publicKey: fixture.wechatPublicPem });

const TIMESTAMP = String(Math.floor(Date.now() / 1000));
const NONCE = 'Q2FeaZlwAanQfIXUD2SdydISGQP3eHaq';

function fail(what: string, detail: string): never {
  throw new Error(`${what}: ${detail}`);
}

function signatureIn(header: string): string {
  return /signature="([^"]+)"/.exec(header)?.[1] ?? '';
}

function authorizationRow(): Row {
  const url = '/v3/pay/transactions/jsapi';
  const order = {
    appid: APPID,
    mchid: MCHID,
    description: 'Image形象店-深圳腾大-QQ公仔',
    out_trade_no: '1217752501201407033233368018',
    notify_url: 'https://shop.example.com/wxpay/v3/jsapi/callback',
    amount: { total: 100, currency: 'CNY' },
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  };
  const fns: Record<Contender, Fn> = {
    ours: () => authorization(ourKeys, MCHID, 'POST', url, JSON.stringify(order), TIMESTAMP, NONCE),
    'node-v3': () => nodeV3.getAuthorization(NONCE, TIMESTAMP, nodeV3.getSignature('POST', NONCE, TIMESTAMP, url, order)),
    axios: () => Formatter.authorization(MCHID, NONCE, Rsa.sign(Formatter.request('POST', url, TIMESTAMP, NONCE, JSON.stringify(order)), axiosPrivate), TIMESTAMP, SERIAL_NO),
  };
  return {
    name: 'sign: request Authorization (POST jsapi order)',
    fns,
    check: async () => {
      const message = `POST\n${url}\n${TIMESTAMP}\n${NONCE}\n${JSON.stringify(order)}\n`;
      const sigs = CONTENDERS.map((c) => signatureIn(fns[c]() as string));
      if (new Set(sigs).size !== 1) fail('Authorization', `signatures differ: ${sigs.map((s) => s.slice(0, 12)).join(' / ')}`);
      if (!verifyPayV3(message, sigs[0]!, fixture.merchantPublicPem)) fail('Authorization', 'the signature does not verify under the merchant key');
    },
  };
}

function paySignRow(): Row {
  const pkg = 'prepay_id=wx201410272009395522657a690389285100';
  const fns: Record<Contender, Fn> = {
    ours: () => signPayV3(`${APPID}\n${TIMESTAMP}\n${NONCE}\n${pkg}\n`, fixture.merchantPrivatePem),
    'node-v3': () => nodeV3.sign([APPID, TIMESTAMP, NONCE, pkg, ''].join('\n')),
    axios: () => Rsa.sign(Formatter.joinedByLineFeed(APPID, TIMESTAMP, NONCE, pkg), axiosPrivate),
  };
  return {
    name: 'sign: JSAPI paySign',
    fns,
    check: async () => {
      const sigs = CONTENDERS.map((c) => fns[c]() as string);
      if (new Set(sigs).size !== 1) fail('paySign', 'signatures differ');
      if (!verifyPayV3(`${APPID}\n${TIMESTAMP}\n${NONCE}\n${pkg}\n`, sigs[0]!, fixture.merchantPublicPem)) fail('paySign', 'does not verify');
    },
  };
}

function verifyRow(): Row {
  const notify = fixture.notify('4200000000202506080000000001', Date.now());
  const { body } = notify;
  const h = notify.headers;
  const verdicts = (b: string, signature: string): Record<Contender, () => boolean | Promise<boolean>> => ({
    ours: () => verifyPayV3(`${h['wechatpay-timestamp']}\n${h['wechatpay-nonce']}\n${b}\n`, signature, fixture.wechatPublicPem),
    'node-v3': () => nodeV3.verifySign({ timestamp: h['wechatpay-timestamp'], nonce: h['wechatpay-nonce'], body: b, serial: h['wechatpay-serial'], signature }),
    axios: () => Rsa.verify(Formatter.response(h['wechatpay-timestamp'], h['wechatpay-nonce'], b), signature, axiosCerts[h['wechatpay-serial']]),
  });
  const good = verdicts(body, h['wechatpay-signature']);
  return {
    name: `verify: notify signature (${(Buffer.byteLength(body) / 1024).toFixed(1)} KB body)`,
    fns: good,
    check: async () => {
      const tampered = verdicts(body.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESZ'), h['wechatpay-signature']);
      const probe = verdicts(body, signPayV3('a probe', fixture.wechatPrivatePem));
      for (const c of CONTENDERS) {
        if ((await good[c]()) !== true) fail(`verify (${c})`, 'refused a good signature');
        if ((await tampered[c]()) !== false) fail(`verify (${c})`, 'accepted a tampered body');
        if ((await probe[c]()) !== false) fail(`verify (${c})`, 'accepted a probe signature');
      }
    },
  };
}

/** What a tampered resource does in each: its finding goes into the report, it is not a failure. */
const decryptFindings: string[] = [];

function decryptRow(): Row {
  const plain = fixture.transaction('4200000000202506080000000001');
  const r = encryptPayV3Resource(JSON.stringify(plain), API_V3_KEY, randomBytes(6).toString('hex'), 'transaction');
  const with3 = (resource: typeof r): Record<Contender, () => unknown> => ({
    ours: () => JSON.parse(decryptPayV3Resource(resource, API_V3_KEY)) as unknown,
    'node-v3': () => nodeV3.decipher_gcm(resource.ciphertext, resource.associated_data ?? '', resource.nonce, API_V3_KEY),
    axios: () => JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, API_V3_KEY, resource.nonce, resource.associated_data ?? '')) as unknown,
  });
  const fns = with3(r) as Record<Contender, Fn>;
  return {
    name: `notify-decrypt: AES-256-GCM resource → JSON (${Buffer.from(r.ciphertext, 'base64').length} B)`,
    fns,
    check: async () => {
      for (const c of CONTENDERS) if (!isDeepStrictEqual(fns[c](), plain)) fail(`decrypt (${c})`, 'another plaintext');
      // A forged tag over the genuine ciphertext: an authenticated decryption refuses it.
      const bytes = Buffer.from(r.ciphertext, 'base64');
      bytes[bytes.length - 1]! ^= 1;
      const forged = with3({ ...r, ciphertext: bytes.toString('base64') });
      for (const c of CONTENDERS) {
        let outcome: string;
        try {
          const value = forged[c]();
          outcome = isDeepStrictEqual(value, plain) ? 'ACCEPTED (the tag is never checked)' : 'returned another value';
        } catch {
          outcome = 'refused';
        }
        if (c !== 'node-v3' && outcome !== 'refused') fail(`decrypt (${c})`, `a forged tag: ${outcome}`);
        decryptFindings.push(`${c}: ${outcome}`);
      }
    },
  };
}

let sink = 0; // results feed this so V8 cannot drop the calls as dead code

type Loop = (fn: Fn, n: number) => number | Promise<number>;
const loops = new Map<Fn, Loop>();
const SYNC = "let s = 0; for (let i = 0; i < n; i++) { const r = fn(); s += typeof r === 'string' ? r.length : r ? 1 : 0; } return s;";
const ASYNC = "return (async () => { let s = 0; for (let i = 0; i < n; i++) { const r = await fn(); s += r ? 1 : 0; } return s; })();";

/** A timing loop of its own per function (fresh code, so its call site stays monomorphic). */
function loopFor(fn: Fn, isAsync: boolean): Loop {
  let loop = loops.get(fn);
  if (!loop) {
    loop = new Function('fn', 'n', isAsync ? ASYNC : SYNC) as Loop;
    loops.set(fn, loop);
  }
  return loop;
}

const batches = new Map<Fn, number>();

/** Calls per second of `fn`, run for about `ms`; clock read every ~1 ms worth of calls. */
async function opsPerSecond(fn: Fn, ms: number): Promise<number> {
  const isAsync = fn() instanceof Promise;
  const loop = loopFor(fn, isAsync);
  const n = batches.get(fn) ?? 1;
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    const s = loop(fn, n);
    sink += typeof s === 'number' ? s : await s;
    calls += n;
    now = performance.now();
  }
  const rate = (calls * 1000) / (now - start);
  if (!batches.has(fn)) batches.set(fn, Math.max(1, Math.min(200, Math.round(rate / 1000))));
  return rate;
}

async function main(): Promise<void> {
  const rows = [authorizationRow(), paySignRow(), verifyRow(), decryptRow()];
  console.log(`pay v3 crypto benchmark: ${ROUNDS} rounds × ${ROUND_MS} ms per function after ${WARMUP_MS} ms warm-up, order rotated every round, median round; one process; RSA-2048 fixture keys`);
  console.log(machine());
  for (const row of rows) await row.check();
  console.log('correctness: identical signatures; all three accept the good notify signature and refuse a tampered body and a probe; identical decrypted objects');
  console.log(`a forged GCM tag: ${decryptFindings.join('; ')}`);

  const out: string[][] = [];
  for (const row of rows) {
    for (const c of CONTENDERS) {
      await opsPerSecond(row.fns[c], WARMUP_MS / 2); // sizes the batch
      await opsPerSecond(row.fns[c], WARMUP_MS / 2);
    }
    const rates: Record<Contender, number[]> = { ours: [], 'node-v3': [], axios: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < CONTENDERS.length; k++) {
        const c = CONTENDERS[(k + round) % CONTENDERS.length]!;
        rates[c].push(await opsPerSecond(row.fns[c], ROUND_MS));
      }
    }
    const m = (c: Contender) => median(rates[c]);
    const spread = (c: Contender) => `${grouped(Math.min(...rates[c]))}–${grouped(Math.max(...rates[c]))}`;
    // Paired: ours over the peer within each round (same minute, same neighbours), then the median.
    const ratio = (c: Contender) => `${median(rates.ours.map((o, i) => o / rates[c][i]!)).toFixed(2)}×`;
    out.push([row.name, grouped(m('ours')), grouped(m('node-v3')), grouped(m('axios')), ratio('node-v3'), ratio('axios'), spread('ours'), spread('node-v3'), spread('axios')]);
  }
  const nv = `wechatpay-node-v3 ${peerVersion('wechatpay-node-v3')}`;
  const ax = `wechatpay-axios-plugin ${peerVersion('wechatpay-axios-plugin')}`;
  console.log('\n' + table(['operation', 'ours ops/s', 'node-v3 ops/s', 'axios-plugin ops/s', 'ours / node-v3 (paired)', 'ours / axios-plugin (paired)', 'ours min–max', 'node-v3 min–max', 'axios-plugin min–max'], out));
  console.log(`\npeers: ${nv}, ${ax}; medians of ${ROUNDS} rounds`);
  if (sink === 42) console.log(''); // keep `sink` observable
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
