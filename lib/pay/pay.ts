import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { defaultRandomHex, type WxContext } from '../context';
import { consoleLogger, type Logger } from '../log';
import { resolveStore, type RedisLikeClient, type Store } from '../store';
import { fields, validateOptions } from '../validate';
import type { Endpoints } from '../wechat/endpoints';
import { WechatClient } from '../wechat/client';
import { PayApiCalls } from './api';
import { PayCaller } from './client';
import { PayNotifier } from './notify';
import { payOptionsSchema, type PayConfig, type PayOptions } from './options';
import { payApiWithoutV2, v3NotConfigured } from './v3/only';
import { createPayV3Api, type PayV3ShippingTarget } from './v3/pay';
import { verifyPay } from './sign';
import type { PayApi } from './pay-api';


export type { PayApi } from './pay-api';

/** The core behind `router.pay`: no Express here. */
export function createPayApi(ctx: WxContext, config: PayConfig, baseUrl?: string, shipping?: PayV3ShippingTarget): PayApi {
  const v3 = config.v3 ? createPayV3Api(ctx, { ...config, v3: config.v3 }, baseUrl, shipping) : undefined;
  if (!config.key) return payApiWithoutV2(ctx, v3!);
  const options = config as PayOptions;
  const caller = new PayCaller(ctx, options);
  const calls = new PayApiCalls(caller, ctx, options, baseUrl);
  const notifier = new PayNotifier(ctx, options);
  const api: PayApi = {
    prepay: (input) => calls.prepay(input),
    jsapiParams: (prepayId) => calls.jsapiParams(prepayId),
    appParams: (prepayId) => calls.appParams(prepayId),
    orderQuery: (ref) => calls.orderQuery(ref),
    closeOrder: (outTradeNo) => calls.closeOrder(outTradeNo),
    refund: (input) => calls.refund(input),
    refundQuery: (ref) => calls.refundQuery(ref),
    sendRedPack: (input) => calls.sendRedPack(input),
    sign: (params) => caller.sign(params),
    verify: (params) => verifyPay(params, options.key, caller.signType),
    onNotify: (handler, notifyOptions) => (notifier.onNotify(handler, notifyOptions), api),
    onRefundNotify: (handler) => (notifier.onRefundNotify(handler), api),
    handleNotify: (body, type = 'pay') => notifier.handlePayNotify(body, type),
    handleRefundNotify: (body) => notifier.handleRefundNotify(body),
    notifyUrlFor: (type = 'pay') => calls.notifyUrlFor(type),
    get endpoint() {
      return caller.endpoint;
    },
    get v3() {
      return v3 ?? v3NotConfigured();
    },
  };
  return api;
}

/** `createPay(config)`: WeChat Pay without Express (or without the rest of `wxauth()`). */
export type CreatePayConfig = PayConfig & CreatePayExtras;

/** What `createPay()` takes besides `pay`'s own options. */
export interface CreatePayExtras {
  /** Public origin for the default notify URLs (`<baseUrl>/wxpay/:type/callback`). */
  baseUrl?: string;
  /** Notify marks and locks: a node-redis / ioredis client or a `Store`. Default in-memory (one process). */
  store?: RedisLikeClient | Store;
  /** Key prefix when `store` is a Redis client. Default `wxauth:`. */
  storePrefix?: string;
  /** WeChat hosts; only `pay` is used here. */
  endpoints?: Partial<Endpoints>;
  /** Timeout of each call to WeChat Pay in ms. Default 5000. */
  timeoutMs?: number;
  /** Your own axios instance. */
  axios?: AxiosInstance;
  /** Never receives the API key or a signature. Default console (warn/error). */
  logger?: Logger;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

const createPaySchema = payOptionsSchema.extend({
  baseUrl: fields.url.optional(),
  store: z.custom<RedisLikeClient | Store>((v) => v !== null && typeof v === 'object', 'must be a node-redis client, an ioredis client or a Store').optional(),
  storePrefix: z.string().optional(),
  endpoints: z.strictObject({ open: fields.url.optional(), api: fields.url.optional(), pay: fields.url.optional() }).optional(),
  timeoutMs: z.number().int().positive().max(60_000).optional(),
  axios: z.custom<AxiosInstance>((v) => typeof v === 'function' || (v !== null && typeof v === 'object'), 'must be an axios instance').optional(),
  logger: z.custom<Logger>((v) => !!v && typeof (v as Logger).warn === 'function' && typeof (v as Logger).error === 'function', 'must have warn() and error()').optional(),
  now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
});

/**
 * WeChat Pay v2 on its own: validated like `wxauth({ pay })` (a bad key, mchid or certificate
 * throws `config_error` naming the field), no Express needed. Feed notifies to
 * `handleNotify(rawBody, type)` and send back what it returns.
 */
export function createPay(config: CreatePayConfig): PayApi {
  const c = validateOptions<CreatePayConfig>(createPaySchema, config, 'pay');
  const { baseUrl, store, storePrefix, endpoints, timeoutMs, axios, logger, now, ...options } = c;
  const log = logger ?? consoleLogger;
  const ctx: WxContext = {
    http: new WechatClient({ ...(endpoints ? { endpoints } : {}), ...(timeoutMs ? { timeoutMs } : {}), ...(axios ? { axios } : {}) }),
    store: resolveStore(store, storePrefix, undefined, log), // the memory store tells the app's logger when it is full
    now: now ?? Date.now,
    randomHex: defaultRandomHex,
    logger: log,
  };
  return createPayApi(ctx, options, baseUrl);
}
