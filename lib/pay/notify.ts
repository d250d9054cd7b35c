import type { WxContext } from '../context';
import { isWxAuthError, WxAuthError } from '../errors';
import { ORDER_TYPE } from './api';
import { decryptRefundInfo } from './crypto';
import { runOnce, type OnceOptions } from './once';
import type { PayOptions } from './options';
import { verifyPay } from './sign';
import type { NotifyReply, OnNotifyOptions, PayFields, PayNotifyHandler, PayNotifyOrder, RefundNotifyHandler, RefundNotifyInfo } from './types';
import { buildPayXml, parsePayXml } from './xml';

/**
 * WeChat's notifies are 1–2 KB: a payment notify is ~30 short fields (more with coupons, three
 * fields each), a refund notify six fields and `req_info`, the base64 of ~0.8 KB of encrypted XML
 * (~1.1 KB). 16 KiB is ten times the largest; anything bigger is not WeChat, and each extra KiB
 * of a hostile body is parse time we would spend for nothing.
 */
export const NOTIFY_MAX_BYTES = 16 * 1024;
/**
 * The most fields a notify may have: the documented payment notify has 30 (service-provider
 * fields included) plus three per coupon; this leaves room for 20 coupons and some new fields.
 */
export const NOTIFY_MAX_FIELDS = 100;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The exact reply WeChat waits for; anything else (or no answer) makes it retry for ~24 h. */
export const SUCCESS_REPLY = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

function reply(status: number, ok: boolean, message = 'OK'): NotifyReply {
  const body = ok ? SUCCESS_REPLY : buildPayXml({ return_code: 'FAIL', return_msg: message });
  return { status, ok, body, contentType: 'application/xml; charset=utf-8' };
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Payment and refund notifies: verify, then hand to the app's handler once per transaction_id
 * (refund_id), across processes sharing the store. The reply is SUCCESS only once the handler
 * succeeded (or already had); every other outcome is FAIL, so WeChat delivers again later.
 */
export class PayNotifier {
  private payHandler?: PayNotifyHandler;
  private payOptions: OnNotifyOptions = {};
  private refundHandler?: RefundNotifyHandler;
  private readonly once: OnceOptions;

  constructor(
    private readonly ctx: WxContext,
    private readonly options: PayOptions,
  ) {
    const n = options.notify ?? {};
    this.once = {
      lockSeconds: n.lockSeconds ?? 120,
      waitMs: n.waitMs ?? 5000,
      rememberSeconds: Math.round((n.rememberDays ?? 30) * 86400),
      ...(n.durableMarks ? { durable: n.durableMarks } : {}),
      now: ctx.now,
      logger: ctx.logger,
    };
  }

  onNotify(handler: PayNotifyHandler, options: OnNotifyOptions = {}): void {
    if (typeof handler !== 'function') throw new WxAuthError('args_error', 'onNotify needs a function');
    this.payHandler = handler;
    this.payOptions = options;
  }

  onRefundNotify(handler: RefundNotifyHandler): void {
    if (typeof handler !== 'function') throw new WxAuthError('args_error', 'onRefundNotify needs a function');
    this.refundHandler = handler;
  }

  /** Process a payment notify body (raw XML) for order category `type`. Never throws. */
  async handlePayNotify(body: string | Buffer, type: string): Promise<NotifyReply> {
    try {
      if (!ORDER_TYPE.test(type) || type === 'refund') throw new Refusal(404, 'unknown notify path');
      const raw = this.verified(body);
      if (raw.result_code !== 'SUCCESS') {
        // The payment failed: there is nothing to process, and nothing to be gained from retries.
        this.ctx.logger.info?.('wxpay: notify for a failed payment acknowledged', { type, outTradeNo: raw.out_trade_no, errCode: raw.err_code });
        return reply(200, true);
      }
      const order = toOrder(raw);
      const handler = this.payHandler;
      if (!handler) {
        this.ctx.logger.error('wxpay: a payment notify arrived but no onNotify handler is registered; answering FAIL so WeChat retries', { type });
        return reply(500, false, 'not ready');
      }
      const { amountOf } = this.payOptions;
      // The amount is checked before the handler, never after it: a refusal releases the lock, and
      // what WeChat then redelivers must not find side effects to repeat. Nothing runs after the
      // handler inside the lock, so a handler that resolved is always marked done (or the store
      // failed: `ran_unmarked`), never released.
      const outcome = await runOnce(this.ctx.store, `wxpay:${this.options.mchid}:pay:${order.transactionId}`, this.once, async () => {
        if (amountOf) this.checkAmount(order, type, await amountOf(order.outTradeNo, type));
        await handler(order, type);
      });
      return this.outcomeReply(outcome, { type, transactionId: order.transactionId });
    } catch (error) {
      return this.failure(error, { type });
    }
  }

  /** Process a refund notify body: decrypt `req_info`, then the handler once per refund_id. Never throws. */
  async handleRefundNotify(body: string | Buffer): Promise<NotifyReply> {
    try {
      const outer = this.parsed(body);
      this.checkMerchant(outer);
      if (!outer.req_info) throw new Refusal(400, 'req_info missing');
      let info: RefundNotifyInfo;
      try {
        info = toRefund(outer, parsePayXml(decryptRefundInfo(outer.req_info, this.options.key), { root: 'root' }));
      } catch (error) {
        if (error instanceof Refusal) throw error;
        throw new Refusal(400, 'req_info does not decrypt');
      }
      const handler = this.refundHandler;
      if (!handler) {
        this.ctx.logger.error('wxpay: a refund notify arrived but no onRefundNotify handler is registered; answering FAIL so WeChat retries');
        return reply(500, false, 'not ready');
      }
      const outcome = await runOnce(this.ctx.store, `wxpay:${this.options.mchid}:refund:${info.refundId}`, this.once, async () => {
        await handler(info);
      });
      return this.outcomeReply(outcome, { type: 'refund', refundId: info.refundId });
    } catch (error) {
      return this.failure(error, { type: 'refund' });
    }
  }

  private parsed(body: string | Buffer): PayFields {
    const raw = parsePayXml(body, { maxBytes: NOTIFY_MAX_BYTES, maxFields: NOTIFY_MAX_FIELDS });
    if (raw.return_code !== 'SUCCESS') throw new Refusal(400, 'return_code is not SUCCESS');
    return raw;
  }

  private verified(body: string | Buffer): PayFields {
    const raw = this.parsed(body);
    // The configured algorithm only: a message naming another `sign_type` is refused (no downgrade).
    if (!verifyPay(raw, this.options.key, this.options.signType ?? 'MD5')) throw new Refusal(400, 'invalid sign');
    this.checkMerchant(raw);
    return raw;
  }

  private checkMerchant(raw: PayFields): void {
    if (raw.appid !== this.options.appid) throw new Refusal(400, 'appid mismatch');
    if (raw.mch_id !== this.options.mchid) throw new Refusal(400, 'mch_id mismatch');
  }

  private checkAmount(order: PayNotifyOrder, type: string, expected: number | undefined): void {
    if (expected === order.totalFee) return;
    // Reported loudly: a paid amount that differs from the order is either a bug or an attack.
    this.ctx.logger.error('wxpay: notify amount does not match the order; not processed', {
      type,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId,
      orderTotalFee: expected,
      totalFee: order.totalFee,
    });
    throw new Refusal(400, 'amount mismatch');
  }

  /**
   * `busy` is the only outcome in which the handler did not succeed. Every `ran_*` outcome (the
   * mark could not be stored, the lease was lost) means it did: SUCCESS, so WeChat stops, with
   * an error logged because a repeat may run it again. A logger that throws changes nothing.
   */
  private outcomeReply(outcome: string, meta: Record<string, unknown>): NotifyReply {
    if (outcome === 'busy') return reply(503, false, 'processing');
    if (outcome !== 'ran' && outcome !== 'already') {
      const why = outcome === 'ran_lease_lost' ? 'its lock was lost while it ran (another delivery may have run it too)' : 'the done mark could not be stored';
      try {
        this.ctx.logger.error(`wxpay: handler succeeded but ${why}; a repeat may run it again`, meta);
      } catch {
        // The reply must stay SUCCESS: FAIL would have WeChat deliver again and the handler run again.
      }
    }
    return reply(200, true);
  }

  private failure(error: unknown, meta: Record<string, unknown>): NotifyReply {
    if (error instanceof Refusal) {
      if (error.reason !== 'amount mismatch') this.ctx.logger.warn(`wxpay: notify refused: ${error.reason}`, meta);
      return reply(error.status, false, error.reason);
    }
    if (isWxAuthError(error) && (error.code === 'xml_error' || error.code === 'decrypt_error')) {
      this.ctx.logger.warn(`wxpay: notify refused: ${error.message}`, meta);
      return reply(error.status, false, error.status === 413 ? 'too large' : 'invalid xml');
    }
    if (isWxAuthError(error) && error.code === 'store_error') {
      this.ctx.logger.error('wxpay: the store failed while processing a notify; answering FAIL so WeChat retries', meta);
      return reply(503, false, 'try again');
    }
    this.ctx.logger.error('wxpay: notify handler failed; answering FAIL so WeChat retries', { ...meta, error });
    return reply(500, false, 'handler failed');
  }
}

function toOrder(raw: PayFields): PayNotifyOrder {
  const { transaction_id: transactionId, out_trade_no: outTradeNo, total_fee: fee } = raw;
  if (!transactionId || !ID.test(transactionId)) throw new Refusal(400, 'transaction_id missing or malformed');
  if (!outTradeNo) throw new Refusal(400, 'out_trade_no missing');
  if (!fee || !/^\d{1,12}$/.test(fee)) throw new Refusal(400, 'total_fee missing or malformed');
  return { ...raw, transactionId, outTradeNo, totalFee: Number(fee), ...(raw.openid ? { openid: raw.openid } : {}) };
}

function toRefund(outer: PayFields, inner: PayFields): RefundNotifyInfo {
  const refundId = inner.refund_id;
  if (!refundId || !ID.test(refundId)) throw new Refusal(400, 'refund_id missing or malformed');
  return {
    ...inner,
    appid: outer.appid ?? '',
    mch_id: outer.mch_id ?? '',
    refundId,
    outRefundNo: inner.out_refund_no ?? '',
    outTradeNo: inner.out_trade_no ?? '',
    transactionId: inner.transaction_id ?? '',
    refundStatus: inner.refund_status ?? '',
    refundFee: Number(inner.refund_fee ?? 0),
    totalFee: Number(inner.total_fee ?? 0),
  };
}
