import { Router, type Request, type RequestHandler, type Response } from 'express';
import { defaultRandomHex, type WxContext } from './context';
import type { HookRegistry, SurfaceDeps } from './deps';
import { WxAuthError } from './errors';
import { createIdentityStorage, identityMiddleware } from './identity';
import { consoleLogger } from './log';
import { mobileApps, wxauthOptionsSchema, type WxAuthOptions } from './options';
import type { ErrorHandler, SuccessHandler } from './hooks';
import { mountOAuth, type AuthStartOptions, type RequireLoginOptions } from './oauth/router';
import { createApiClient } from './client';
import type { ApiClient } from './client/types';
import { mountJssdk, type JssdkApi } from './jssdk/router';
import { mountNative } from './native/router';
import { mountMiniprogram } from './miniprogram/router';
import { mountPay, type PayApi } from './pay/router';
import { mountFollow, type FollowStartOptions } from './follow/router';
import { mountMessages, type MessageServer } from './messages';
import type { MessageRegistry } from './messages/types';
import { resolveStore, type Store } from './store';
import { validateOptions } from './validate';
import { WechatClient } from './wechat/client';

/** The Express router `wxauth()` returns, with the chiki-style hooks and helpers on it. */
export interface WxAuthRouter extends Router, MessageRegistry<WxAuthRouter> {
  /** Set the success hook (see `SuccessHandler`). */
  successHandler(fn: SuccessHandler): WxAuthRouter;
  /** Set the error hook (see `ErrorHandler`). */
  errorHandler(fn: ErrorHandler): WxAuthRouter;
  /** Start a login from the app's own route (redirect, or 401 JSON for API clients). */
  auth(req: Request, res: Response, options?: AuthStartOptions | FollowStartOptions): Promise<void>;
  /** Middleware: logged-in requests pass with `req.wxauth`; others start a login. */
  requireLogin(options?: RequireLoginOptions): RequestHandler;
  /** End the login (session / cookie / token). */
  logout(req: Request, res: Response): Promise<void>;
  /** Shared basic access token, jsapi_ticket and template messages. */
  readonly client: ApiClient;
  /** JSSDK signing; throws `config_error` when neither `jssdk` nor `mp` is configured. */
  readonly jssdk: JssdkApi;
  /** WeChat Pay; throws `config_error` when `pay` is not configured. */
  readonly pay: PayApi;
  /** The store in use (for your own once-only marks or inspection). */
  readonly store: Store;
}

/**
 * Build the router. Options are validated here: a bad one throws a `WxAuthError`
 * (`config_error`) naming the field, at start-up rather than on the first request.
 */
export function wxauth(input: WxAuthOptions): WxAuthRouter {
  const options = validateOptions<WxAuthOptions>(wxauthOptionsSchema, input ?? {});
  if (!options.mp && !options.qrcode && !mobileApps(options).length && !options.miniprogram && !options.pay) {
    throw new WxAuthError('config_error', '"options" must configure at least one of mp, qrcode, mobile, miniprogram or pay', { field: 'options' });
  }
  const ctx: WxContext = {
    http: new WechatClient({
      ...(options.endpoints ? { endpoints: options.endpoints } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.axios ? { axios: options.axios } : {}),
    }),
    store: resolveStore(options.store, options.storePrefix, options.storeTimeoutMs, options.logger),
    now: options.now ?? Date.now,
    randomHex: defaultRandomHex,
    logger: options.logger ?? consoleLogger,
  };
  const hooks: HookRegistry = {
    ...(options.onSuccess ? { success: options.onSuccess } : {}),
    ...(options.onError ? { error: options.onError } : {}),
  };
  const identity = createIdentityStorage(ctx, options);
  const client = createApiClient(ctx, options);
  const deps: SurfaceDeps = { ctx, options, identity, hooks, client };

  const router = Router() as WxAuthRouter;
  router.use(identityMiddleware(identity));
  const oauth = mountOAuth(router, deps);
  const jssdk = mountJssdk(router, deps);
  if (mobileApps(options).length) mountNative(router, deps);
  if (options.miniprogram) mountMiniprogram(router, deps);
  const pay = options.pay ? mountPay(router, deps) : undefined;
  // The official account's message server (`mp.messages`): its handlers are router.onMessage / onEvent.
  const messages: MessageServer | undefined = options.mp?.messages ? mountMessages(router, deps) : undefined;
  const messageServer = (): MessageServer => messages ?? notConfigured('mp.messages', 'configure "mp.messages" ({ token, mode }) to receive messages');
  // Follow-to-login: its scan handler goes on the message server before any of the app's (which see every other event).
  const follow = options.follow ? mountFollow(router, deps) : undefined;
  if (follow) {
    if (!messages) notConfigured('mp.messages', '"follow" logs in on the scan event: configure "mp.messages" ({ token, mode })');
    // A plain message's body is not signed (the signature covers token, timestamp and nonce only),
    // and compat mode accepts one whose Encrypt was stripped: whoever can rewrite one delivery in
    // transit could log in as anyone. Only safe mode authenticates the event that logs a browser in.
    if (options.mp?.messages?.mode !== 'safe') {
      throw new WxAuthError('config_error', '"mp.messages.mode" must be "safe" for follow-to-login: in plain and compat mode the message body is not signed', { field: 'mp.messages.mode' });
    }
    messages.onEvent('subscribe', follow.onScan).onEvent('SCAN', follow.onScan);
  }
  // `router.auth(req, res, { action: 'follow' })` (and requireLogin) start follow-to-login.
  oauth.addLoginAction<FollowStartOptions>('follow', (req, res, o) => (follow ?? notConfigured('follow', 'configure "follow" (and "mp.messages") for follow-to-login')).start(req, res, o));

  return Object.defineProperties(router, {
    successHandler: { value: (fn: SuccessHandler) => ((hooks.success = fn), router) },
    errorHandler: { value: (fn: ErrorHandler) => ((hooks.error = fn), router) },
    auth: { value: oauth.auth },
    requireLogin: { value: oauth.requireLogin },
    logout: { value: oauth.logout },
    client: { value: client },
    jssdk: {
      get: () => jssdk ?? notConfigured('jssdk', 'configure "jssdk" (and "mp") to sign pages'),
    },
    pay: { get: () => pay ?? notConfigured('pay', 'configure "pay" to use WeChat Pay') },
    store: { value: ctx.store },
    onMessage: { value: (fn: Parameters<MessageServer['onMessage']>[0]) => (messageServer().onMessage(fn), router) },
    onEvent: { value: (type: string, fn: Parameters<MessageServer['onEvent']>[1]) => (messageServer().onEvent(type, fn), router) },
  });
}

function notConfigured(field: string, hint: string): never {
  throw new WxAuthError('config_error', `"${field}" is not configured: ${hint}`, { field });
}
