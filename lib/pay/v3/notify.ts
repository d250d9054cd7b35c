import type { WxContext } from '../../context';
import { isWxAuthError, WxAuthError } from '../../errors';
import { runOnce, type OnceOptions } from '../once';
import { RESERVED_TYPES, V3_ORDER_TYPE } from './api';
import { decryptPayV3Resource } from './crypto';
import type { PayV3Keys } from './options';
import { checkSignature } from './signature';
import type {
  PayV3NotifyHandler,
  PayV3NotifyReply,
  PayV3NotifyRequest,
  PayV3OnNotifyOptions,
  PayV3RefundHandler,
  PayV3RefundNotice,
  PayV3Transaction,
  PayV3TransferHandler,
  PayV3TransferNotice,
} from './types';

/**
 * v3 notifies are 1–2 KB (a payment with many coupons perhaps 4 KB). 64 KiB is far above any
 * and still a bound on what a stranger makes us buffer and verify.
 */
export const V3_NOTIFY_MAX_BYTES = 64 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** WeChat retries only on a non-2xx status: a 200 with FAIL would lose the notify. */
export function v3Reply(status: number, message?: string): PayV3NotifyReply {
  if (status >= 200 && status < 300) return { status, ok: true, body: '' };
  return { status, ok: false, body: JSON.stringify({ code: 'FAIL', message: message ?? 'FAIL' }), contentType: 'application/json; charset=utf-8' };
}

export interface PayV3NotifySettings {
  mchid: string;
  /** The AppIDs whose payments are ours (`pay.appid` and `pay.v3.appids`). */
  appids: ReadonlySet<string>;
  once: OnceOptions;
  /** Told about each payment whose handler has succeeded (now or before), after it: `pay.v3.autoShipVirtualGoods`. Must not throw. */
  afterPaid?: (transaction: PayV3Transaction, meta: Record<string, unknown>) => void;
}

/**
 * Payment, refund and transfer notifies, in this order: the signature over the raw bytes (the
 * key its `Wechatpay-Serial` names, ±300 s), AES-256-GCM decryption with the APIv3 key, our
 * `mchid` / `appid`, the amount (`amountOf`), then the handler once per transaction_id /
 * refund_id / out_bill_no across every process sharing the store. 2xx only once the handler
 * succeeded (or had already); anything else is a non-2xx `{"code":"FAIL"}`, and WeChat retries.
 */
export class PayV3Notifier {
  private payHandler?: PayV3NotifyHandler;
  private payOptions: PayV3OnNotifyOptions = {};
  private refundHandler?: PayV3RefundHandler;
  private transferHandler?: PayV3TransferHandler;

  constructor(
    private readonly ctx: WxContext,
    private readonly keys: PayV3Keys,
    private readonly settings: PayV3NotifySettings,
  ) {}

  onNotify(handler: PayV3NotifyHandler, options: PayV3OnNotifyOptions = {}): void {
    if (typeof handler !== 'function') throw new WxAuthError('args_error', 'onNotify needs a function');
    if (options.amountOf !== undefined && typeof options.amountOf !== 'function') throw new WxAuthError('args_error', 'amountOf must be a function');
    this.payHandler = handler;
    this.payOptions = options;
  }

  onRefundNotify(handler: PayV3RefundHandler): void {
    if (typeof handler !== 'function') throw new WxAuthError('args_error', 'onRefundNotify needs a function');
    this.refundHandler = handler;
  }

  onTransferNotify(handler: PayV3TransferHandler): void {
    if (typeof handler !== 'function') throw new WxAuthError('args_error', 'onTransferNotify needs a function');
    this.transferHandler = handler;
  }

  /** Process one notify: `type` is `refund`, `transfer` or the order type of its path. Never throws. */
  async handle(request: PayV3NotifyRequest, type: string): Promise<PayV3NotifyReply> {
    const meta: Record<string, unknown> = { type };
    try {
      if (typeof type !== 'string' || !V3_ORDER_TYPE.test(type)) throw new Refusal(404, 'unknown notify path');
      const body = request?.body;
      if (!Buffer.isBuffer(body) && typeof body !== 'string') throw new Refusal(400, 'no raw body');
      const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      if (size > V3_NOTIFY_MAX_BYTES) throw new Refusal(413, 'too large');
      const problem = checkSignature(this.keys, { headers: request.headers, body }, this.ctx.now());
      if (problem) throw new Refusal(401, `signature: ${problem}`);
      const envelope = parseObject(body);
      if (!envelope) throw new Refusal(400, 'not JSON');
      const event = typeof envelope.event_type === 'string' ? envelope.event_type : '';
      meta.event = event;
      if (typeof envelope.id === 'string') meta.id = envelope.id;
      if (envelope.resource_type !== undefined && envelope.resource_type !== 'encrypt-resource') throw new Refusal(400, 'not an encrypted resource');
      let plain: string;
      try {
        plain = decryptPayV3Resource(envelope.resource as never, this.keys.apiV3Key);
      } catch {
        throw new Refusal(400, 'resource does not decrypt');
      }
      const resource = parseObject(plain);
      if (!resource) throw new Refusal(400, 'resource is not JSON');
      if (event.startsWith('TRANSACTION.') && !RESERVED_TYPES.includes(type)) return await this.payment(resource as PayV3Transaction, type, meta);
      if (event.startsWith('REFUND.') && type !== 'transfer') return await this.refund(resource as PayV3RefundNotice, type, meta);
      if (event.startsWith('MCHTRANSFER.') && type === 'transfer') return await this.transfer(resource as PayV3TransferNotice, meta);
      throw new Refusal(400, 'unexpected event_type for this path');
    } catch (error) {
      return this.failure(error, meta);
    }
  }

  private async payment(t: PayV3Transaction, type: string, meta: Record<string, unknown>): Promise<PayV3NotifyReply> {
    if (t.mchid !== this.settings.mchid) throw new Refusal(400, 'mchid mismatch');
    if (typeof t.appid !== 'string' || !this.settings.appids.has(t.appid)) throw new Refusal(400, 'appid mismatch');
    if (typeof t.transaction_id !== 'string' || !ID.test(t.transaction_id)) throw new Refusal(400, 'transaction_id missing or malformed');
    if (typeof t.out_trade_no !== 'string' || !t.out_trade_no) throw new Refusal(400, 'out_trade_no missing');
    meta.outTradeNo = t.out_trade_no;
    meta.transactionId = t.transaction_id;
    if (t.trade_state !== 'SUCCESS') {
      this.ctx.logger.info?.('wxpay v3: notify for a payment that did not succeed acknowledged', { ...meta, tradeState: t.trade_state });
      return v3Reply(204);
    }
    const total = t.amount?.total;
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) throw new Refusal(400, 'amount.total missing or malformed');
    const handler = this.payHandler;
    if (!handler) return this.notReady('onNotify', meta);
    const { amountOf } = this.payOptions;
    // The amount before the handler, inside the lock: a refusal releases it, and nothing ran.
    const outcome = await runOnce(this.ctx.store, `wxpay:${this.settings.mchid}:pay:${t.transaction_id}`, this.settings.once, async () => {
      if (amountOf) {
        const expected = await amountOf(t.out_trade_no, type);
        if (expected !== total) {
          this.ctx.logger.error('wxpay v3: notify amount does not match the order; not processed', { ...meta, orderTotal: expected, total });
          throw new Refusal(400, 'amount mismatch');
        }
      }
      await handler(t, type);
    });
    // The handler succeeded (now, or on an earlier delivery): what follows it cannot fail the notify.
    if (outcome !== 'busy' && this.settings.afterPaid) {
      try {
        this.settings.afterPaid(t, { ...meta });
      } catch {
        // Never un-acknowledge a handled payment.
      }
    }
    return this.outcomeReply(outcome, meta);
  }

  private async refund(r: PayV3RefundNotice, type: string, meta: Record<string, unknown>): Promise<PayV3NotifyReply> {
    if (r.mchid !== this.settings.mchid) throw new Refusal(400, 'mchid mismatch');
    if (typeof r.refund_id !== 'string' || !ID.test(r.refund_id)) throw new Refusal(400, 'refund_id missing or malformed');
    meta.refundId = r.refund_id;
    meta.outRefundNo = r.out_refund_no;
    const handler = this.refundHandler;
    if (!handler) return this.notReady('onRefundNotify', meta);
    // ABNORMAL is not final (the merchant fixes the account, then WeChat finishes the refund):
    // it has its own once-key, so the final SUCCESS / CLOSED still reaches the handler.
    const suffix = r.refund_status === 'ABNORMAL' ? ':ABNORMAL' : '';
    const outcome = await runOnce(this.ctx.store, `wxpay:${this.settings.mchid}:refund:${r.refund_id}${suffix}`, this.settings.once, async () => {
      await handler(r, type);
    });
    return this.outcomeReply(outcome, meta);
  }

  private async transfer(b: PayV3TransferNotice, meta: Record<string, unknown>): Promise<PayV3NotifyReply> {
    // The transfer notify names the merchant `mch_id` (the payment notify says `mchid`).
    if ((b.mch_id ?? b.mchid) !== this.settings.mchid) throw new Refusal(400, 'mchid mismatch');
    if (typeof b.out_bill_no !== 'string' || !ID.test(b.out_bill_no)) throw new Refusal(400, 'out_bill_no missing or malformed');
    meta.outBillNo = b.out_bill_no;
    const handler = this.transferHandler;
    if (!handler) return this.notReady('onTransferNotify', meta);
    const outcome = await runOnce(this.ctx.store, `wxpay:${this.settings.mchid}:transfer:${b.out_bill_no}`, this.settings.once, async () => {
      await handler(b);
    });
    return this.outcomeReply(outcome, meta);
  }

  private notReady(what: string, meta: Record<string, unknown>): PayV3NotifyReply {
    this.ctx.logger.error(`wxpay v3: a notify arrived but no ${what} handler is registered; answering 500 so WeChat retries`, meta);
    return v3Reply(500, 'not ready');
  }

  /** `busy`: not run, WeChat retries. Every `ran*`: the handler succeeded (logged when unmarked). */
  private outcomeReply(outcome: string, meta: Record<string, unknown>): PayV3NotifyReply {
    if (outcome === 'busy') return v3Reply(503, 'processing');
    if (outcome !== 'ran' && outcome !== 'already') {
      try {
        this.ctx.logger.error(`wxpay v3: handler succeeded but it is not marked done (${outcome}); a repeat may run it again`, meta);
      } catch {
        // The reply must stay 2xx: a FAIL would have the handler run again.
      }
    }
    return v3Reply(204);
  }

  private failure(error: unknown, meta: Record<string, unknown>): PayV3NotifyReply {
    try {
      if (error instanceof Refusal) {
        if (error.reason !== 'amount mismatch') this.ctx.logger.warn(`wxpay v3: notify refused: ${error.reason}`, meta);
        return v3Reply(error.status, error.reason);
      }
      if (isWxAuthError(error) && error.code === 'store_error') {
        this.ctx.logger.error('wxpay v3: the store failed while processing a notify; answering 503 so WeChat retries', meta);
        return v3Reply(503, 'try again');
      }
      this.ctx.logger.error('wxpay v3: notify handler failed; answering 500 so WeChat retries', { ...meta, error });
    } catch {
      // A logger that throws changes nothing.
    }
    return v3Reply(500, 'handler failed');
  }
}

function parseObject(text: string | Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
