import { WxAuthError } from '../errors';
import { decryptMessage, encryptMessage } from './crypto';
import type { MessageMode } from './options';
import { messageSignature, verifyMessageSignature } from './signature';
import type { RawMessage } from './types';
import { buildXml, parseEnvelopeXml, parseMessageXml } from './xml';

/** WeChat's clocks and ours may differ a little; a signed request older or newer than this is refused. */
export const TIMESTAMP_WINDOW_SECONDS = 300;

/** What the envelope checks need to know, all from configuration. */
export interface EnvelopeConfig {
  appid: string;
  token: string;
  mode: MessageMode;
  /** The AES key (`messageAesKey(encodingAESKey)`), in compat and safe mode. */
  key?: Buffer;
  maxBytes: number;
}

/** The query WeChat signs a POST with. */
export interface MessageQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  msg_signature?: string;
  encrypt_type?: string;
  echostr?: string;
}

/** A message whose signature (and, encrypted, appid) verified. */
export interface OpenedMessage {
  raw: RawMessage;
  /** It came encrypted: the reply goes back encrypted too. */
  encrypted: boolean;
  /** The signed timestamp and nonce, for the replay memory. */
  timestamp: string;
  nonce: string;
}

/**
 * Check a POST's signature and open it, by the configured mode (never by the request's
 * `encrypt_type`): `plain` checks `signature`; `safe` requires `<Encrypt>` and checks
 * `msg_signature` over it, then the decrypted appid; `compat` does the `safe` checks when the body
 * carries `<Encrypt>` (and never falls back to the plaintext when they fail), `plain` otherwise.
 * Refused: `sign_error` (403), `replay_error` (a timestamp outside ±300 s), `decrypt_error`,
 * `xml_error` (DOCTYPE, too large, malformed), `args_error`.
 */
export function openMessage(config: EnvelopeConfig, query: MessageQuery, body: string | Buffer, nowSeconds: number): OpenedMessage {
  const { timestamp, nonce } = query;
  if (!timestamp || !nonce || !/^\d{1,12}$/.test(timestamp) || nonce.length > 64) throw new WxAuthError('sign_error', 'timestamp and nonce are required', { status: 403 });
  // Plain mode signs the query only: check it before the body is even parsed.
  if (config.mode === 'plain' && !verifyMessageSignature(query.signature, config.token, timestamp, nonce)) throw badSignature();
  // Safe mode reads only the flat envelope before msg_signature is checked (see parseEnvelopeXml).
  const outer = config.mode === 'safe' ? parseEnvelopeXml(body, config.maxBytes) : parseMessageXml(body, config.maxBytes);
  const encrypt = outer.Encrypt;
  const wantsEncrypted = config.mode === 'safe' || (config.mode === 'compat' && encrypt !== undefined);
  if (!wantsEncrypted) {
    if (!verifyMessageSignature(query.signature, config.token, timestamp, nonce)) throw badSignature();
    checkWindow(timestamp, nowSeconds);
    return { raw: outer, encrypted: false, timestamp, nonce };
  }
  if (typeof encrypt !== 'string' || !encrypt) throw new WxAuthError('sign_error', 'safe mode: the message is not encrypted', { status: 403 });
  if (!verifyMessageSignature(query.msg_signature, config.token, timestamp, nonce, encrypt)) throw badSignature();
  checkWindow(timestamp, nowSeconds);
  const { message, appid } = decryptMessage(config.key!, encrypt);
  if (appid !== config.appid) throw new WxAuthError('decrypt_error', 'the encrypted message is for another app', { status: 403 });
  return { raw: parseMessageXml(message, config.maxBytes), encrypted: true, timestamp, nonce };
}

/** The GET check of the server URL: `echostr` when `signature` verifies, else `sign_error`. */
export function verifyServerUrl(token: string, query: MessageQuery): string {
  const { timestamp, nonce, echostr } = query;
  if (!timestamp || !nonce || typeof echostr !== 'string' || !verifyMessageSignature(query.signature, token, timestamp, nonce)) throw badSignature();
  return echostr;
}

/**
 * The encrypted reply: `<Encrypt>`, its `<MsgSignature>` over token, timestamp, nonce and the
 * ciphertext, `<TimeStamp>` and `<Nonce>`. `random16` is the plaintext's random prefix.
 */
export function sealReply(config: EnvelopeConfig, replyXml: string, timestamp: string, nonce: string, random16: Buffer): string {
  const encrypted = encryptMessage(config.key!, replyXml, config.appid, random16);
  return buildXml({ Encrypt: encrypted, MsgSignature: messageSignature(config.token, timestamp, nonce, encrypted), TimeStamp: Number(timestamp), Nonce: nonce });
}

function checkWindow(timestamp: string, nowSeconds: number): void {
  if (Math.abs(nowSeconds - Number(timestamp)) > TIMESTAMP_WINDOW_SECONDS) throw new WxAuthError('replay_error', 'the timestamp is outside the accepted window', { status: 403 });
}

function badSignature(): WxAuthError {
  return new WxAuthError('sign_error', 'the signature does not verify', { status: 403 });
}
