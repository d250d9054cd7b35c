import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { MessageAnswer, MessageServerIo } from './server';
import { MessageServerCore } from './server';
import type { MessageQuery } from './envelope';
import { defaultRandomHex } from '../context';
import { consoleLogger } from '../log';
import { MemoryStore } from '../store/memory';
import { validateOptions } from '../validate';
import { messageServerOptionsSchema, type MessageServerOptions } from './options';
import type { MessageHandler, MessageRegistry } from './types';

/** The message server: register handlers, mount `handler` at the URL set in the account's server configuration. */
export interface MessageServer extends MessageRegistry<MessageServer> {
  /** `GET` (the URL check) and `POST` (messages) for Express; other methods get 405. */
  readonly handler: RequestHandler;
}

/**
 * A message server for one account (`appid`): `wxauth({ mp: { messages } })` builds one and mounts
 * it; build your own for another account or a mini program's message push (the same protocol),
 * and mount `handler` on your route. Options are checked now (`config_error` naming the field).
 * `io` defaults: an in-memory store (one process: pass your Redis-backed `Store` for several),
 * `Date.now`, CSPRNG randomness, the console logger.
 */
export function createMessageServer(appid: string, options: MessageServerOptions, io: Partial<MessageServerIo> = {}): MessageServer {
  validateOptions(messageServerOptionsSchema, options, 'messages');
  const core = new MessageServerCore(appid, options, {
    store: io.store ?? new MemoryStore(),
    now: io.now ?? Date.now,
    randomHex: io.randomHex ?? defaultRandomHex,
    logger: io.logger ?? consoleLogger,
  });
  const raw = express.raw({ type: () => true, limit: core.maxBytes });
  const handler: RequestHandler = (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return send(res, core.verifyUrl(queryOf(req)));
    if (req.method !== 'POST') return void res.status(405).set('Allow', 'GET, POST').type('text/plain').send('method not allowed');
    const receive = () => {
      core.receive(queryOf(req), bodyOf(req)).then((answer) => send(res, answer), next);
    };
    // A body parser that ran before us (text or raw) left the bytes: use them as they are.
    if (Buffer.isBuffer(req.body) || typeof req.body === 'string') return receive();
    raw(req, res, (error?: unknown) => (error ? bodyError(error, res, next, core.maxBytes) : receive()));
  };
  const server: MessageServer = {
    handler,
    onMessage(fn) {
      core.handlers.addMessageHandler(fn as MessageHandler);
      return server;
    },
    onEvent(type, fn) {
      core.handlers.addEventHandler(type, fn as MessageHandler);
      return server;
    },
  };
  return server;
}

const QUERY_FIELDS = ['signature', 'timestamp', 'nonce', 'msg_signature', 'encrypt_type', 'echostr'] as const;

/** The signed query parameters, each a single string (a repeated one is dropped, so it fails). */
function queryOf(req: Request): MessageQuery {
  const query: MessageQuery = {};
  for (const field of QUERY_FIELDS) {
    const value: unknown = (req.query as Record<string, unknown>)[field];
    if (typeof value === 'string') query[field] = value;
  }
  return query;
}

function bodyOf(req: Request): string | Buffer {
  const body: unknown = req.body;
  // An XML parser mounted before us turned the body into an object: the signed bytes are gone.
  return Buffer.isBuffer(body) || typeof body === 'string' ? body : '';
}

function send(res: Response, answer: MessageAnswer): void {
  res.status(answer.status).type(answer.contentType).send(answer.body);
}

function bodyError(error: unknown, res: Response, next: NextFunction, maxBytes: number): void {
  const e = error as { status?: number; type?: string };
  if (res.headersSent) return next(error);
  if (e?.status === 413 || e?.type === 'entity.too.large') return void res.status(413).type('text/plain').send(`xml_error: the body is larger than ${maxBytes} bytes`);
  res.status(400).type('text/plain').send('xml_error: invalid body');
}
