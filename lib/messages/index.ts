/**
 * The official account's message server (服务器配置): the URL check, plain / compatible / safe
 * messages, replay and retry protection, typed events and passive replies.
 */
import type { Router } from 'express';
import type { SurfaceDeps } from '../deps';
import { DEFAULT_MESSAGE_PATH } from './options';
import { createMessageServer, type MessageServer } from './router';

export { createMessageServer, type MessageServer } from './router';
export type { MessageServerIo } from './server';
export { messageServerOptionsSchema, DEFAULT_MESSAGE_PATH, type MessageServerOptions, type MessageMode } from './options';
export type * from './types';

/** Mount `GET|POST <mp.messages.path>` on wxauth()'s router; the server is returned for its handlers. */
export function mountMessages(router: Router, deps: SurfaceDeps): MessageServer {
  const mp = deps.options.mp!;
  const options = mp.messages!;
  const server = createMessageServer(mp.appid, options, deps.ctx);
  router.all(options.path ?? DEFAULT_MESSAGE_PATH, server.handler);
  return server;
}
