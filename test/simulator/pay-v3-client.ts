/**
 * The merchant's side for the v3 simulator tests: a small signing client and a notify receiver,
 * written here with node:crypto (not lib/pay/v3), so the simulator is checked against the protocol.
 */
import { createDecipheriv, createSign, createVerify, X509Certificate } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimMerchantV3, createSimulator, type Simulator } from '../../lib/simulator';

export const APPID = 'wxmp000000000001';
export const MCHID = '1900000109';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  text: string;
  json: Record<string, unknown>;
}

export interface CallOptions {
  /** Leave these request headers out. */
  omit?: Array<'accept' | 'user-agent' | 'authorization' | 'content-type'>;
  headers?: Record<string, string>;
  /** Sign something else than what is sent (a bad signature). */
  signOver?: string;
  /** Seconds added to the signing timestamp. */
  skewSeconds?: number;
  /** Raw body text to send instead of JSON.stringify(body). */
  rawBody?: string;
  merchant?: MerchantKeys;
}

export interface MerchantKeys {
  mchid: string;
  serialNo: string;
  privateKey: string;
}

export function sign(message: string | Buffer, privateKey: string): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

/** A signed v3 request over plain node:http (so no header is added behind our back). */
export function call(base: string, merchant: MerchantKeys, method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<Answer> {
  const m = opts.merchant ?? merchant;
  const text = opts.rawBody ?? (body === undefined ? '' : JSON.stringify(body));
  const timestamp = String(Math.floor(Date.now() / 1000) + (opts.skewSeconds ?? 0));
  const nonce = `n${Math.random().toString(36).slice(2)}`;
  const signature = sign(opts.signOver ?? `${method}\n${path}\n${timestamp}\n${nonce}\n${text}\n`, m.privateKey);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': 'express-wxauth-tests/1.0',
    authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${m.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${m.serialNo}"`,
    ...(text ? { 'content-type': 'application/json' } : {}),
    ...opts.headers,
  };
  for (const h of opts.omit ?? []) delete headers[h];
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, ...(text ? { 'content-length': String(Buffer.byteLength(text)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        let json: Record<string, unknown> = {};
        try {
          json = raw.length ? JSON.parse(raw.toString('utf8')) : {};
        } catch {
          // not JSON (bill files)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text: raw.toString('utf8'), json });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Verify an answer's or notify's signature with the key its serial names; the serial and outcome. */
export function verifySigned(sim: Simulator, headers: http.IncomingHttpHeaders, raw: Buffer): boolean {
  const h = (n: string) => String(headers[n] ?? '');
  const serial = h('wechatpay-serial');
  const key = serial === sim.payV3.publicKeyId ? sim.payV3.publicKey : sim.payV3.platformCertificates[serial] && new X509Certificate(sim.payV3.platformCertificates[serial]!).publicKey;
  if (!key) return false;
  const message = Buffer.concat([Buffer.from(`${h('wechatpay-timestamp')}\n${h('wechatpay-nonce')}\n`), raw, Buffer.from('\n')]);
  try {
    return createVerify('RSA-SHA256').update(message).verify(key, Buffer.from(h('wechatpay-signature'), 'base64'));
  } catch {
    return false;
  }
}

/** AES-256-GCM open of a notify / certificate resource with the APIv3 key. */
export function decrypt(resource: { ciphertext: string; nonce: string; associated_data: string }, apiV3Key: string): string {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(resource.nonce));
  decipher.setAAD(Buffer.from(resource.associated_data));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  path: string;
}

/** A merchant's notify endpoint: records every POST and answers the next scripted status (then `fallback`; 0 = never answer). */
export async function startReceiver(fallback = 204) {
  const received: Received[] = [];
  const script: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks), path: req.url ?? '' });
      const status = script.shift() ?? fallback;
      if (status === 0) return; // hold the request: the sender times out
      res.statusCode = status;
      res.end(status === 204 ? undefined : JSON.stringify(status < 300 ? { code: 'SUCCESS' } : { code: 'FAIL', message: 'not now' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, script, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

/** A simulator with one mp app and one v3 merchant (its keys returned), listening on a free port. */
export async function startV3Sim(options: { mode?: 'publicKey' | 'certificate' | 'switch'; name?: string; now?: () => number } = {}) {
  const keys = createSimMerchantV3(options.mode ? { mode: options.mode } : {});
  const sim = createSimulator({
    apps: [{ appid: APPID, secret: 'mp-secret', type: 'mp' }],
    merchants: [{ mchid: MCHID, key: 'v2-key-not-used-here-0123456789ab', appid: APPID, name: options.name ?? 'Test Shop', v3: keys.v3 }],
    ...(options.now ? { now: options.now } : {}),
  });
  const server = await sim.listen();
  const merchant: MerchantKeys = { mchid: MCHID, serialNo: keys.serialNo, privateKey: keys.privateKey };
  return {
    sim,
    keys,
    merchant,
    url: server.url,
    call: (method: string, path: string, body?: unknown, opts?: CallOptions) => call(server.url, merchant, method, path, body, opts),
    async close() {
      await sim.payV3.settled();
      await server.close();
    },
  };
}

export type V3Sim = Awaited<ReturnType<typeof startV3Sim>>;

/** A JSAPI order body for `POST /v3/pay/transactions/jsapi`. */
export function jsapiOrder(outTradeNo: string, notifyUrl: string, sim: Simulator, total = 100) {
  return { appid: APPID, mchid: MCHID, description: 'Demo T-shirt', out_trade_no: outTradeNo, notify_url: notifyUrl, amount: { total, currency: 'CNY' }, payer: { openid: sim.openidOf(APPID, 'alice') } };
}
