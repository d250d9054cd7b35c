import type { WxContext } from '../context';
import { WxAuthError, isWxAuthError } from '../errors';
import { runOnce } from '../pay/once';
import { messageAesKey } from './crypto';
import { HandlerChain } from './dispatch';
import { openMessage, sealReply, TIMESTAMP_WINDOW_SECONDS, verifyServerUrl, type EnvelopeConfig, type MessageQuery } from './envelope';
import { dedupeKey, toMessage } from './message';
import { DEFAULT_REPLY_TIMEOUT_MS, type MessageServerOptions } from './options';
import { buildReplyXml, NO_REPLY } from './reply';
import type { AnyMessage, Reply } from './types';
import { MESSAGE_MAX_BYTES } from './xml';

/** The I/O the message server uses: the store (replay and once-only marks), clock, randomness, logger. */
export type MessageServerIo = Pick<WxContext, 'store' | 'now' | 'randomHex' | 'logger'>;

/** What a route sends back: status, content type and body. */
export interface MessageAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** How long a delivery's nonce is remembered: the whole window on both sides, and a minute more. */
const NONCE_SECONDS = 2 * TIMESTAMP_WINDOW_SECONDS + 60;
/** How long a message is remembered as handled: WeChat's 3 tries over 15 s, with room to spare. */
const DONE_SECONDS = 600;
/** How long a passive reply is kept for WeChat's retry of the same message. */
const REPLY_SECONDS = 60;

const TEXT = 'text/plain; charset=utf-8';
const XML = 'application/xml; charset=utf-8';

/**
 * The message server's core (no Express): the GET check of the server URL, and the POST of a
 * message: verified, opened, remembered, handed to the handlers once, answered with the reply.
 */
export class MessageServerCore {
  readonly handlers = new HandlerChain();
  private readonly envelope: EnvelopeConfig;
  private readonly replyTimeoutMs: number;

  constructor(
    appid: string,
    options: MessageServerOptions,
    private readonly io: MessageServerIo,
  ) {
    this.envelope = {
      appid,
      token: options.token,
      mode: options.mode,
      maxBytes: options.maxBytes ?? MESSAGE_MAX_BYTES,
      ...(options.mode !== 'plain' && options.encodingAESKey ? { key: messageAesKey(options.encodingAESKey) } : {}),
    };
    if (options.mode !== 'plain' && !this.envelope.key) {
      throw new WxAuthError('config_error', `"mp.messages.encodingAESKey" is required in "${options.mode}" mode`, { field: 'mp.messages.encodingAESKey' });
    }
    this.replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
  }

  get maxBytes(): number {
    return this.envelope.maxBytes;
  }

  /** `GET`: WeChat checks the server URL; `echostr` goes back only when the signature verifies. */
  verifyUrl(query: MessageQuery): MessageAnswer {
    try {
      return { status: 200, contentType: TEXT, body: verifyServerUrl(this.envelope.token, query) };
    } catch (error) {
      return this.refused(error);
    }
  }

  /** `POST`: a message or event. Never throws: every failure is an answer. */
  async receive(query: MessageQuery, body: string | Buffer): Promise<MessageAnswer> {
    const started = this.io.now();
    let message: AnyMessage;
    let encrypted: boolean;
    try {
      const opened = openMessage(this.envelope, query, body, Math.floor(started / 1000));
      message = toMessage(opened.raw);
      encrypted = opened.encrypted;
      // Verified: now (and only now) a write. A nonce seen before is a replay.
      const fresh = await this.io.store.setIfAbsent(`wxmsg:${this.envelope.appid}:nonce:${opened.timestamp}:${opened.nonce}`, '1', NONCE_SECONDS);
      if (!fresh) throw new WxAuthError('replay_error', 'this signed request was already received', { status: 403 });
    } catch (error) {
      return this.refused(error);
    }
    const replyXml = await this.handleOnce(message, started);
    if (!replyXml) return { status: 200, contentType: TEXT, body: NO_REPLY };
    return { status: 200, contentType: XML, body: encrypted ? this.seal(replyXml) : replyXml };
  }

  /**
   * Run the handlers once per message across processes (WeChat retries after 5 s without an
   * answer), and give up waiting at `replyTimeoutMs`: the handler then finishes on its own and
   * WeChat gets `success`. A retry of a message already handled gets the same reply.
   */
  private async handleOnce(message: AnyMessage, started: number): Promise<string | undefined> {
    if (!this.handlers.handles(message)) return undefined;
    const key = `wxmsg:${this.envelope.appid}:${dedupeKey(message)}`;
    let replyXml: string | undefined;
    let late = false;
    const work = runOnce(this.io.store, key, { lockSeconds: 30, waitMs: this.replyTimeoutMs, rememberSeconds: DONE_SECONDS, now: this.io.now, logger: this.io.logger, label: 'wxmsg' }, async () => {
      const reply = await this.handlers.run(message);
      if (reply === undefined) return;
      replyXml = this.replyXml(reply, message);
      if (late) {
        this.io.logger.warn('message handler answered after replyTimeoutMs: its passive reply was dropped (send it with client.sendCustomMessage)', { msgType: message.msgType });
        return;
      }
      if (replyXml) await this.io.store.set(`${key}:reply`, replyXml, REPLY_SECONDS).catch(() => undefined);
    });
    const outcome = work.then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, this.replyTimeoutMs - (this.io.now() - started)));
      timer.unref?.();
    });
    const first = await Promise.race([outcome, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      late = true;
      void outcome.then((o) => 'error' in o && this.logHandlerError(o.error, message));
      return undefined;
    }
    if ('error' in first) {
      this.logHandlerError(first.error, message);
      return undefined;
    }
    if (first.result === 'already') return (await this.io.store.get(`${key}:reply`).catch(() => undefined)) || undefined;
    return replyXml;
  }

  private replyXml(reply: Reply, message: AnyMessage): string | undefined {
    if (reply === NO_REPLY || reply === '') return undefined;
    return buildReplyXml(reply, { toUserName: message.fromUserName, fromUserName: message.toUserName, createTime: Math.floor(this.io.now() / 1000) });
  }

  private seal(replyXml: string): string {
    const timestamp = String(Math.floor(this.io.now() / 1000));
    return sealReply(this.envelope, replyXml, timestamp, this.io.randomHex(8), Buffer.from(this.io.randomHex(16), 'hex'));
  }

  private logHandlerError(error: unknown, message: AnyMessage): void {
    // The message's content and the user's openid stay out of the log.
    this.io.logger.error('message handler failed; WeChat was answered "success"', {
      msgType: message.msgType,
      ...(message.msgType === 'event' ? { event: message.event } : {}),
      ...(isWxAuthError(error) ? { code: error.code } : { error: error instanceof Error ? error.name : typeof error }),
    });
  }

  private refused(error: unknown): MessageAnswer {
    if (!isWxAuthError(error)) throw error;
    this.io.logger.warn('message refused', { code: error.code, status: error.status });
    return { status: error.status, contentType: TEXT, body: `${error.code}: ${error.message}` };
  }
}
