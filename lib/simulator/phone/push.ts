import { createHash, randomBytes } from 'node:crypto';
import { decryptMessage, encryptMessage, messageAesKey } from '../../messages/crypto';
import { messageSignature, verifyMessageSignature } from '../../messages/signature';
import { buildXml, parseMessageXml, type XmlTree } from '../../messages/xml';
import { msgid64 } from '../cgi-bin';
import type { SimState } from '../state';
import type { SimCustomMessages } from '../api/custom-message';
import type { SimApp, SimMessageEndpoint } from '../types';

export type { SimMessageEndpoint } from '../types';

/**
 * A message or event a user sends, in camelCase (`{ from: 'alice', content: 'hi' }`,
 * `{ from: 'bob', event: 'CLICK', eventKey: 'MENU_1' }`); each field becomes WeChat's element
 * (`content` → `Content`, `locationX` → `Location_X`). `msgType` defaults to `event` when `event`
 * is given, else `text`.
 */
export interface SimPushInput {
  /** The simulated user (`alice`, `bob`, …); the message carries their openid in this account. */
  from: string;
  msgType?: string;
  content?: string;
  event?: string;
  eventKey?: string;
  ticket?: string;
  /** Elements under WeChat's own names, nested as WeChat nests them (`SubscribeMsgPopupEvent: { List: [...] }`). */
  raw?: XmlTree;
  /** Seconds since the epoch. Default: the simulator's clock. */
  createTime?: number;
  /** How long WeChat waits for each answer before trying again (ms). Default 5000, as WeChat. */
  timeoutMs?: number;
  /** How many times WeChat posts the message at most. Default 3, as WeChat. */
  attempts?: number;
  [field: string]: unknown;
}

/** One POST of the message to the app. */
export interface SimPushAttempt {
  /** The HTTP status, when the app answered in time. */
  status?: number;
  /** The answer's body, as sent (encrypted in safe mode). */
  body?: string;
  /** No answer within `timeoutMs`: WeChat drops the connection and tries again. */
  timedOut: boolean;
  /** A connection error, or a reply WeChat would reject (bad signature, wrong appid). */
  error?: string;
  /** How long the attempt took. */
  ms: number;
}

/** What happened to a pushed message. */
export interface SimPushResult {
  /** The plaintext message as WeChat built it. */
  xml: string;
  openid: string;
  /** The account's original id (`gh_…`): the message's `ToUserName`. */
  toUserName: string;
  createTime: number;
  /** For user messages (not events). */
  msgId?: string;
  attempts: SimPushAttempt[];
  /**
   * `replied`: a passive reply was accepted (see `reply`); `success`: answered with `success` or
   * nothing; `failed`: every attempt timed out or failed, or the last answer was not acceptable
   * (WeChat then shows the user "该公众号暂时无法提供服务").
   */
  outcome: 'replied' | 'success' | 'failed';
  /** The passive reply, decrypted and verified, under WeChat's names (`{ MsgType, Content, … }`). */
  reply?: Record<string, unknown>;
  replyXml?: string;
}

/** camelCase → WeChat's element name. */
const NAMES: Record<string, string> = { locationX: 'Location_X', locationY: 'Location_Y', msgId: 'MsgId', hqMusicUrl: 'HQMusicUrl' };
const CONTROL = new Set(['from', 'raw', 'createTime', 'timeoutMs', 'attempts', 'msgType']);

const elementName = (key: string): string => NAMES[key] ?? key.charAt(0).toUpperCase() + key.slice(1);

/** The account's original id: stable per appid, in WeChat's `gh_` + 12 hex form. */
export function originalIdOf(appid: string): string {
  return `gh_${createHash('sha1').update(appid).digest('hex').slice(0, 12)}`;
}

/**
 * The phone side of the message server: a user's message or event, signed and (per mode)
 * encrypted, posted to the account's URL as WeChat does — every attempt freshly signed (a new
 * timestamp and nonce) but the same MsgId / CreateTime, again after `timeoutMs` without an answer,
 * `attempts` times at most — and the reply checked as WeChat checks it.
 */
export class SimMessagePush {
  private readonly endpoints = new Map<string, SimMessageEndpoint>();

  constructor(
    private readonly state: SimState,
    private readonly customs: SimCustomMessages,
    apps: readonly SimApp[],
  ) {
    for (const app of apps) if (app.messages) this.connect(app.appid, app.messages);
  }

  /** Set (or change) where `appid` receives messages. */
  connect(appid: string, endpoint: SimMessageEndpoint): void {
    const app = this.state.app(appid);
    if (!app || app.type !== 'mp') throw new Error(`simulator.connectMessages: "${appid}" is not an official account of this simulator`);
    if (!/^https?:\/\//.test(endpoint?.url ?? '')) throw new Error('simulator.connectMessages: url must be an http(s) URL');
    if (endpoint.mode !== 'plain') messageAesKey(endpoint.encodingAESKey ?? '');
    this.endpoints.set(appid, { ...endpoint });
  }

  endpointOf(appid: string): SimMessageEndpoint | undefined {
    return this.endpoints.get(appid);
  }

  async push(appid: string, input: SimPushInput): Promise<SimPushResult> {
    const endpoint = this.endpoints.get(appid);
    if (!endpoint) throw new Error(`simulator.pushMessage: no message URL for "${appid}" (sim.connectMessages(appid, { url, token, mode }))`);
    if (!input || typeof input.from !== 'string' || !input.from) throw new Error('simulator.pushMessage: "from" must name a user (e.g. "alice")');
    const openid = this.state.openidOf(appid, input.from);
    const toUserName = originalIdOf(appid);
    const createTime = input.createTime ?? Math.floor(this.state.now() / 1000);
    const msgType = input.msgType ?? (input.event ? 'event' : 'text');
    const msgId = msgType === 'event' ? undefined : msgid64(this.state.nextMsgid(), this.state.now()).toString();
    const tree: XmlTree = { ToUserName: toUserName, FromUserName: openid, CreateTime: createTime, MsgType: msgType };
    for (const [key, value] of Object.entries(input)) {
      if (CONTROL.has(key) || value === undefined) continue;
      tree[elementName(key)] = typeof value === 'number' ? value : String(value);
    }
    Object.assign(tree, input.raw ?? {});
    // A 64-bit MsgId is written bare, as WeChat does (buildXml puts strings in CDATA; a number would round it).
    const xml = msgId ? buildXml(tree).replace(/<\/xml>$/, `<MsgId>${msgId}</MsgId></xml>`) : buildXml(tree);
    // The user interacted: the account may write to them for 48 hours (customer-service messages).
    this.customs.noteInteraction(appid, openid);

    const attempts: SimPushAttempt[] = [];
    const max = input.attempts ?? 3;
    const timeoutMs = input.timeoutMs ?? 5000;
    for (let i = 0; i < max; i++) {
      const attempt = await this.post(appid, endpoint, xml, timeoutMs);
      attempts.push(attempt.attempt);
      if (attempt.attempt.timedOut || attempt.retry) continue;
      const base = { xml, openid, toUserName, createTime, ...(msgId ? { msgId } : {}), attempts };
      if (attempt.attempt.error || attempt.attempt.status !== 200) return { ...base, outcome: 'failed' };
      if (!attempt.replyXml) return { ...base, outcome: 'success' };
      return { ...base, outcome: 'replied', replyXml: attempt.replyXml, reply: parseMessageXml(attempt.replyXml) };
    }
    return { xml, openid, toUserName, createTime, ...(msgId ? { msgId } : {}), attempts, outcome: 'failed' };
  }

  /** One signed POST; the reply opened as WeChat opens it. */
  private async post(appid: string, endpoint: SimMessageEndpoint, xml: string, timeoutMs: number): Promise<{ attempt: SimPushAttempt; replyXml?: string; retry?: boolean }> {
    const timestamp = String(Math.floor(this.state.now() / 1000));
    const nonce = String(randomBytes(4).readUInt32BE(0));
    const query = new URLSearchParams({ signature: messageSignature(endpoint.token, timestamp, nonce), timestamp, nonce, openid: this.openidIn(xml) });
    let body = xml;
    if (endpoint.mode !== 'plain') {
      const encrypt = encryptMessage(messageAesKey(endpoint.encodingAESKey!), xml, appid, randomBytes(16));
      query.set('encrypt_type', 'aes');
      query.set('msg_signature', messageSignature(endpoint.token, timestamp, nonce, encrypt));
      const envelope = `<Encrypt><![CDATA[${encrypt}]]></Encrypt>`;
      body = endpoint.mode === 'safe' ? `<xml><ToUserName><![CDATA[${originalIdOf(appid)}]]></ToUserName>${envelope}</xml>` : xml.replace(/<\/xml>$/, `${envelope}</xml>`);
    }
    const started = Date.now();
    const url = `${endpoint.url}${endpoint.url.includes('?') ? '&' : '?'}${query.toString()}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml', 'User-Agent': 'Mozilla/4.0' }, body, signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError';
      // A refused connection: WeChat tries again too.
      return { attempt: { timedOut, ms: Date.now() - started, ...(timedOut ? {} : { error: (error as Error)?.message ?? 'connection failed' }) }, retry: !timedOut };
    }
    const attempt: SimPushAttempt = { status: response.status, body: text, timedOut: false, ms: Date.now() - started };
    if (response.status !== 200 || text.trim() === '' || text.trim() === 'success') return { attempt };
    try {
      return { attempt, replyXml: this.openReply(appid, endpoint, text) };
    } catch (error) {
      attempt.error = (error as Error).message;
      return { attempt };
    }
  }

  /** WeChat's checks of a reply: in safe mode (or an encrypted compat reply) the signature, the ciphertext, our appid. */
  private openReply(appid: string, endpoint: SimMessageEndpoint, text: string): string {
    const outer = parseMessageXml(text);
    if (outer.Encrypt === undefined) {
      if (endpoint.mode === 'safe') throw new Error('safe mode: the reply is not encrypted');
      return text;
    }
    const { Encrypt, MsgSignature, TimeStamp, Nonce } = outer as Record<string, string>;
    if (!verifyMessageSignature(MsgSignature, endpoint.token, String(TimeStamp), String(Nonce), String(Encrypt))) throw new Error('the reply MsgSignature does not verify');
    const { message, appid: replyAppid } = decryptMessage(messageAesKey(endpoint.encodingAESKey!), String(Encrypt));
    if (replyAppid !== appid) throw new Error('the reply is encrypted for another appid');
    return message;
  }

  private openidIn(xml: string): string {
    return /<FromUserName><!\[CDATA\[([^\]]*)\]\]><\/FromUserName>/.exec(xml)?.[1] ?? '';
  }
}
