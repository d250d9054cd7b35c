import type { WxContext } from '../../context';
import type { ShippingUploadInput } from '../../client/shipping';
import { WxAuthError } from '../../errors';
import { runOnce, type OnceOptions } from '../once';
import type { PayV3Transaction } from './types';

/**
 * `pay.v3.autoShipVirtualGoods`: after a mini-program payment's notify was handled, record its
 * shipping as virtual goods (`logisticsType: 3`, one item) with WeChat's shipping-info service,
 * so funds WeChat holds until shipping is recorded are released without a call of your own.
 */
export interface AutoShipVirtualGoodsOptions {
  /**
   * What the payer sees in WeChat's shipping message (at most 120 characters): a text, or a
   * function of the paid transaction (e.g. your order's title, looked up by `out_trade_no`).
   */
  itemDesc: string | ((transaction: PayV3Transaction) => string | Promise<string>);
  /**
   * Waits between attempts when an upload fails (WeChat down, busy, the token refused): the
   * notify is already acknowledged, so these run in the background. Default 1 s, 10 s, 60 s.
   */
  retryDelaysMs?: number[];
}

export const DEFAULT_AUTO_SHIP_RETRY_DELAYS_MS: readonly number[] = [1000, 10_000, 60_000];

/** Errcodes that say "this payment is already shipped": a lost answer's retry, or a shipment recorded by hand. */
const ALREADY_SHIPPED: ReadonlySet<number> = new Set([10060002, 10060003]);

export interface AutoShipperDeps {
  ctx: WxContext;
  mchid: string;
  /** The mini program whose JSAPI payments are shipped. */
  miniprogramAppid: string;
  upload(input: ShippingUploadInput): Promise<void>;
  once: OnceOptions;
}

const unrefSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * Runs after the payment notify handler succeeded, never before and never in its place: the
 * notify's 2xx does not wait for WeChat's shipping API, and nothing here can turn it into a
 * failure. Each payment is uploaded once across processes (its own once mark, separate from the
 * handler's); a failed upload is logged and tried again after `retryDelaysMs`.
 */
export class AutoShipper {
  private readonly pending = new Set<Promise<void>>();
  private readonly delays: readonly number[];

  constructor(
    private readonly deps: AutoShipperDeps,
    private readonly options: AutoShipVirtualGoodsOptions,
  ) {
    this.delays = options.retryDelaysMs ?? DEFAULT_AUTO_SHIP_RETRY_DELAYS_MS;
  }

  /** Whether `t` is a payment of the mini program (JSAPI from its appid) with a payer to ship to. */
  applies(t: PayV3Transaction): boolean {
    return t.appid === this.deps.miniprogramAppid && (t.trade_type === undefined || t.trade_type === 'JSAPI') && typeof t.payer?.openid === 'string' && !!t.payer.openid;
  }

  /** Start shipping `t` in the background (no-op when it does not apply). Never throws. */
  afterHandled(t: PayV3Transaction, meta: Record<string, unknown>): void {
    if (!this.applies(t)) return;
    const run = this.attempts(t, meta).catch(() => undefined);
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  /** Resolves when every upload started so far has succeeded or used up its attempts (for shutdown and tests). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async attempts(t: PayV3Transaction, meta: Record<string, unknown>): Promise<void> {
    const { ctx } = this.deps;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await runOnce(ctx.store, `wxpay:${this.deps.mchid}:ship:${t.transaction_id}`, this.deps.once, () => this.upload(t));
        if (outcome === 'busy') ctx.logger.info?.('wxpay v3: auto shipping of this payment is running in another process', meta);
        return;
      } catch (error) {
        // A refused input (an itemDesc over 120 characters) fails the same way every time.
        const last = attempt >= this.delays.length || (error instanceof WxAuthError && error.code === 'args_error');
        const errcode = error instanceof WxAuthError ? error.errcode : undefined;
        try {
          ctx.logger.error(`wxpay v3: auto shipping (virtual goods) failed${last ? '; giving up: record it with client.shipping.upload' : '; will retry'}`, {
            ...meta,
            attempt: attempt + 1,
            ...(errcode !== undefined ? { errcode } : {}),
            code: error instanceof WxAuthError ? error.code : 'error',
          });
        } catch {
          // A logger that throws changes nothing.
        }
        if (last) return;
        await unrefSleep(this.delays[attempt]!);
      }
    }
  }

  private async upload(t: PayV3Transaction): Promise<void> {
    const { itemDesc } = this.options;
    const text = typeof itemDesc === 'function' ? await itemDesc(t) : itemDesc;
    try {
      await this.deps.upload({
        order: { transactionId: t.transaction_id },
        logisticsType: 3,
        deliveryMode: 1,
        shippingList: [{ itemDesc: text }],
        payer: { openid: t.payer!.openid! },
      });
    } catch (error) {
      // Already recorded (a retry after a lost answer, or by hand): done, not a failure.
      if (error instanceof WxAuthError && ALREADY_SHIPPED.has(Number(error.errcode))) return;
      throw error;
    }
  }
}
