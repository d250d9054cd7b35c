import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { wxauth, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import type { MessageServerOptions } from '../../lib/messages';
import type { TestRedis } from '../helpers/redis';

/** An official account for the message-server tests. */
export const APPID = 'wxmsg000000000001';
export const TOKEN = 'msgtoken123';
/** 43 characters, as WeChat generates an EncodingAESKey. */
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** WeChat's signature, written out here independently of lib/messages/signature.ts. */
export function sha1Sorted(...parts: string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

/** WeChat's encryption (WXBizMsgCrypt), written out here independently of lib/messages/crypto.ts. */
export function wechatEncrypt(xml: string, appid = APPID, aesKey = AES_KEY, random = randomBytes(16)): string {
  const key = Buffer.from(`${aesKey}=`, 'base64');
  const body = Buffer.from(xml);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const plain = Buffer.concat([random, len, body, Buffer.from(appid)]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/** A text message as WeChat posts it. */
export function textXml(content: string, opts: { from?: string; msgId?: string; createTime?: number } = {}): string {
  const time = opts.createTime ?? Math.floor(Date.now() / 1000);
  return `<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[${opts.from ?? 'oUSER000000000000000000alice'}]]></FromUserName><CreateTime>${time}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${opts.msgId ?? String(BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000)))}</MsgId></xml>`;
}

/** An event as WeChat posts it. */
export function eventXml(event: string, fields: Record<string, string> = {}, opts: { from?: string; createTime?: number } = {}): string {
  const time = opts.createTime ?? Math.floor(Date.now() / 1000);
  const extra = Object.entries(fields).map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`).join('');
  return `<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[${opts.from ?? 'oUSER000000000000000000alice'}]]></FromUserName><CreateTime>${time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${extra}</xml>`;
}

/** The signed query of a plain POST. */
export function plainQuery(timestamp = String(Math.floor(Date.now() / 1000)), nonce = randomBytes(6).toString('hex')): Record<string, string> {
  return { signature: sha1Sorted(TOKEN, timestamp, nonce), timestamp, nonce, openid: 'o' };
}

/** The body and query of a safe-mode POST (the body as WeChat sends it in safe mode). */
export function safeRequest(xml: string, opts: { appid?: string; timestamp?: string; nonce?: string; compat?: boolean } = {}): { query: Record<string, string>; body: string } {
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(6).toString('hex');
  const encrypt = wechatEncrypt(xml, opts.appid ?? APPID);
  const query = { signature: sha1Sorted(TOKEN, timestamp, nonce), timestamp, nonce, openid: 'o', encrypt_type: 'aes', msg_signature: sha1Sorted(TOKEN, timestamp, nonce, encrypt) };
  const body = opts.compat ? xml.replace('</xml>', `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`) : `<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
  return { query, body };
}

/** Open a safe-mode reply (as WeChat does): check its MsgSignature, decrypt, check the appid. */
export function openReply(body: string): string {
  const field = (name: string) => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)(?:\\]\\]>)?</${name}>`).exec(body)?.[1] ?? '';
  const encrypt = field('Encrypt');
  if (sha1Sorted(TOKEN, field('TimeStamp'), field('Nonce'), encrypt) !== field('MsgSignature')) throw new Error('reply signature does not verify');
  const key = Buffer.from(`${AES_KEY}=`, 'base64');
  const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
  const unpadded = plain.subarray(0, plain.length - plain[plain.length - 1]!);
  const len = unpadded.readUInt32BE(16);
  if (unpadded.subarray(20 + len).toString() !== APPID) throw new Error('reply appid is not ours');
  return unpadded.subarray(20, 20 + len).toString();
}

export interface MessageApp {
  url: string;
  router: WxAuthRouter;
  logs: Array<{ level: string; message: string; meta?: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** wxauth({ mp: { messages } }) on Express over a real socket, with the file's Redis. */
export async function startMessageApp(redis: TestRedis, messages: Partial<MessageServerOptions> = {}, extra: Partial<WxAuthOptions> = {}): Promise<MessageApp> {
  const logs: MessageApp['logs'] = [];
  const router = wxauth({
    mp: { appid: APPID, secret: 'mpsecret', messages: { token: TOKEN, mode: 'plain', ...messages } as MessageServerOptions },
    store: redis.client,
    storePrefix: redis.prefix,
    logger: {
      warn: (message, meta) => void logs.push({ level: 'warn', message, ...(meta ? { meta } : {}) }),
      error: (message, meta) => void logs.push({ level: 'error', message, ...(meta ? { meta } : {}) }),
    },
    ...extra,
  });
  const app = express();
  app.use(router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    router,
    logs,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
