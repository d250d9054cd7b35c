/**
 * Signing and verifying per second: WeChat Pay v2 (MD5, HMAC-SHA256) ours vs `tenpay`'s
 * `_getSign`, and the JSSDK signature ours vs `wechat-jssdk`'s own steps, on the same inputs,
 * in one process (pure CPU: no server, no I/O).
 *
 *   node_modules/.bin/tsx bench/sign.ts          (BENCH_ROUNDS, default 15; BENCH_ROUND_MS, default 200)
 *
 * Method: every pair first proves it computes the same thing (identical signatures; both accept
 * a good signature and refuse a tampered one); then each function is warmed up, and timed in
 * `ROUNDS` rounds of `ROUND_MS` each, ours and the peer alternating (who goes first flips every
 * round) so drift and a busy neighbour hit both alike. The figure is the median round. Each
 * function gets a timing loop of its own (generated code), so no shared call site turns
 * megamorphic and favours whichever function ran first.
 *
 * Like for like:
 *   - pay sign: `signPay(params, key, type)` vs `tenpay._getSign(params, type)` — both sort the
 *     keys, skip `sign` and empty values, append `&key=`, hash, upper-case hex.
 *   - pay verify: `verifyPay(params, key, type)` (constant-time compare, the configured algorithm;
 *     a message naming another `sign_type` is refused) vs the check tenpay runs on every response
 *     and notify: `json.sign !== _getSign(json, json.sign_type || 'MD5')` (the algorithm the message names).
 *   - JSSDK: `signJssdk({ ticket, nonceStr, timestamp, url })` vs what `JSSDK.generateSignature`
 *     does after picking its nonce and time: `utils.genSHA1(utils.paramsToString({ jsapi_ticket,
 *     nonceStr, timestamp, url: JSSDK.normalizeUrl(url) }))`. Two rows: a plain page URL, and one
 *     with a `#fragment` both must strip.
 */
import { performance } from 'node:perf_hooks';
import { signPay, verifyPay, type PayParams, type PaySignType } from '../lib/pay/sign';
import { signJssdk } from '../lib/jssdk/sign';
import { grouped, machine, median, peerVersion, requireBench, table } from './_shared';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 200);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 500);
const KEY = 'benchkey0123456789abcdefghijklmn';

interface Tenpay {
  _getSign(params: Record<string, unknown>, type?: string): string;
}
interface JssdkUtils {
  genSHA1(content: string): string;
  paramsToString(args: Record<string, unknown>, noLowerCase?: boolean): string;
}
interface JssdkClass {
  normalizeUrl(url: string): string;
}

const TenpayClass = requireBench('tenpay') as new (config: Record<string, string>) => Tenpay;
const tenpay = new TenpayClass({ appid: 'wxbench000000001', mchid: '1900000109', partnerKey: KEY });
const jssdkUtils = requireBench('wechat-jssdk/lib/utils') as JssdkUtils;
const JSSDK = requireBench('wechat-jssdk/lib/JSSDK') as JssdkClass;

/** A payment notify as WeChat sends it (the message a server verifies most). */
function notifyParams(signType: PaySignType): Record<string, string> {
  return {
    appid: 'wxbench000000001',
    bank_type: 'OTHERS',
    cash_fee: '100',
    fee_type: 'CNY',
    is_subscribe: 'N',
    mch_id: '1900000109',
    nonce_str: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    out_trade_no: '1409811653',
    result_code: 'SUCCESS',
    return_code: 'SUCCESS',
    ...(signType === 'MD5' ? {} : { sign_type: signType }),
    time_end: '20140903131540',
    total_fee: '100',
    trade_type: 'JSAPI',
    transaction_id: '1004400740201409030005092168',
  };
}

// WeChat's published JSSDK example (JS-SDK 说明文档, 附录1) doubles as the correctness vector.
const TICKET = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg';
const NONCE = 'Wm3WZYTPz0wzccnW';
const TIMESTAMP = 1414587457;
const WECHAT_VECTOR = { url: 'http://mp.weixin.qq.com?params=value', signature: '0f9de62fce790f9a083d5c99e95740ceb90c27ed' };
const PAGE = 'https://shop.example.com/product/42?from=singlemessage&isappinstalled=0';

interface Pair {
  name: string;
  ours: () => string | boolean;
  peer: () => string | boolean;
  /** Throws unless both compute the same thing. */
  check: () => void;
}

function same(name: string, a: unknown, b: unknown, expected?: unknown): void {
  if (a !== b || (expected !== undefined && a !== expected)) throw new Error(`${name}: ours ${String(a)} ≠ peer ${String(b)}${expected === undefined ? '' : ` (expected ${String(expected)})`}`);
}

function payPairs(signType: PaySignType): Pair[] {
  const params = notifyParams(signType);
  const signed: PayParams = { ...params, sign: signPay(params, KEY, signType) };
  const tampered: PayParams = { ...signed, total_fee: '1' };
  const tenpayVerify = (p: PayParams) => p.sign === tenpay._getSign(p, (p.sign_type as string | undefined) || 'MD5');
  return [
    {
      name: `pay v2 sign ${signType}`,
      ours: () => signPay(params, KEY, signType),
      peer: () => tenpay._getSign(params, signType),
      check: () => same(`sign ${signType}`, signPay(params, KEY, signType), tenpay._getSign(params, signType)),
    },
    {
      name: `pay v2 verify ${signType}`,
      ours: () => verifyPay(signed, KEY, signType),
      peer: () => tenpayVerify(signed),
      check: () => {
        same(`verify ${signType} (good)`, verifyPay(signed, KEY, signType), tenpayVerify(signed), true);
        same(`verify ${signType} (tampered)`, verifyPay(tampered, KEY, signType), tenpayVerify(tampered), false);
      },
    },
  ];
}

function jssdkPair(name: string, url: string): Pair {
  const peer = (u: string) => jssdkUtils.genSHA1(jssdkUtils.paramsToString({ jsapi_ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url: JSSDK.normalizeUrl(u) }));
  const ours = (u: string) => signJssdk({ ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url: u });
  return {
    name,
    ours: () => ours(url),
    peer: () => peer(url),
    check: () => {
      same('JSSDK (WeChat example)', ours(WECHAT_VECTOR.url), peer(WECHAT_VECTOR.url), WECHAT_VECTOR.signature);
      same(`JSSDK (${url})`, ours(url), peer(url));
      if (url.includes('#')) same('JSSDK (fragment stripped)', ours(url), ours(url.slice(0, url.indexOf('#'))));
    },
  };
}

let sink = 0; // results feed this so V8 cannot drop the calls as dead code

type Loop = (fn: () => string | boolean) => number;
const loops = new Map<() => string | boolean, Loop>();

/**
 * A timing loop of its own for each function (fresh code, so its call site stays monomorphic and
 * one function's profile cannot slow another's), 200 calls per clock read.
 */
function loopFor(fn: () => string | boolean): Loop {
  let loop = loops.get(fn);
  if (!loop) {
    loop = new Function('fn', "let s = 0; for (let i = 0; i < 200; i++) { const r = fn(); s += typeof r === 'string' ? r.length : r ? 1 : 0; } return s;") as Loop;
    loops.set(fn, loop);
  }
  return loop;
}

/** Calls per second of `fn`, run for about `ms`. */
function opsPerSecond(fn: () => string | boolean, ms: number): number {
  const loop = loopFor(fn);
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    sink += loop(fn);
    calls += 200;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

function main(): void {
  const pairs: Pair[] = [
    ...payPairs('MD5'),
    ...payPairs('HMAC-SHA256'),
    jssdkPair('JSSDK signature', PAGE),
    jssdkPair('JSSDK signature, URL with #fragment', `${PAGE}#reviews`),
  ];
  console.log(`sign benchmark: ${ROUNDS} rounds × ${ROUND_MS} ms per function after ${WARMUP_MS} ms warm-up, median round; one process`);
  console.log(machine());
  for (const pair of pairs) pair.check();
  console.log('correctness: every pair computes identical signatures / verdicts (and the JSSDK pair matches WeChat’s published example)');

  const rows: string[][] = [];
  for (const pair of pairs) {
    opsPerSecond(pair.ours, WARMUP_MS);
    opsPerSecond(pair.peer, WARMUP_MS);
    const ours: number[] = [];
    const peer: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        ours.push(opsPerSecond(pair.ours, ROUND_MS));
        peer.push(opsPerSecond(pair.peer, ROUND_MS));
      } else {
        peer.push(opsPerSecond(pair.peer, ROUND_MS));
        ours.push(opsPerSecond(pair.ours, ROUND_MS));
      }
    }
    const o = median(ours);
    const p = median(peer);
    const spread = (xs: number[]) => `${grouped(Math.min(...xs))}–${grouped(Math.max(...xs))}`;
    rows.push([pair.name, grouped(o), grouped(p), `${((o / p) * 100).toFixed(0)}%`, spread(ours), spread(peer)]);
  }
  const tenpayLabel = `tenpay ${peerVersion('tenpay')}`;
  const jssdkLabel = `wechat-jssdk ${peerVersion('wechat-jssdk')}`;
  console.log('\n' + table(['operation', 'ours ops/s', 'peer ops/s', 'ours / peer', 'ours min–max', 'peer min–max'], rows));
  console.log(`\npeers: pay rows vs ${tenpayLabel} (_getSign; verify = its sign !== _getSign(...) check), JSSDK rows vs ${jssdkLabel} (normalizeUrl + paramsToString + genSHA1)`);
  if (sink === 42) console.log(''); // keep `sink` observable
}

main();
