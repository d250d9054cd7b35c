import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { signPayV3, verifyPayV3 } from '../../../lib/pay/v3/crypto';
import { FOREIGN_KEY, MCHID, MERCHANT_PUB, PLATFORM_KEY, PLATFORM_SERIAL, PUBLIC_KEY_ID, SERIAL_NO, WECHATPAY_KEY } from './keys';

/**
 * A small stand-in for WeChat Pay's v3 host over a real socket: it checks each request's
 * `Authorization` (merchant key, serial, ±300 s) and answers signed with the test "WeChat Pay"
 * key, or with the fault a test asks for.
 */
export type Fault = 'probe' | 'stale' | 'future' | 'foreign' | 'unknown-serial' | 'none' | 'platform' | 'tamper';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether the Authorization header verified (and named our mchid and serial). */
  authOk: boolean;
  auth: Record<string, string>;
}

export interface Answer {
  status?: number;
  /** A JSON object, or a raw string / Buffer sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  fault?: Fault;
  /** Unsigned, whatever the fault (a download). */
  unsigned?: boolean;
}

export interface FakePay {
  url: string;
  received: Received[];
  /** Answer the next requests with this (a function gets each request). */
  answer: (answer: Answer | ((req: Received) => Answer)) => void;
  /** The clock the server signs with (ms); default Date.now. */
  clock: { now: () => number };
  close(): Promise<void>;
}

export function parseAuthorization(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const m = /^WECHATPAY2-SHA256-RSA2048 (.*)$/.exec(header ?? '');
  if (!m) return out;
  for (const part of m[1]!.matchAll(/(\w+)="([^"]*)"/g)) out[part[1]!] = part[2]!;
  return out;
}

/** The headers a WeChat answer carries, signed (or faulted) as asked. */
export function signedHeaders(body: string | Buffer, nowMs: number, fault: Fault = 'none' as Fault): Record<string, string> {
  let ts = Math.floor(nowMs / 1000);
  if (fault === 'stale') ts -= 300;
  if (fault === 'future') ts += 300;
  const nonce = randomBytes(16).toString('hex');
  const key = fault === 'foreign' ? FOREIGN_KEY : fault === 'platform' ? PLATFORM_KEY : WECHATPAY_KEY;
  const serial = fault === 'unknown-serial' ? 'PUB_KEY_ID_0119999999999999999999999999' : fault === 'platform' ? PLATFORM_SERIAL : PUBLIC_KEY_ID;
  const text = Buffer.concat([Buffer.from(`${ts}\n${nonce}\n`), Buffer.from(body), Buffer.from('\n')]);
  let signature = signPayV3(text.toString('utf8'), key);
  // WeChat's probe: a well-formed signature that is not the one of this answer.
  if (fault === 'probe') signature = signPayV3(`probe\n${text.toString('utf8')}`, key);
  return {
    'Wechatpay-Timestamp': String(ts),
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': (fault === 'probe' ? 'WECHATPAY/SIGNTEST/' : '') + signature,
    'Wechatpay-Serial': serial,
  };
}

export async function startFakePay(): Promise<FakePay> {
  const received: Received[] = [];
  let next: Answer | ((req: Received) => Answer) = { status: 200, body: {} };
  const clock = { now: () => Date.now() };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const auth = parseAuthorization(req.headers.authorization);
      const message = `${req.method}\n${req.url}\n${auth.timestamp}\n${auth.nonce_str}\n${body}\n`;
      const authOk =
        auth.mchid === MCHID &&
        auth.serial_no === SERIAL_NO &&
        Math.abs(clock.now() / 1000 - Number(auth.timestamp)) < 300 &&
        verifyPayV3(message, auth.signature ?? '', MERCHANT_PUB);
      const r: Received = { method: req.method!, url: req.url!, headers: req.headers, body, authOk, auth };
      received.push(r);
      const requestId = `08${randomBytes(12).toString('hex').toUpperCase()}`;
      if (!authOk) {
        // Like WeChat: a request it cannot authenticate gets an unsigned 401.
        res.writeHead(401, { 'Content-Type': 'application/json', 'Request-ID': requestId });
        res.end(JSON.stringify({ code: 'SIGN_ERROR', message: '签名错误' }));
        return;
      }
      const a = typeof next === 'function' ? next(r) : next;
      const status = a.status ?? 200;
      const text = a.body === undefined ? '' : Buffer.isBuffer(a.body) || typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      const headers: Record<string, string> = { 'Request-ID': requestId, ...(text.length && !Buffer.isBuffer(text) ? { 'Content-Type': 'application/json' } : {}), ...a.headers };
      if (!a.unsigned) Object.assign(headers, signedHeaders(a.fault === 'tamper' ? `${text} ` : text, clock.now(), a.fault));
      res.writeHead(status, headers);
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    clock,
    answer: (a) => {
      next = a;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
