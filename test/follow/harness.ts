import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { wxauth, type Store, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { randomBytes } from 'node:crypto';
import { decryptMessage, encryptMessage, messageAesKey } from '../../lib/messages/crypto';
import { messageSignature } from '../../lib/messages/signature';
import { captureLogger, type CapturedLogger } from '../helpers/logs';

export const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-0123456789abcdef' };
export const TOKEN = 'followtoken';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
/** Follow-to-login needs safe mode: a plain message's body is not signed. */
export const MESSAGES = { token: TOKEN, mode: 'safe' as const, encodingAESKey: AES_KEY };

export interface Clock {
  now: () => number;
  ms: number;
}
export const clock = (): Clock => {
  const c: Clock = { ms: Date.now(), now: () => c.ms };
  return c;
};

export async function startSim(c: Clock): Promise<{ sim: Simulator; url: string; close(): Promise<void> }> {
  const sim = createSimulator({ apps: [{ ...MP, type: 'mp', name: 'Follow Shop' }], now: c.now });
  const { url, close } = await sim.listen();
  return { sim, url, close };
}

export interface FollowApp {
  router: WxAuthRouter;
  logger: CapturedLogger;
  url: string;
  /** Events the app's own handlers saw (not ours). */
  appEvents: Array<{ event: string; eventKey?: unknown }>;
  close(): Promise<void>;
}

/** An app with express-session (unless storage is cookie / jwt), the wxauth router with `follow`, `/me`. */
export async function startFollowApp(simUrl: string, c: Clock, options: Partial<WxAuthOptions> = {}, store?: Store): Promise<FollowApp> {
  const logger = captureLogger();
  const router = wxauth({
    mp: { ...MP, messages: MESSAGES },
    follow: { pollSeconds: 5 },
    endpoints: { open: simUrl, api: simUrl },
    logger,
    now: c.now,
    ...(store ? { store } : {}),
    ...options,
  });
  const appEvents: FollowApp['appEvents'] = [];
  router.onEvent('subscribe', (e) => void appEvents.push({ event: e.event, eventKey: e.eventKey }));
  router.onEvent('SCAN', (e) => {
    appEvents.push({ event: e.event, eventKey: e.eventKey });
    return { type: 'text', content: 'the app saw it' };
  });
  const app = express();
  if (!options.storage || options.storage === 'session') app.use(session({ secret: 'session-secret-for-tests', resave: false, saveUninitialized: false }));
  app.use(router);
  app.get('/me', (req, res) => res.json(req.wxauth ?? null));
  app.get('/start', (req, res) => router.auth(req, res, { action: 'follow', next: '/welcome' }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    router,
    logger,
    url,
    appEvents,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let nonce = 0;
/**
 * What WeChat does on a scan: POST the signed, encrypted (safe mode) event to the app's message URL;
 * resolves with the decrypted passive reply (or `success`).
 * `createTime` distinct per call, as WeChat's are per user and second (the dedupe key of events).
 */
export async function pushScan(appUrl: string, c: Clock, input: { openid: string; event: 'subscribe' | 'SCAN'; eventKey: string }): Promise<string> {
  const timestamp = String(Math.floor(c.ms / 1000));
  const n = `n${Date.now()}${nonce++}`;
  const createTime = Math.floor(c.ms / 1000) + nonce;
  const xml = `<xml><ToUserName><![CDATA[gh_follow000001]]></ToUserName><FromUserName><![CDATA[${input.openid}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${input.event}]]></Event><EventKey><![CDATA[${input.eventKey}]]></EventKey><Ticket><![CDATA[t]]></Ticket></xml>`;
  const key = messageAesKey(AES_KEY);
  const encrypted = encryptMessage(key, xml, MP.appid, randomBytes(16));
  const res = await request(appUrl)
    .post('/wechat/message')
    .query({ signature: messageSignature(TOKEN, timestamp, n), timestamp, nonce: n, encrypt_type: 'aes', msg_signature: messageSignature(TOKEN, timestamp, n, encrypted) })
    .type('text/xml')
    .send(`<xml><ToUserName><![CDATA[gh_follow000001]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`);
  if (res.status !== 200) throw new Error(`message server answered ${res.status}: ${res.text}`);
  const sealed = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(res.text);
  return sealed ? decryptMessage(key, sealed[1]!).message : res.text;
}

/** The scene a follow start's QR image stands for (from the simulator, as a phone would read the code). */
export function sceneOf(sim: Simulator, qrcodeUrl: string): string {
  const ticket = new URL(qrcodeUrl).searchParams.get('ticket') ?? '';
  const code = sim.qrcodes.valid(ticket);
  if (!code) throw new Error('no such QR code');
  return code.scene;
}

/** A browser (cookie jar) on the app. */
export const browser = (appUrl: string) => request.agent(appUrl);

/** Start a follow login as JSON: `{ qrcodeUrl, expiresIn, poll }`. */
export async function startFollow(agent: ReturnType<typeof request.agent>, next = '/welcome') {
  const res = await agent.get('/oauth/wechat/follow').query({ next }).set('Accept', 'application/json');
  if (res.status !== 200) throw new Error(`follow start answered ${res.status}: ${res.text}`);
  return res.body as { qrcodeUrl: string; expiresIn: number; poll: string };
}

/** Poll as JSON; `poll` may be absolute. */
export async function pollJson(agent: ReturnType<typeof request.agent>, poll: string) {
  const res = await agent.get(new URL(poll, 'http://x').pathname).set('Accept', 'application/json');
  return { status: res.status, body: res.body as { status: string; next?: string; openid?: string; unionid?: string; token?: string } };
}

/** Give a poll just sent time to reach the server and park. */
export const parked = () => new Promise((r) => setTimeout(r, 150));
