import type { WxContext } from '../context';
import { isWxAuthError, WxAuthError } from '../errors';
import { ORDER_TYPE } from './api';
import { decryptRefundInfo } from './crypto';
import { runOnce, type OnceOptions } from './once';
import type { PayOptions } from './options';
import { receivedSignType, verifyPay } from './sign';
import type { NotifyReply, OnNotifyOptions, PayFields, PayNotifyHandler, PayNotifyOrder, RefundNotifyHandler, RefundNotifyInfo } from './types';
import { buildPayXml, parsePayXml } from './xml';

/** Notifies are a few hundred bytes; anything near this is not WeChat. */
export const NOTIFY_MAX_BYTES = 64 * 1024;
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
      now: ctx.now,
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
      const outcome = await runOnce(this.ctx.store, `wxpay:${this.options.mchid}:pay:${order.transactionId}`, this.once, async () => {
        if (amountOf) this.checkAmount(order, type, await amountOf(order.outTradeNo, type));
        const result = await handler(order, type);
        if (result && result.expectedTotalFee !== undefined) this.checkAmount(order, type, result.expectedTotalFee);
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
    const raw = parsePayXml(body, { maxBytes: NOTIFY_MAX_BYTES });
    if (raw.return_code !== 'SUCCESS') throw new Refusal(400, 'return_code is not SUCCESS');
    return raw;
  }

  private verified(body: string | Buffer): PayFields {
    const raw = this.parsed(body);
    const type = receivedSignType(raw, this.options.signType ?? 'MD5');
    if (!type || !verifyPay(raw, this.options.key, type)) throw new Refusal(400, 'invalid sign');
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
      expectedTotalFee: expected,
      totalFee: order.totalFee,
    });
    throw new Refusal(400, 'amount mismatch');
  }

  private outcomeReply(outcome: string, meta: Record<string, unknown>): NotifyReply {
    if (outcome === 'busy') return reply(503, false, 'processing');
    if (outcome === 'ran_unmarked') {
      this.ctx.logger.error('wxpay: handler succeeded but the done mark could not be stored; a repeat may run it again', meta);
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
