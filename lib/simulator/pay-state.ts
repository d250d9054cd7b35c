import { createHash, randomInt } from 'node:crypto';
import { randomId } from './ids';

/** A business refusal: `result_code` FAIL with WeChat's `err_code` (the transport was fine). */
export class PayBizFail extends Error {
  constructor(
    readonly errCode: string,
    readonly errCodeDes: string,
  ) {
    super(errCode);
  }
}
/** A request WeChat does not even process: `return_code` FAIL with `return_msg`. */
export class PayReturnFail extends Error {
  constructor(readonly returnMsg: string) {
    super(returnMsg);
  }
}

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
type Fields = Record<string, string>;

export interface SimOrder {
  prepayId: string;
  mchid: string;
  appid: string;
  outTradeNo: string;
  body: string;
  totalFee: number;
  tradeType: string;
  openid?: string;
  notifyUrl: string;
  /** The algorithm the unified order was signed with: notifies are signed the same way. */
  signType: 'MD5' | 'HMAC-SHA256';
  attach?: string;
  /** The request's `device_info`, repeated in the order query and the notify as WeChat does. */
  deviceInfo?: string;
  codeUrl?: string;
  state: TradeState;
  transactionId?: string;
  timeEnd?: string;
  createdAt: number;
  refunded: number;
  /** Digest of the request fields that must match when the same out_trade_no is ordered again. */
  digest: string;
}

export interface SimRefund {
  refundId: string;
  outRefundNo: string;
  prepayId: string;
  refundFee: number;
  status: 'SUCCESS' | 'PROCESSING';
  successTime: string;
  notifyUrl?: string;
}

export interface SimRedPack {
  mchBillno: string;
  mchid: string;
  wxappid: string;
  reOpenid: string;
  totalAmount: number;
  sendListid: string;
  sendName: string;
  wishing: string;
  actName: string;
  time: number;
}

/** A prepay_id is valid for 2 hours. */
const PREPAY_TTL = 2 * 3600_000;

function digits(n: number): string {
  let out = '';
  while (out.length < n) out += String(randomInt(0, 1e9)).padStart(9, '0');
  return out.slice(0, n);
}

/** WeChat's times are Beijing time: `yyyyMMddHHmmss` (time_end) or `yyyy-MM-dd HH:mm:ss`. */
export function beijingTime(ms: number, compact = true): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const date = [d.getUTCFullYear(), p(d.getUTCMonth() + 1), p(d.getUTCDate())];
  const time = [p(d.getUTCHours()), p(d.getUTCMinutes()), p(d.getUTCSeconds())];
  return compact ? date.join('') + time.join('') : `${date.join('-')} ${time.join(':')}`;
}

function need(p: Fields, ...names: string[]): void {
  for (const n of names) if (!p[n]) throw new PayReturnFail(`缺少参数${n}`);
}

function fen(value: string | undefined, name: string): number {
  if (!value || !/^\d{1,10}$/.test(value) || Number(value) < 1) throw new PayBizFail('PARAM_ERROR', `${name}参数格式错误`);
  return Number(value);
}

/**
 * The pay host's memory and rules: orders NOTPAY → SUCCESS / CLOSED → REFUND, refunds and red
 * packets, with WeChat's err_codes. No HTTP, no signatures: `pay-host.ts` adds those.
 */
export class PayLedger {
  private orders = new Map<string, SimOrder>(); // prepay_id → order
  private refunds = new Map<string, SimRefund>(); // refund_id → refund
  readonly redPacks: SimRedPack[] = [];

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.orders = new Map();
    this.refunds = new Map();
    this.redPacks.length = 0;
  }

  order(prepayId: string): SimOrder | undefined {
    return this.orders.get(prepayId);
  }

  /** Orders of one merchant, oldest first. */
  ordersOf(mchid: string): SimOrder[] {
    return [...this.orders.values()].filter((o) => o.mchid === mchid);
  }

  expired(order: SimOrder): boolean {
    return this.now() - order.createdAt > PREPAY_TTL;
  }

  unifiedOrder(mchid: string, p: Fields): SimOrder {
    need(p, 'appid', 'body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type');
    const totalFee = fen(p.total_fee, 'total_fee');
    const tradeType = p.trade_type!;
    if (!['JSAPI', 'NATIVE', 'APP', 'MWEB'].includes(tradeType)) throw new PayBizFail('PARAM_ERROR', 'trade_type参数格式错误');
    if (tradeType === 'JSAPI' && !p.openid) throw new PayBizFail('PARAM_ERROR', 'trade_type=JSAPI时（即JSAPI支付），openid为必传参数');
    if (tradeType === 'NATIVE' && !p.product_id) throw new PayBizFail('PARAM_ERROR', 'trade_type=NATIVE时，product_id为必传参数');
    if (!/^https?:\/\/[^?#\s]+$/.test(p.notify_url!)) throw new PayBizFail('PARAM_ERROR', 'notify_url参数格式错误（不能携带参数）');
    const digest = createHash('sha256')
      .update(['appid', 'body', 'total_fee', 'trade_type', 'openid', 'notify_url'].map((k) => p[k] ?? '').join('\0'))
      .digest('hex');
    const existing = this.byTradeNo(mchid, p.out_trade_no!);
    if (existing) {
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') throw new PayBizFail('ORDERPAID', '该订单已支付');
      if (existing.state === 'CLOSED') throw new PayBizFail('ORDERCLOSED', '该订单已关闭');
      // WeChat answers a repeated unified order with the same prepay_id while nothing changed.
      if (existing.digest === digest && !this.expired(existing)) return existing;
      if (existing.digest !== digest) throw new PayBizFail('INVALID_REQUEST', '201 商户订单号重复');
      this.orders.delete(existing.prepayId);
    }
    const now = this.now();
    const order: SimOrder = {
      prepayId: `wx${beijingTime(now)}${randomId(20).toLowerCase()}`,
      mchid,
      appid: p.appid!,
      outTradeNo: p.out_trade_no!,
      body: p.body!,
      totalFee,
      tradeType,
      notifyUrl: p.notify_url!,
      signType: p.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5',
      state: 'NOTPAY',
      createdAt: now,
      refunded: 0,
      digest,
      ...(p.openid ? { openid: p.openid } : {}),
      ...(p.attach ? { attach: p.attach } : {}),
      ...(p.device_info ? { deviceInfo: p.device_info } : {}),
      ...(tradeType === 'NATIVE' ? { codeUrl: `weixin://wxpay/bizpayurl?pr=${randomId(7)}` } : {}),
    };
    this.orders.set(order.prepayId, order);
    return order;
  }

  /** The payer confirms: NOTPAY → SUCCESS with a transaction_id. */
  pay(prepayId: string, openid: string): SimOrder {
    const order = this.orders.get(prepayId);
    if (!order) throw new PayBizFail('ORDERNOTEXIST', 'prepay_id不存在');
    if (order.state !== 'NOTPAY') throw new PayBizFail(order.state === 'CLOSED' ? 'ORDERCLOSED' : 'ORDERPAID', `订单状态为${order.state}`);
    if (this.expired(order)) throw new PayBizFail('ORDERCLOSED', 'prepay_id已过期');
    const now = this.now();
    order.state = 'SUCCESS';
    order.openid = order.openid ?? openid;
    order.transactionId = `4200${beijingTime(now).slice(0, 8)}${digits(16)}`;
    order.timeEnd = beijingTime(now);
    return order;
  }

  find(mchid: string, p: Fields): SimOrder {
    if (!p.transaction_id && !p.out_trade_no) throw new PayReturnFail('缺少参数out_trade_no或transaction_id');
    const order = p.transaction_id
      ? this.ordersOf(mchid).find((o) => o.transactionId === p.transaction_id)
      : this.byTradeNo(mchid, p.out_trade_no!);
    if (!order) throw new PayBizFail('ORDERNOTEXIST', '订单不存在');
    return order;
  }

  close(mchid: string, p: Fields): void {
    need(p, 'out_trade_no');
    const order = this.find(mchid, p);
    if (order.state === 'SUCCESS' || order.state === 'REFUND') throw new PayBizFail('ORDERPAID', '订单已支付，不能发起关单');
    if (order.state === 'CLOSED') throw new PayBizFail('ORDERCLOSED', '订单已关闭');
    order.state = 'CLOSED';
  }

  refund(mchid: string, p: Fields): { order: SimOrder; refund: SimRefund; repeated: boolean } {
    need(p, 'appid', 'out_refund_no', 'total_fee', 'refund_fee');
    const order = this.find(mchid, p);
    const totalFee = fen(p.total_fee, 'total_fee');
    const refundFee = fen(p.refund_fee, 'refund_fee');
    const previous = this.refundsOf(order).find((r) => r.outRefundNo === p.out_refund_no);
    if (previous) {
      if (previous.refundFee !== refundFee) throw new PayBizFail('INVALID_REQUEST', '同一笔退款单号的退款金额与之前请求不一致');
      return { order, refund: previous, repeated: true };
    }
    if (order.state !== 'SUCCESS' && order.state !== 'REFUND') throw new PayBizFail('TRADE_STATE_ERROR', '订单状态错误');
    if (totalFee !== order.totalFee) throw new PayBizFail('INVALID_REQUEST', '订单金额与原订单不一致');
    if (refundFee > order.totalFee - order.refunded) throw new PayBizFail('NOTENOUGH', '退款金额大于可退金额');
    const refund: SimRefund = {
      refundId: `50${digits(27)}`,
      outRefundNo: p.out_refund_no!,
      prepayId: order.prepayId,
      refundFee,
      status: 'SUCCESS',
      successTime: beijingTime(this.now(), false),
      ...(p.notify_url ? { notifyUrl: p.notify_url } : {}),
    };
    this.refunds.set(refund.refundId, refund);
    order.refunded += refundFee;
    order.state = 'REFUND';
    return { order, refund, repeated: false };
  }

  refundsOf(order: SimOrder): SimRefund[] {
    return [...this.refunds.values()].filter((r) => r.prepayId === order.prepayId);
  }

  /** refundquery: by refund, or every refund of an order. */
  queryRefunds(mchid: string, p: Fields): { order: SimOrder; refunds: SimRefund[] } {
    let refunds: SimRefund[];
    let order: SimOrder | undefined;
    if (p.refund_id || p.out_refund_no) {
      const mine = [...this.refunds.values()].filter((r) => this.orders.get(r.prepayId)?.mchid === mchid);
      refunds = mine.filter((r) => (p.refund_id ? r.refundId === p.refund_id : r.outRefundNo === p.out_refund_no));
      order = refunds[0] && this.orders.get(refunds[0].prepayId);
    } else {
      order = this.find(mchid, p);
      refunds = this.refundsOf(order);
    }
    if (!order || !refunds.length) throw new PayBizFail('REFUNDNOTEXIST', '退款订单查询失败');
    return { order, refunds };
  }

  sendRedPack(mchid: string, merchantAppid: string | undefined, p: Fields): SimRedPack {
    need(p, 'mch_billno', 'wxappid', 'send_name', 're_openid', 'total_amount', 'total_num', 'wishing', 'client_ip', 'act_name', 'remark');
    if (!/^[A-Za-z0-9]{1,28}$/.test(p.mch_billno!)) throw new PayBizFail('PARAM_ERROR', 'mch_billno参数格式错误（最长28位）');
    if (merchantAppid && p.wxappid !== merchantAppid) throw new PayBizFail('MSGAPPID_ERROR', '商户号与wxappid不匹配');
    const amount = fen(p.total_amount, 'total_amount');
    if (p.total_num !== '1') throw new PayBizFail('PARAM_ERROR', '普通红包total_num必须为1');
    if ((amount < 100 || amount > 20000) && !p.scene_id) throw new PayBizFail('MONEY_LIMIT', '每个红包的平均金额必须在1.00元到200.00元之间');
    const previous = this.redPacks.find((r) => r.mchid === mchid && r.mchBillno === p.mch_billno);
    if (previous) {
      if (previous.totalAmount !== amount || previous.reOpenid !== p.re_openid) throw new PayBizFail('PARAM_ERROR', '商户订单号重复且参数不一致');
      return previous;
    }
    const pack: SimRedPack = {
      mchBillno: p.mch_billno!,
      mchid,
      wxappid: p.wxappid!,
      reOpenid: p.re_openid!,
      totalAmount: amount,
      sendListid: `10000417${digits(23)}`,
      sendName: p.send_name!,
      wishing: p.wishing!,
      actName: p.act_name!,
      time: this.now(),
    };
    this.redPacks.push(pack);
    return pack;
  }

  private byTradeNo(mchid: string, outTradeNo: string): SimOrder | undefined {
    return this.ordersOf(mchid).find((o) => o.outTradeNo === outTradeNo);
  }
}
