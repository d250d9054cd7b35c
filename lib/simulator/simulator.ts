import type { Express } from 'express';
import type { SimQrcodes } from './api/qrcodes';
import type { SentCustomMessage } from './api/custom-message';
import type { SimPushInput, SimPushResult } from './phone/push';
import type { SimScanInput } from './phone/scan';
import type { SimShipping } from './api/shipping-state';
import type { SentSubscribe, SimSubscribeInput } from './api/subscriptions';
import type { SimWxacodes } from './api/wxacode-state';
import type { IssuePhoneCodeOptions, SimWxa } from './api/wxa-state';
import type { SimPayHost } from './pay-host';
import type { SimPayV3 } from './pay-v3/host';
import type { IssueCodeOptions, SentTemplate, SimApp, SimFaults, SimLogEntry, SimMerchant, SimMessageEndpoint, SimServer } from './types';

/** The pay host's handle (orders, cashier, notifies), as `lib/simulator/pay-host.ts` defines it. */
export type SimPay = SimPayHost;
export type { SimPayV3 } from './pay-v3/host';

/**
 * What `createSimulator()` returns. It names every host's handle, so it sits above the hosts;
 * the leaf types they share (apps, merchants, the server handle) are in types.ts.
 */
export interface Simulator {
  /** The Express app (mount it elsewhere or use `listen`). */
  readonly app: Express;
  readonly apps: readonly SimApp[];
  readonly merchants: readonly SimMerchant[];
  /** Base URL once `listen()` resolved, else undefined. */
  readonly url: string | undefined;
  /** Start an HTTP server. Default port 0 (a free one) on the `host` option (default 127.0.0.1). */
  listen(port?: number, host?: string): Promise<SimServer>;
  /** A fresh single-use code, as the app / OpenSDK / `wx.login` would get it. */
  issueCode(appid: string, options?: IssueCodeOptions): string;
  /** The user's openid in that app (28 characters, stable). */
  openidOf(appid: string, user: string): string;
  /** The user's unionid (same across apps, stable). */
  unionidOf(user: string): string;
  /** The mini program `session_key` currently valid for the user (base64 of 16 bytes). */
  sessionKeyOf(appid: string, user: string): string;
  /** The user behind an openid the simulator handed out, if any. */
  userOf(appid: string, openid: string): string | undefined;
  readonly faults: SimFaults;
  /** How many requests reached `path` (exact, query ignored), counting faulted ones. */
  calls(path: string): number;
  /** Requests to `/cgi-bin/token` and `/cgi-bin/stable_token` naming `appid`. */
  tokenFetches(appid: string): number;
  /** Every request so far, oldest first. */
  readonly log: SimLogEntry[];
  /** Template messages accepted so far. */
  readonly sentTemplates: SentTemplate[];
  /**
   * The user accepts a subscribe template, as `wx.requestSubscribeMessage` (mini program) or
   * `wx-open-subscribe` (official account) would: `times` more messages (default 1, WeChat's
   * 一次性订阅; `Infinity` for a long-term one), each send spending one. The template becomes one
   * of the app's. Returns how many remain.
   */
  subscribe(input: SimSubscribeInput): number;
  /** Make a template one of the app's without a subscription (a send then answers 43101, not 40037). */
  addTemplate(appid: string, templateId: string): void;
  /** Subscribe messages (`send`) and notices (`bizsend`) accepted so far. */
  readonly sentSubscribes: SentSubscribe[];
  /** The jsapi tickets issued for an app, newest last (to check a JSSDK signature). */
  ticketsOf(appid: string): string[];
  /** Forget codes, tokens, tickets, session keys, the log, sent messages and faults. */
  reset(): void;
  /** Run `fn` on every `reset()` (the pay host uses this to forget orders). */
  onReset(fn: () => void): void;
  /** The simulator's clock in ms. */
  now(): number;
  /** Parametric QR codes issued by `/cgi-bin/qrcode/create`, and who follows which official account. */
  readonly qrcodes: SimQrcodes;
  /** Set where an official account receives messages (its 服务器配置: URL, Token, EncodingAESKey, mode). */
  connectMessages(appid: string, endpoint: SimMessageEndpoint): void;
  /**
   * A user sends the official account a message or an event, as WeChat delivers it: signed,
   * encrypted per mode, posted again (freshly signed, same MsgId / CreateTime) after 5 s without an
   * answer, 3 times at most; resolves with every attempt and the passive reply, decrypted and verified.
   */
  pushMessage(appid: string, input: SimPushInput): Promise<SimPushResult>;
  /**
   * A user scans a parametric QR code (`ticket`): `as: 'follow'` (default) follows the account and
   * sends `subscribe` with `qrscene_<scene>`, `'already'` sends `SCAN` with the scene — through
   * `pushMessage`, to the account's message URL. The phone page `/sim/phone/scan` does the same.
   */
  scanQrcode(input: SimScanInput): Promise<SimPushResult>;
  /** Customer-service messages accepted by `/cgi-bin/message/custom/send`. */
  readonly sentCustomMessages: SentCustomMessage[];
  /**
   * A fresh phone code, as the mini program's `<button open-type="getPhoneNumber">` hands it over
   * (`e.detail.code`): single use, 5 minutes, for `getuserphonenumber`.
   */
  issuePhoneCode(options: IssuePhoneCodeOptions): string;
  /** Mini-program server APIs: the phone-number quota, content security's word lists and the checks made. */
  readonly wxa: SimWxa;
  /** Mini-program codes and links made so far, and each mini program's published pages (`setPages`, `setPublished`). */
  readonly wxacodes: SimWxacodes;
  /** The shipping-info service: each paid mini-program v3 order, awaiting shipping until an upload. */
  readonly shipping: SimShipping;
  /** The pay host: orders, cashier page, notifies (see `lib/simulator/pay-host.ts`). */
  readonly pay: SimPay;
  /** The WeChat Pay v3 host: keys, orders, refunds, transfers, notifies, faults (see `lib/simulator/pay-v3/host.ts`). */
  readonly payV3: SimPayV3;
}
