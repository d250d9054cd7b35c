import superagent from 'superagent';
import request from 'supertest';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../lib/simulator';

/**
 * WeChat labels much of its JSON `text/plain` (and the simulator does the same): read such a
 * body as JSON when it is JSON, as every WeChat client must, so `res.body` works in these tests.
 * `res.text` keeps the raw text; tests of the labels check `content-type` itself.
 */
type Parser = (res: NodeJS.ReadableStream & { text?: string; setEncoding(e: string): void }, done: (error: Error | null, body?: unknown) => void) => void;
(superagent as unknown as { parse: Record<string, Parser> }).parse['text/plain'] = (res, done) => {
  res.text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (res.text += chunk));
  res.on('end', () => {
    const text = res.text ?? '';
    let body: unknown = {};
    if (/^\s*[{[]/.test(text)) {
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON after all: leave body empty, the text is in res.text
      }
    }
    done(null, body);
  });
};

export const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-0001', type: 'mp' as const, name: 'Demo Shop' };
export const QR = { appid: 'wxqr000000000001', secret: 'qr-secret-0001', type: 'qrcode' as const, name: 'Demo Web' };
export const MOBILE = { appid: 'wxapp00000000001', secret: 'app-secret-0001', type: 'mobile' as const };
export const MINI = { appid: 'wxmini0000000001', secret: 'mini-secret-0001', type: 'miniprogram' as const };

/** WeChat's built-in browser: the simulator serves `/connect/oauth2/authorize` only to it. */
export const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';

export const MINUTE = 60_000;

/** A mutable clock the simulator reads; tests move it with `advance`. */
export function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

export interface Harness {
  sim: Simulator;
  url: string;
  http: ReturnType<typeof request>;
  advance: (ms: number) => void;
  close: () => Promise<void>;
}

/** A simulator with one app of each type, listening on a free port, with an injected clock. */
export async function startSim(extra: Partial<SimulatorOptions> = {}): Promise<Harness> {
  const c = clock();
  const sim = createSimulator({ apps: [MP, QR, MOBILE, MINI], now: c.now, ...extra });
  const { url, close } = await sim.listen();
  return { sim, url, http: request(url), advance: c.advance, close };
}

/** The query string of a Location header as an object. */
export function queryOf(location: string | undefined): Record<string, string> {
  return Object.fromEntries(new URL(location ?? '', 'http://x').searchParams);
}

/** Exchange a code on `/sns/oauth2/access_token`. */
export async function exchange(h: Harness, app: { appid: string; secret: string }, code: string) {
  const res = await h.http
    .get('/sns/oauth2/access_token')
    .query({ appid: app.appid, secret: app.secret, code, grant_type: 'authorization_code' });
  return res.body as Record<string, unknown>;
}
