// The leaf types every host imports: apps, merchants, options, faults, the log, the server handle.
// The `Simulator` handle, which names each host's own handle (pay, payV3, …), is in simulator.ts so
// that the hosts can import these without an import cycle.

/** A merchant's WeChat Pay v3 (APIv3) settings on the simulator (`lib/simulator/pay-v3/`). */
export interface SimMerchantV3 {
  /** The APIv3 key (exactly 32 bytes): notifies and the certificate list are encrypted with it. */
  apiV3Key: string;
  /** The merchant API certificate serial (`serial_no` in the Authorization header). */
  serialNo: string;
  /** SPKI PEM of the merchant's apiclient key: request signatures and `paySign` verify with it. */
  merchantPublicKey: string;
  /**
   * Which WeChat keys sign answers and notifies: `publicKey` (default; `Wechatpay-Serial` is the
   * `PUB_KEY_ID_…`, `/v3/certificates` is a 404), `certificate` (the platform certificate's serial),
   * or `switch` (either at random, as during WeChat's 7-day switch to the public key).
   */
  mode?: 'publicKey' | 'certificate' | 'switch';
  /** More AppIDs bound to the merchant (a mini program's), besides `appid`. */
  appids?: string[];
}

/** The four kinds of WeChat app the simulator knows; each answers a different login flow. */
export type SimAppType = 'mp' | 'qrcode' | 'mobile' | 'miniprogram';

/** One WeChat app registered with the simulator. */
export interface SimApp {
  /** The AppID, e.g. `"wxmp000000000001"`. */
  appid: string;
  /** The AppSecret the app must present on `/sns/*` and `/cgi-bin/*`. */
  secret: string;
  /** `mp` official account, `qrcode` website app, `mobile` native app, `miniprogram` mini program. */
  type: SimAppType;
  /** Shown on the consent / QR pages and the home page. Default: the appid. */
  name?: string;
  /**
   * Hosts allowed in `redirect_uri` (WeChat's "网页授权域名" / "授权回调域"). Each entry matches the
   * URL's host (`example.com:3000`) or hostname (`example.com`); qrcode apps also accept subdomains.
   * Unset: any host is accepted (convenient for tests on random ports).
   */
  redirectDomains?: string[];
  /** Whether the app is bound to an open-platform account, i.e. responses carry `unionid`. Default true. */
  unionid?: boolean;
  /**
   * An official account's message server (服务器配置): where `sim.pushMessage` posts the users'
   * messages and events. Also settable later with `sim.connectMessages(appid, …)` (the URL of an
   * app on a random port is known only once it listens).
   */
  messages?: SimMessageEndpoint;
}

/** Where an official account receives its messages, as set in its 服务器配置. */
export interface SimMessageEndpoint {
  /** The full URL WeChat posts to, e.g. `http://127.0.0.1:3000/wechat/message`. */
  url: string;
  token: string;
  /** Required in `compat` and `safe` mode. */
  encodingAESKey?: string;
  /** `safe` sends only `<Encrypt>`; `compat` the plaintext fields and `<Encrypt>`; `plain` the plaintext. */
  mode: 'plain' | 'compat' | 'safe';
}

/** A WeChat Pay merchant for the pay host (`lib/simulator/pay-host.ts`). Extra fields are kept as given. */
export interface SimMerchant {
  /** Merchant id (`mch_id`), digits. */
  mchid: string;
  /** The v2 API key (32 characters) used to sign requests and responses. Optional with `v3`: the merchant then has no v2 API. */
  key?: string;
  /** The appid orders are made for, when the merchant is bound to one. */
  appid?: string;
  /** The payee on the v2 and v3 cashier pages (never the mch_id). Default: v2, the name of its app, else "演示商户 (Demo merchant)"; v3, "演示商户 (Demo merchant)". */
  name?: string;
  /** WeChat Pay v3: without it the merchant has v2 only (`createSimMerchantV3()` makes one). */
  v3?: SimMerchantV3;
  [extra: string]: unknown;
}

/** A merchant with a v2 API key: the only kind the v2 pay host knows. */
export type SimMerchantV2 = SimMerchant & { key: string };

/** Per-user overrides of the simulated profile (`/sns/userinfo`). */
export interface SimUserProfile {
  nickname?: string;
  /** 0 unknown, 1 male, 2 female (WeChat now always answers 0). */
  sex?: number;
  province?: string;
  city?: string;
  country?: string;
  headimgurl?: string;
  /** Answer `is_snapshotuser: 1` on the code exchange (a "snapshot page" virtual user). */
  isSnapshotUser?: boolean;
}

export interface SimulatorOptions {
  /** The apps the simulator accepts. AppIDs must be unique. */
  apps: SimApp[];
  /** Merchants for the pay host. */
  merchants?: SimMerchant[];
  /** Clock in milliseconds, for code / token expiry. Default `Date.now`. */
  now?: () => number;
  /** Profile overrides keyed by user name (`alice`, `bob`, …). */
  users?: Record<string, SimUserProfile>;
  /** Interface `listen()` binds when given no host. Default `127.0.0.1` (this machine only); `0.0.0.0` to reach it from a phone. */
  host?: string;
  /** Run even when `NODE_ENV=production` (refused by default: the simulator logs anyone in and accepts any payment). */
  allowProduction?: boolean;
  /**
   * Accept official-account login (`/connect/oauth2/authorize`) from any browser. Default false:
   * like WeChat, a User-Agent without `MicroMessenger` gets "请在微信客户端打开链接".
   */
  allowMpOutsideWechat?: boolean;
}

/**
 * A fault for the next `times` requests to one exact path (any host, any method, query ignored).
 * Give `errcode` (answer WeChat's JSON error), `status` (an HTTP error, e.g. 500 with an HTML page
 * or a malformed JSON body), `delayMs` (answer late, then normally — or with the other fault if
 * one is also given), or `destroy` (cut the connection without an answer).
 */
export interface FaultSpec {
  /** Answer `{ errcode, errmsg }` with HTTP 200, as WeChat does. */
  errcode?: number;
  /** errmsg for `errcode`; default WeChat's usual text for that errcode. */
  errmsg?: string;
  /** Answer with this HTTP status. */
  status?: number;
  /** Body for `status`: a string is sent as is, anything else as JSON. Default a small HTML error page. */
  body?: unknown;
  /** Content-Type for `status`. Default `text/html` for a string body, `application/json` otherwise. */
  contentType?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Destroy the socket instead of answering (a network error for the client). */
  destroy?: boolean;
  /** How many requests the fault applies to. Default 1. */
  times?: number;
}

export interface SimFaults {
  /** Make the next `spec.times` requests to `path` fail as described. Faults on one path queue up in order. */
  inject(path: string, spec: FaultSpec): void;
  /** Remove every pending fault. */
  clear(): void;
  /** Faults still waiting, per path. */
  pending(path?: string): number;
}

/** One request as the simulator saw it. Never holds a secret, code, token or query string. */
export interface SimLogEntry {
  method: string;
  path: string;
  /** `now()` when the request arrived. */
  time: number;
  /** The appid the request named, when it named one. */
  appid?: string;
}

/** A template message accepted by `/cgi-bin/message/template/send`. */
export interface SentTemplate {
  appid: string;
  /** WeChat's 64-bit msgid, in decimal (past 2^53: a number cannot hold it). */
  msgid: string;
  touser: string;
  template_id: string;
  url?: string;
  miniprogram?: { appid?: string; pagepath?: string };
  /** The data as sent (`first`, `remark` and colours included). */
  data: Record<string, unknown>;
  /** What the user sees: each key's text, without `first`, `remark` or colours (category templates, since 2023-05-04). */
  shown: Record<string, string>;
  time: number;
}

export interface IssueCodeOptions {
  /** Who logs in. Default `alice`. */
  user?: string;
  /** Scope bound to the code. Default: `snsapi_login` for qrcode apps, `snsapi_userinfo` otherwise. */
  scope?: string;
  /** Mark the user as a snapshot-page virtual user (`is_snapshotuser: 1`). */
  snapshotUser?: boolean;
}

export interface SimServer {
  /** `http://127.0.0.1:<port>`: use it for the open, api and pay endpoints alike. */
  url: string;
  port: number;
  /** The listening server (`server.address()` says which interface), when started by `listen()`. */
  server?: import('node:net').Server;
  /** Stop listening, cancel delayed answers and drop open connections. */
  close(): Promise<void>;
}
