/**
 * CPU per hostile notify body: what an unauthenticated POST to `/wxpay/:type/callback` can make
 * the server spend before it is refused, with the notify limits as they are (16 KiB, the shape
 * check of `maxFields`) and as they were (64 KiB, the parser alone), on the same code.
 *
 *   node_modules/.bin/tsx bench/hostile-notify.ts   (BENCH_ROUNDS, default 7; BENCH_CALLS, calls per round
 *                                                   for a 16 KiB body, default 40, more for smaller ones)
 *
 * Pure CPU, in one process: `parsePayXml` then `verifyPay`, the part of a notify that runs before
 * the signature is known to be good (the store and the handler only ever see a verified one).
 * Every body is warmed up in both settings, then timed in `ROUNDS` rounds, before and after
 * alternating (who goes first flips every round); the figure is the median round's CPU (user +
 * system) per call, µs. A real payment notify (with and without coupons) and a real refund
 * notify, as the simulator sends them, are the yardstick (a refund notify carries no sign:
 * "parsed, not signed" is its normal outcome here). The hostile bodies fill the size with what
 * costs a parser most: empty or tiny elements, nesting, attributes, entities, CDATA sections,
 * one long text. Over HTTP a body over the limit costs even less: the route's body parser
 * refuses it by its Content-Length, before reading it.
 */
import { NOTIFY_MAX_BYTES, NOTIFY_MAX_FIELDS } from '../lib/pay/notify';
import { signPay, verifyPay } from '../lib/pay/sign';
import { buildPayXml, parsePayXml, type ParseXmlOptions } from '../lib/pay/xml';
import { payNotifyXml, refundNotifyXml } from '../lib/simulator/pay-messages';
import type { SimOrder, SimRefund } from '../lib/simulator/pay-state';
import { cpuMicros, machine, median, table } from './_shared';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 40);
const KEY = 'benchkey0123456789abcdefghijklmn';
const KiB = 1024;

const BEFORE: ParseXmlOptions = { maxBytes: 64 * KiB };
const AFTER: ParseXmlOptions = { maxBytes: NOTIFY_MAX_BYTES, maxFields: NOTIFY_MAX_FIELDS };

/** What runs before a notify is known to be WeChat's; a refusal is the expected outcome for a hostile body. */
function front(body: string, options: ParseXmlOptions): 'verified' | 'parsed, not signed' | 'refused' {
  try {
    return verifyPay(parsePayXml(body, options), KEY) ? 'verified' : 'parsed, not signed';
  } catch {
    return 'refused';
  }
}

function fill(size: number, head: string, unit: (i: number) => string, tail: string): string {
  let s = head;
  for (let i = 0; s.length + unit(i).length + tail.length <= size; i++) s += unit(i);
  return s + tail;
}

const hostile: Record<string, (size: number) => string> = {
  'empty elements <a/>': (n) => fill(n, '<xml>', () => '<a/>', '</xml>'),
  'tiny elements <fN>1</fN>': (n) => fill(n, '<xml>', (i) => `<f${i}>1</f${i}>`, '</xml>'),
  'nesting <a><a>…': (n) => {
    const depth = Math.floor((n - 11) / 7);
    return `<xml>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</xml>`;
  },
  'attributes <a x0="" …>': (n) => fill(n, '<xml><a ', (i) => `x${i}="" `, '>1</a></xml>'),
  'entities &lt;…': (n) => fill(n, '<xml><a>', () => '&lt;', '</a></xml>'),
  'CDATA sections': (n) => fill(n, '<xml><a>', () => '<![CDATA[]]>', '</a></xml>'),
  'one long text': (n) => `<xml><a>${'x'.repeat(n - 20)}</a></xml>`,
};

function realBodies(): Record<string, string> {
  const order: SimOrder = {
    prepayId: 'wx20250101120000abcdefghijklmnopqrst',
    mchid: '1900000109',
    appid: 'wxbench000000001',
    outTradeNo: 'ORDER202501010001',
    body: 'Tea',
    totalFee: 1200,
    tradeType: 'JSAPI',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    notifyUrl: 'https://shop.example.com/wxpay/pay/callback',
    signType: 'MD5',
    attach: 'shelf-3',
    state: 'SUCCESS',
    transactionId: '4200002025010112345678901234',
    timeEnd: '20250101120000',
    createdAt: 0,
    refunded: 0,
    digest: '',
  };
  const refund: SimRefund = { refundId: '50000000000000000000000000001', outRefundNo: 'ORDER202501010001R1', prepayId: order.prepayId, refundFee: 400, status: 'SUCCESS', successTime: '2025-01-01 12:30:00' };
  // A payment notify with five coupons (three fields each) as well: the larger kind WeChat sends.
  const base = { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: order.appid, mch_id: order.mchid, nonce_str: 'n'.repeat(32), openid: order.openid, total_fee: 1200, cash_fee: 700, coupon_fee: 500, coupon_count: 5 };
  const coupons = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [[`coupon_type_${i}`, 'CASH'], [`coupon_id_${i}`, `1000000${i}`], [`coupon_fee_${i}`, 100]]).flat());
  const withCoupons = { ...base, ...coupons, transaction_id: order.transactionId, out_trade_no: order.outTradeNo, time_end: order.timeEnd };
  return {
    'real payment notify': payNotifyXml(order, KEY),
    'real payment notify, 5 coupons': buildPayXml({ ...withCoupons, sign: signPay(withCoupons, KEY) }),
    'real refund notify (req_info)': refundNotifyXml(order, refund, KEY),
  };
}

/** Calls per round: `CALLS` for the big bodies, more for small ones so a round is never just a few ms. */
const callsFor = (body: string) => Math.max(CALLS, Math.round((CALLS * 16 * KiB) / body.length));

function time(body: string, options: ParseXmlOptions): number {
  const calls = callsFor(body);
  const start = cpuMicros();
  for (let i = 0; i < calls; i++) front(body, options);
  return (cpuMicros() - start) / calls;
}

function main(): void {
  console.log(`hostile notify benchmark: ${ROUNDS} rounds per body and setting (${CALLS} calls for 16 KiB, more for smaller bodies), CPU per call (median round), parse + verify`);
  console.log(machine());
  const bodies: Array<[string, string]> = Object.entries(realBodies());
  for (const size of [16 * KiB, 64 * KiB]) for (const [name, make] of Object.entries(hostile)) bodies.push([`${name}, ${size / KiB} KiB`, make(size)]);
  // Warm-up of every body in both settings first: the first body timed must not pay for the JIT.
  for (const [, body] of bodies) {
    for (let i = 0; i < callsFor(body); i++) {
      front(body, BEFORE);
      front(body, AFTER);
    }
  }
  const rows: string[][] = [];
  for (const [name, body] of bodies) {
    const before: number[] = [];
    const after: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2) {
        after.push(time(body, AFTER));
        before.push(time(body, BEFORE));
      } else {
        before.push(time(body, BEFORE));
        after.push(time(body, AFTER));
      }
    }
    const b = median(before);
    const a = median(after);
    rows.push([name, String(Buffer.byteLength(body)), b.toFixed(0), a.toFixed(0), front(body, AFTER), (b / Math.max(a, 1)).toFixed(1)]);
  }
  console.log(`\n${table(['body', 'bytes', 'µs before (64 KiB, parser only)', `µs after (${NOTIFY_MAX_BYTES / KiB} KiB, shape check)`, 'after: outcome', 'before / after'], rows)}`);
}

main();
