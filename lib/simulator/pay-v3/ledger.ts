/**
 * The v3 host's orders and refunds with WeChat's rules and codes: NOTPAY → SUCCESS / CLOSED →
 * REFUND; refunds PROCESSING → SUCCESS (or CLOSED / ABNORMAL when a test says so). No HTTP here.
 */
import { createHash } from 'node:crypto';
import { randomId } from '../ids';
import { V3Fail, paramError } from './api';
import type { V3Merchant } from './merchants';
import { NOTIFY_URL, compactTime, digits, fen, obj, parseRfc3339, rfc3339 as rfc, str } from './util';

export type V3TradeType = 'JSAPI' | 'APP' | 'H5' | 'NATIVE';
export type V3TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
export type V3RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

export interface V3Order {
  mchid: string;
  appid: string;
  outTradeNo: string;
  description: string;
  total: number;
  tradeType: V3TradeType;
  notifyUrl: string;
  prepayId: string;
  openid?: string;
  attach?: string;
  payerClientIp?: string;
  /** NATIVE: `weixin://wxpay/bizpayurl?pr=…`; `pr` names the order on the cashier. */
  codeUrl?: string;
  pr?: string;
  /** When the order can no longer be paid (`time_expire`, else 2 h after the order). */
  expiresAt: number;
  createdAt: number;
  state: V3TradeState;
  transactionId?: string;
  successTime?: number;
  refunded: number;
  digest: string;
}

export interface V3Refund {
  mchid: string;
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  refund: number;
  total: number;
  reason?: string;
  notifyUrl?: string;
  status: V3RefundStatus;
  createdAt: number;
  successTime?: number;
}

const PREPAY_TTL = 2 * 3600_000;
const OUT_TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[A-Za-z0-9_\-|*@]{1,64}$/;

const TYPE_NAME: Record<V3TradeType, string> = { JSAPI: 'JSAPI', APP: 'APP', H5: 'MWEB', NATIVE: 'NATIVE' };
const STATE_DESC: Record<V3TradeState, string> = { NOTPAY: '订单未支付', SUCCESS: '支付成功', CLOSED: '订单已关闭', REFUND: '转入退款' };

function checkMchid(m: V3Merchant, body: Record<string, unknown>): void {
  const mchid = str(body, 'mchid', { required: true });
  if (mchid !== m.mchid) throw new V3Fail(400, 'PARAM_ERROR', 'mchid与请求头Authorization中的商户号不一致', { location: 'body', field: '/mchid' });
}

export class V3Ledger {
  private orders: V3Order[] = [];
  private refunds: V3Refund[] = [];
  /** Available balance per merchant (fen), when a test set one: refunds and transfers beyond it are NOT_ENOUGH. */
  readonly balances = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.orders = [];
    this.refunds = [];
    this.balances.clear();
  }

  allOrders(): readonly V3Order[] {
    return this.orders;
  }

  allRefunds(): readonly V3Refund[] {
    return this.refunds;
  }

  byTradeNo(mchid: string, outTradeNo: string): V3Order | undefined {
    return this.orders.find((o) => o.mchid === mchid && o.outTradeNo === outTradeNo);
  }

  byPrepayId(prepayId: string): V3Order | undefined {
    return this.orders.find((o) => o.prepayId === prepayId);
  }

  byPr(pr: string): V3Order | undefined {
    return this.orders.find((o) => o.pr === pr);
  }

  expired(order: V3Order): boolean {
    return this.now() > order.expiresAt;
  }

  /** `POST /v3/pay/transactions/{type}`. */
  prepay(m: V3Merchant, type: V3TradeType, body: Record<string, unknown>): V3Order {
    const appid = str(body, 'appid', { required: true, max: 32 })!;
    checkMchid(m, body);
    const description = str(body, 'description', { required: true, max: 127 })!;
    const outTradeNo = str(body, 'out_trade_no', { required: true, pattern: OUT_TRADE_NO })!;
    const notifyUrl = str(body, 'notify_url', { required: true, max: 255, pattern: NOTIFY_URL })!;
    const attach = str(body, 'attach', { max: 128 });
    obj(body, 'amount');
    const total = fen(body, 'amount.total')!;
    if (str(body, 'amount.currency') !== undefined && str(body, 'amount.currency') !== 'CNY') throw paramError('amount/currency', '枚举值校验失败，仅支持CNY');
    const openid = type === 'JSAPI' ? str(body, 'payer.openid', { required: true, max: 128 }) : str(body, 'payer.openid', { max: 128 });
    const payerClientIp = str(body, 'scene_info.payer_client_ip', { required: type === 'H5', max: 45 });
    if (type === 'H5') str(body, 'scene_info.h5_info.type', { required: true, max: 32 });
    const timeExpire = str(body, 'time_expire');
    let expiresAt = this.now() + PREPAY_TTL;
    if (timeExpire !== undefined) {
      const ms = parseRfc3339(timeExpire);
      if (ms === undefined) throw paramError('time_expire', '格式校验失败，应为rfc3339格式');
      if (ms <= this.now()) throw new V3Fail(400, 'INVALID_REQUEST', 'time_expire已过期');
      expiresAt = ms;
    }
    if (m.appids.size && !m.appids.has(appid)) throw new V3Fail(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');

    const digest = createHash('sha256').update(JSON.stringify([type, appid, description, total, openid ?? '', notifyUrl, attach ?? ''])).digest('hex');
    const existing = this.byTradeNo(m.mchid, outTradeNo);
    if (existing) {
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') throw new V3Fail(403, 'ORDERPAID', '该订单已支付');
      if (existing.state === 'CLOSED') throw new V3Fail(400, 'ORDER_CLOSED', '订单已关闭');
      if (existing.digest !== digest) throw new V3Fail(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
      // The same order again while it can be paid: WeChat answers the same prepay_id.
      if (!this.expired(existing)) return existing;
      this.orders = this.orders.filter((o) => o !== existing);
    }
    const now = this.now();
    const pr = type === 'NATIVE' ? randomId(7) : undefined;
    const order: V3Order = {
      mchid: m.mchid,
      appid,
      outTradeNo,
      description,
      total,
      tradeType: type,
      notifyUrl,
      prepayId: `wx${compactTime(now)}${randomId(20).toLowerCase()}`,
      expiresAt,
      createdAt: now,
      state: 'NOTPAY',
      refunded: 0,
      digest,
      ...(openid ? { openid } : {}),
      ...(attach !== undefined ? { attach } : {}),
      ...(payerClientIp ? { payerClientIp } : {}),
      ...(pr ? { pr, codeUrl: `weixin://wxpay/bizpayurl?pr=${pr}` } : {}),
    };
    this.orders.push(order);
    return order;
  }

  /** The payer paid: NOTPAY → SUCCESS with a transaction_id. */
  pay(order: V3Order, openid: string): V3Order {
    if (order.state === 'CLOSED') throw new V3Fail(400, 'ORDER_CLOSED', '订单已关闭');
    if (order.state !== 'NOTPAY') throw new V3Fail(403, 'ORDERPAID', '该订单已支付');
    if (this.expired(order)) throw new V3Fail(400, 'ORDER_CLOSED', '订单已过期');
    const now = this.now();
    order.state = 'SUCCESS';
    order.openid ??= openid;
    order.transactionId = `4200${compactTime(now).slice(0, 8)}${digits(16)}`;
    order.successTime = now;
    return order;
  }

  find(m: V3Merchant, by: { outTradeNo?: string; transactionId?: string }): V3Order {
    const order = by.transactionId
      ? this.orders.find((o) => o.mchid === m.mchid && o.transactionId === by.transactionId)
      : this.byTradeNo(m.mchid, by.outTradeNo ?? '');
    if (!order) throw new V3Fail(404, 'ORDER_NOT_EXIST', '订单不存在');
    return order;
  }

  close(m: V3Merchant, outTradeNo: string, body: Record<string, unknown>): void {
    checkMchid(m, body);
    const order = this.find(m, { outTradeNo });
    if (order.state === 'SUCCESS' || order.state === 'REFUND') throw new V3Fail(403, 'ORDERPAID', '订单已支付，不能关单');
    order.state = 'CLOSED';
  }

  /** `POST /v3/refund/domestic/refunds`; `repeated` when the same out_refund_no came again. */
  refund(m: V3Merchant, body: Record<string, unknown>): { order: V3Order; refund: V3Refund; repeated: boolean } {
    const transactionId = str(body, 'transaction_id', { max: 32 });
    const outTradeNo = str(body, 'out_trade_no', { max: 32 });
    if (!transactionId && !outTradeNo) throw paramError('out_trade_no', '与transaction_id二选一必填');
    const outRefundNo = str(body, 'out_refund_no', { required: true, pattern: OUT_REFUND_NO })!;
    const reason = str(body, 'reason', { max: 80 });
    const notifyUrl = str(body, 'notify_url', { max: 256, pattern: NOTIFY_URL });
    obj(body, 'amount');
    const refund = fen(body, 'amount.refund')!;
    const total = fen(body, 'amount.total')!;
    if (str(body, 'amount.currency', { required: true }) !== 'CNY') throw paramError('amount/currency', '枚举值校验失败，仅支持CNY');
    const order = this.orders.find((o) => o.mchid === m.mchid && (transactionId ? o.transactionId === transactionId : o.outTradeNo === outTradeNo));
    if (!order) throw new V3Fail(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    const previous = this.refunds.find((r) => r.mchid === m.mchid && r.outRefundNo === outRefundNo);
    if (previous) {
      if (previous.outTradeNo !== order.outTradeNo || previous.refund !== refund) throw new V3Fail(400, 'INVALID_REQUEST', '退款单号重复，且请求参数与原退款单不一致');
      return { order, refund: previous, repeated: true };
    }
    if (order.state !== 'SUCCESS' && order.state !== 'REFUND') throw new V3Fail(400, 'INVALID_REQUEST', '订单未支付，不能退款');
    if (total !== order.total) throw new V3Fail(400, 'INVALID_REQUEST', 'amount.total与原订单金额不一致');
    if (refund > order.total - order.refunded) throw new V3Fail(400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
    this.spend(m.mchid, refund);
    const r: V3Refund = {
      mchid: m.mchid,
      refundId: `50${digits(30)}`,
      outRefundNo,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId!,
      refund,
      total,
      status: 'PROCESSING',
      createdAt: this.now(),
      ...(reason ? { reason } : {}),
      ...(notifyUrl ? { notifyUrl } : {}),
    };
    this.refunds.push(r);
    order.refunded += refund;
    order.state = 'REFUND';
    return { order, refund: r, repeated: false };
  }

  findRefund(mchid: string, outRefundNo: string): V3Refund {
    const refund = this.refunds.find((r) => r.mchid === mchid && r.outRefundNo === outRefundNo);
    if (!refund) throw new V3Fail(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    return refund;
  }

  /** Settle a PROCESSING refund; `SUCCESS` sets its success_time. */
  settleRefund(refund: V3Refund, status: Exclude<V3RefundStatus, 'PROCESSING'>): V3Refund {
    refund.status = status;
    if (status === 'SUCCESS') refund.successTime = this.now();
    return refund;
  }

  /** Take money from a merchant's balance when a test set one (403 NOT_ENOUGH beyond it). */
  spend(mchid: string, amount: number): void {
    const balance = this.balances.get(mchid);
    if (balance === undefined) return;
    if (amount > balance) throw new V3Fail(403, 'NOT_ENOUGH', '商户可用余额不足');
    this.balances.set(mchid, balance - amount);
  }

  /** The transaction as `GET …/out-trade-no/{no}` and the TRANSACTION.SUCCESS notify show it. */
  transactionJson(order: V3Order): Record<string, unknown> {
    const paid = order.state === 'SUCCESS' || order.state === 'REFUND';
    return {
      appid: order.appid,
      mchid: order.mchid,
      out_trade_no: order.outTradeNo,
      ...(paid ? { transaction_id: order.transactionId, trade_type: TYPE_NAME[order.tradeType] } : {}),
      trade_state: order.state,
      trade_state_desc: STATE_DESC[order.state],
      ...(paid ? { bank_type: 'OTHERS' } : {}),
      attach: order.attach ?? '',
      ...(paid ? { success_time: rfc(order.successTime!), payer: { openid: order.openid } } : {}),
      amount: paid ? { total: order.total, payer_total: order.total, currency: 'CNY', payer_currency: 'CNY' } : { total: order.total, currency: 'CNY' },
    };
  }
}
