/**
 * What each surface stores, for how long, and how many bytes: one of each step (anonymous login
 * starts, mp logins with each storage and their logouts, a native-app login, a mini-program
 * login, a JSSDK config fetch, a v2 pay notify, and — in _footprint-follow.ts — follow-to-login,
 * the message server and the mini program's phone route) over real HTTP against the WeChat simulator,
 * with the store on real Redis (express-session's connect-redis under its own prefix). After
 * each step: the keys it added (pattern, value bytes, key bytes, TTL, MEMORY USAGE), the keys
 * it wrote and deleted again within the step (locks, seen by MONITOR), and the cookies it set.
 *
 *   npx tsx bench/store-footprint.ts            (REDIS_URL, default redis://127.0.0.1:6379)
 *
 * Exits non-zero if an anonymous step wrote anything to Redis (a write before authentication).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient, type RedisClientType } from 'redis';
import { wxauth, type WxAuthOptions, type WxAuthRouter } from '../lib';
import { signPay } from '../lib/pay/sign';
import { buildPayXml } from '../lib/pay/xml';
import { createSimulator } from '../lib/simulator';
import { echoHandler, followSteps, FOOTPRINT_MESSAGES } from './_footprint-follow';
import { measure, report, type Http, type Step } from './_footprint-measure';

export { Http, keyPattern, measure, report, type CookieWrite, type Reply, type Step, type StepResult } from './_footprint-measure';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MP = { appid: 'wxfootmp00000001', secret: 'footprint-mp-secret-0123456789' };
const QR = { appid: 'wxfootqr00000001', secret: 'footprint-qr-secret-0123456789' };
const MOBILE = { appid: 'wxfootmo00000001', secret: 'footprint-mobile-secret-012345' };
const MINI = { appid: 'wxfootmini000001', secret: 'footprint-mini-secret-01234567' };
const MCHID = '1900000109';
const PAY_KEY = 'fOoTpRiNt0123456789abcdefghijklm'; // 32 characters, bench only
const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';
const DESKTOP_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
/** What the session app's resolveUser returns: a small account record, as an app would bind. */
const USER = { id: 'u_000042', name: 'Alice Zhang', roles: ['customer'] };

type Storage = 'session' | 'cookie' | 'jwt';

const WORST_CASE = `What makes an item bigger than measured here (the simulator issues ids and tokens of WeChat's usual lengths):
- express-session value: the identity (openid 28, unionid 28-29, appid 18, action) plus JSON(resolveUser's result), unbounded:
  return an id, not the whole account. Lifetime: the session cookie's maxAge, else connect-redis's 86400 s.
- wxauth login cookie (storage cookie): base64url of the same identity (+ iat, exp, jti), so about 4/3 x JSON(resolveUser's
  result) more; above 4000 characters it is logged as too large (browsers drop cookies over ~4 KB).
- JWT: only resolveUser's id goes in (uid claim and sub), so it stays about 400 bytes.
- pending-login cookie: about 160 bytes per pending login plus its next URL (4/3 x); at most 4 and 3000 characters, the oldest
  dropped first (with 600-character next URLs only 3 of 4 fit).
- native session: accessToken and refreshToken as WeChat issues them (WeChat asks to reserve 512 characters for a token) and
  the userinfo profile (nickname, headimgurl ~130, privilege list): ~2 KB at worst.
- token / ticket cache: one entry per appid (access token up to 512 characters), not per user.
- pay once mark: one per transaction_id / out_refund_no for 30 days (18 bytes value, ~150 bytes in Redis): 1 M orders = ~150 MB.
- deny-list: one key per logout, until the logged-out login would have expired (cookie 30 d, JWT its exp).
- follow login: one scene -> openid record per verified scan (openid only, ~170 bytes in Redis), for the QR code's remaining
  life (follow.expireSeconds, at most 1800 s), taken by the poll that completes the login; nothing for QR pages and polls.
- message server: per delivery a nonce (660 s), per message or event handled a once mark (600 s) and its passive reply
  (60 s, the reply's plaintext XML: ~390 bytes in Redis for a short text, a few KB for a news reply); ~660 bytes per
  handled message with a text reply, ~270 of them kept past the first minute (10 to 11 min). A forged delivery writes nothing.
`;

async function listen(app: express.Express): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export interface Footprint {
  steps: Step[];
  /** [store prefix, express-session prefix]. */
  prefixes: string[];
  /** Ids to replace by placeholders in key patterns. */
  known: Array<[string, string]>;
  /** Stop the apps and the simulator, delete the run's keys. */
  close(): Promise<void>;
}

/** The simulator, one app per storage on `redis` (a fresh prefix pair), and the steps to measure. */
export async function footprint(redis: RedisClientType): Promise<Footprint> {
  const run = randomBytes(4).toString('hex');
  const prefix = `wxauth-footprint:${run}:`;
  const sessPrefix = `wxauth-footprint-sess:${run}:`;
  const sim = createSimulator({
    apps: [
      { ...MP, type: 'mp' },
      { ...QR, type: 'qrcode' },
      { ...MOBILE, type: 'mobile' },
      { ...MINI, type: 'miniprogram' },
    ],
    merchants: [{ mchid: MCHID, key: PAY_KEY, appid: MP.appid }],
    allowProduction: true,
  });
  const simHandle = await sim.listen();
  const quiet = { warn: () => undefined, error: () => undefined };

  /** One app per storage, all on the same Redis store prefix (as several processes of one site would be). */
  const servers: http.Server[] = [];
  async function startApp(storage: Storage, extra: Partial<WxAuthOptions> = {}, setup?: (router: WxAuthRouter) => void): Promise<string> {
    const app = express();
    const { url, server } = await listen(app);
    servers.push(server);
    if (storage === 'session') {
      app.use(session({ store: new ConnectRedisStore({ client: redis, prefix: sessPrefix }), secret: 'footprint-session-secret-0123456789', resave: false, saveUninitialized: false }));
    }
    const router = wxauth({
      mp: MP,
      qrcode: QR,
      mobile: MOBILE,
      miniprogram: MINI,
      jssdk: { jsApiList: ['chooseImage', 'chooseWXPay'] },
      pay: { appid: MP.appid, mchid: MCHID, key: PAY_KEY, clientIp: '203.0.113.7' },
      baseUrl: url,
      endpoints: { open: simHandle.url, api: simHandle.url, pay: simHandle.url },
      store: redis,
      storePrefix: prefix,
      storage,
      ...(storage === 'cookie' ? { cookie: { secret: 'footprint-cookie-secret-0123456789abcdef' } } : {}),
      ...(storage === 'jwt' ? { jwt: { secret: 'footprint-jwt-secret-0123456789abcdefgh' } } : {}),
      logger: quiet,
      ...extra,
    });
    router.pay.onNotify(async () => undefined);
    setup?.(router);
    app.use(router);
    app.get('/profile', router.requireLogin(), (req, res) => res.json(req.wxauth));
    return url;
  }
  const apps = {
    session: await startApp('session'),
    sessionUser: await startApp('session', { resolveUser: () => USER }),
    cookie: await startApp('cookie'),
    cookieUser: await startApp('cookie', { resolveUser: () => USER }),
    jwt: await startApp('jwt'),
    jwtUser: await startApp('jwt', { resolveUser: () => USER }),
    // Follow-to-login needs the official account's message server; its replies come from an echo handler.
    follow: await startApp('session', { mp: { ...MP, messages: FOOTPRINT_MESSAGES }, follow: { pollSeconds: 5 } }, (router) => router.onMessage((m) => echoHandler({ content: m.msgType === 'text' ? (m as { content?: string }).content : '' }))),
  };

  /** An mp login in WeChat's browser, to the callback (snsapi_base: WeChat answers with a redirect). */
  const mpLogin = async (h: Http, app: string, json = false): Promise<Record<string, unknown>> => {
    const start = await h.get(`${app}/oauth/wechat/login?action=mp&next=%2Fprofile`, { 'User-Agent': WECHAT_UA });
    const wechat = await h.get(start.location, { 'User-Agent': WECHAT_UA });
    const done = await h.get(wechat.location + (json ? '&format=json' : ''), { 'User-Agent': WECHAT_UA });
    if (done.status !== (json ? 200 : 302)) throw new Error(`mp login: callback answered ${done.status} ${done.body.slice(0, 200)}`);
    return json ? (JSON.parse(done.body) as Record<string, unknown>) : {};
  };
  const logout = async (h: Http, app: string, headers: Record<string, string> = {}) => {
    const res = await h.post(`${app}/oauth/wechat/logout`, '', { Accept: 'application/json', ...headers });
    if (res.status !== 204) throw new Error(`logout answered ${res.status}`);
  };
  const expect = (status: number, want: number, what: string) => {
    if (status !== want) throw new Error(`${what}: ${status}, expected ${want}`);
  };
  let jwtToken = '';
  let miniSession = '';
  /** The token is the client's to keep (no cookie): listed with the cookies as what the client carries. */
  const jwtLogin = async (h: Http, app: string) => {
    jwtToken = String((await mpLogin(h, app, true)).token);
    h.cookies.push({ name: '(JWT in the JSON answer, sent back as Authorization: Bearer)', bytes: jwtToken.length, lifetime: 'exp in the token' });
  };
  const longNext = `%2Forders%3Fq%3D${'x'.repeat(600)}`;

  const steps: Step[] = [
    { surface: 'mp', when: 'login started (anonymous)', anonymous: true, app: apps.session, run: async (h, app) => expect((await h.get(`${app}/oauth/wechat/login?action=mp&next=%2Fprofile`, { 'User-Agent': WECHAT_UA })).status, 302, 'mp start') },
    { surface: 'qrcode', when: 'login started (anonymous)', anonymous: true, app: apps.session, run: async (h, app) => expect((await h.get(`${app}/oauth/wechat/login?action=qrcode&next=%2Fprofile`, { 'User-Agent': DESKTOP_UA })).status, 302, 'qrcode start') },
    { surface: 'qrcode widget', when: '/oauth/wechat/qrconnect (anonymous)', anonymous: true, app: apps.session, run: async (h, app) => expect((await h.get(`${app}/oauth/wechat/qrconnect?next=%2Fprofile`, { 'User-Agent': DESKTOP_UA, 'X-WxAuth-Widget': '1' })).status, 200, 'qrconnect') },
    { surface: 'qrcode widget', when: '/weixin-login.js (anonymous)', anonymous: true, app: apps.session, run: async (h, app) => expect((await h.get(`${app}/weixin-login.js?next=%2Fprofile`, { 'User-Agent': DESKTOP_UA })).status, 200, 'weixin-login.js') },
    {
      surface: 'mp',
      when: '4 logins started in one browser (anonymous)',
      anonymous: true,
      app: apps.session,
      run: async (h, app) => {
        for (let i = 0; i < 4; i++) expect((await h.get(`${app}/oauth/wechat/login?action=mp&next=%2Fprofile%3Ftab%3D${i}`, { 'User-Agent': WECHAT_UA })).status, 302, 'mp start');
      },
    },
    {
      surface: 'mp',
      when: '4 logins started, each with a 600-character next (anonymous)',
      anonymous: true,
      app: apps.session,
      run: async (h, app) => {
        for (let i = 0; i < 4; i++) expect((await h.get(`${app}/oauth/wechat/login?action=mp&next=${longNext}${i}`, { 'User-Agent': WECHAT_UA })).status, 302, 'mp start');
      },
    },
    { surface: 'mp, storage session', when: 'login completed', app: apps.session, keepJar: true, run: (h, app) => mpLogin(h, app).then(() => undefined) },
    { surface: 'mp, storage session', when: 'logout', app: apps.session, run: (h, app) => logout(h, app) },
    { surface: 'mp, storage session + resolveUser', when: 'login completed', app: apps.sessionUser, keepJar: true, run: (h, app) => mpLogin(h, app).then(() => undefined) },
    { surface: 'mp, storage session + resolveUser', when: 'logout', app: apps.sessionUser, run: (h, app) => logout(h, app) },
    { surface: 'mp, storage cookie', when: 'login completed', app: apps.cookie, keepJar: true, run: (h, app) => mpLogin(h, app).then(() => undefined) },
    { surface: 'mp, storage cookie', when: 'logout', app: apps.cookie, run: (h, app) => logout(h, app) },
    { surface: 'mp, storage cookie + resolveUser', when: 'login completed', app: apps.cookieUser, keepJar: true, run: (h, app) => mpLogin(h, app).then(() => undefined) },
    { surface: 'mp, storage cookie + resolveUser', when: 'logout', app: apps.cookieUser, run: (h, app) => logout(h, app) },
    { surface: 'mp, storage jwt', when: 'login completed', app: apps.jwt, keepJar: true, run: jwtLogin },
    { surface: 'mp, storage jwt', when: 'logout', app: apps.jwt, run: (h, app) => logout(h, app, { Authorization: `Bearer ${jwtToken}` }) },
    { surface: 'mp, storage jwt + resolveUser', when: 'login completed', app: apps.jwtUser, keepJar: true, run: jwtLogin },
    { surface: 'mp, storage jwt + resolveUser', when: 'logout', app: apps.jwtUser, run: (h, app) => logout(h, app, { Authorization: `Bearer ${jwtToken}` }) },
    {
      surface: 'native app (storage jwt)',
      when: 'POST /wx/oauth/login',
      app: apps.jwt,
      run: async (h, app) => {
        const headers = { 'X-Client-Type': 'android', 'X-Client-Version': '1.2.0', 'X-App-Id': MOBILE.appid, 'Content-Type': 'application/json' };
        expect((await h.post(`${app}/wx/oauth/login`, JSON.stringify({ code: sim.issueCode(MOBILE.appid, { user: 'bob' }) }), headers)).status, 200, 'native login');
      },
    },
    {
      surface: 'mini program (storage jwt)',
      when: 'POST /wx/miniprogram/login',
      app: apps.jwt,
      run: async (h, app) => {
        const res = await h.post(`${app}/wx/miniprogram/login`, JSON.stringify({ code: sim.issueCode(MINI.appid, { user: 'carol' }) }), { 'Content-Type': 'application/json' });
        expect(res.status, 200, 'mini login');
        miniSession = String((JSON.parse(res.body) as { sessionId?: string }).sessionId);
      },
    },
    { surface: 'jssdk', when: 'first /weixin-config.js', app: apps.jwt, run: async (h, app) => expect((await h.get(`${app}/weixin-config.js?url=${encodeURIComponent(`${app}/page`)}`)).status, 200, 'weixin-config.js') },
    {
      surface: 'pay v2',
      when: 'notify processed',
      app: apps.jwt,
      run: async (h, app) => {
        const fields: Record<string, string> = {
          return_code: 'SUCCESS', result_code: 'SUCCESS', appid: MP.appid, mch_id: MCHID, nonce_str: randomBytes(8).toString('hex'),
          openid: sim.openidOf(MP.appid, 'alice'), trade_type: 'JSAPI', bank_type: 'OTHERS', total_fee: '100', cash_fee: '100', fee_type: 'CNY',
          transaction_id: `4200001${Date.now()}`, out_trade_no: `T${Date.now()}`, time_end: '20250101120000',
        };
        fields.sign = signPay(fields, PAY_KEY, 'MD5');
        const res = await h.post(`${app}/wxpay/pay/callback`, buildPayXml(fields), { 'Content-Type': 'text/xml' });
        if (!res.body.includes('SUCCESS')) throw new Error(`notify answered ${res.status} ${res.body}`);
      },
    },
  ];
  // After the JSSDK step: the official account's access token is cached, as on any site already serving (one per appid, not per visitor).
  const more = followSteps({ sim, mpAppid: MP.appid, miniAppid: MINI.appid, followApp: apps.follow, miniApp: apps.jwt, miniAppWithUser: apps.jwtUser, miniSession: () => miniSession, miniUser: 'carol', desktopUa: DESKTOP_UA, expect });
  steps.push(...more.steps);

  const known: Array<[string, string]> = [
    ...more.known,
    [MP.appid, '<appid>'], [QR.appid, '<appid>'], [MOBILE.appid, '<appid>'], [MINI.appid, '<appid>'],
    [sim.openidOf(MINI.appid, 'carol'), '<openid>'], [MCHID, '<mchid>'],
  ];
  const prefixes = [prefix, sessPrefix];
  return {
    steps,
    prefixes,
    known,
    async close() {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
      await sim.pay.settled();
      await simHandle.close();
      for (const p of prefixes) {
        for await (const keys of redis.scanIterator({ MATCH: `${p}*`, COUNT: 500 })) {
          const batch = ([] as string[]).concat(keys as string | string[]);
          if (batch.length) await redis.del(batch);
        }
      }
    },
  };
}

async function main(): Promise<void> {
  const redis = createClient({ url: REDIS_URL }) as RedisClientType;
  await redis.connect();
  const f = await footprint(redis);
  let bugs: string[];
  try {
    const results = await measure(redis, f.prefixes, f.steps);
    const out = report(results, f.prefixes, f.known);
    bugs = out.bugs;
    console.log(`store footprint: Redis ${REDIS_URL}, wxauth prefix <prefix> = ${f.prefixes[0]}, express-session (connect-redis) prefix <session prefix> = ${f.prefixes[1]}\n`);
    console.log(out.text);
    console.log(WORST_CASE);
    console.log(bugs.length ? `WRITES BEFORE AUTHENTICATION:\n${bugs.map((b) => `  - ${b}`).join('\n')}` : 'Anonymous steps wrote nothing to Redis (MONITOR saw no write under either prefix).');
  } finally {
    await f.close();
    await redis.quit();
  }
  if (bugs.length) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
