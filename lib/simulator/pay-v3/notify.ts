/**
 * v3 notifies, as WeChat sends them: a JSON envelope whose `resource` is AES-256-GCM under the
 * merchant's APIv3 key, signed like an answer (a fresh timestamp and nonce on every attempt), POSTed
 * to the notify_url; redelivered while the merchant answers anything but 200/204 or times out.
 */
import { randomUUID } from 'node:crypto';
import { gcmEncrypt } from './crypto';
import type { V3Faults } from './faults';
import type { V3Merchant } from './merchants';
import { signedHeaders } from './signer';
import { rfc3339 } from './util';

export type V3NotifyKind = 'pay' | 'refund' | 'transfer';

/** One POST of a notify, as the simulator recorded it (never the plaintext). */
export interface V3NotifyDelivery {
  kind: V3NotifyKind;
  /** transaction_id, refund_id or out_bill_no. */
  id: string;
  /** The envelope's `id`: the same on every redelivery of one notify. */
  notifyId: string;
  eventType: string;
  url: string;
  attempt: number;
  /** HTTP status, 0 when the merchant could not be reached or timed out. */
  status: number;
  /** 200 or 204: WeChat stops redelivering. */
  ok: boolean;
  /** `Wechatpay-Serial` of this attempt. */
  serial?: string;
  /** This attempt carried an injected fault (probe, stale, …). */
  faulted?: boolean;
}

export interface V3DeliveryPolicy {
  /** Pauses before each redelivery while none succeeded; its length is how many redeliveries. Default fast: [10, 20, 40, 80, 160]. WeChat's own: `WECHAT_NOTIFY_RETRY_DELAYS_MS`. */
  retryDelaysMs: number[];
  /** Per-delivery timeout (WeChat waits 5 s). */
  timeoutMs: number;
  /** Extra deliveries after a success: WeChat may repeat a notify, merchants must not act twice. Default 0. */
  duplicates: number;
}

/** WeChat's schedule (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h), for a realistic run. */
export const WECHAT_NOTIFY_RETRY_DELAYS_MS: readonly number[] = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600].map((s) => s * 1000);

const EVENTS = {
  pay: { type: 'transaction', summary: { 'TRANSACTION.SUCCESS': '支付成功' } },
  refund: { type: 'refund', summary: { 'REFUND.SUCCESS': '退款成功', 'REFUND.ABNORMAL': '退款异常', 'REFUND.CLOSED': '退款关闭' } },
  transfer: { type: 'mch_payment', summary: { 'MCHTRANSFER.BILL.FINISHED': '商家转账单据终态通知' } },
} as const;

/** The envelope WeChat POSTs, `resource` encrypted with the merchant's APIv3 key. */
export function notifyEnvelope(kind: V3NotifyKind, eventType: string, m: Pick<V3Merchant, 'apiV3Key'>, resource: object, nowMs: number): { id: string; body: string } {
  const { type, summary } = EVENTS[kind];
  const id = randomUUID();
  const encrypted = gcmEncrypt(JSON.stringify(resource), m.apiV3Key, type);
  const envelope = {
    id,
    create_time: rfc3339(nowMs),
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary: (summary as Record<string, string>)[eventType] ?? '通知',
    resource: { original_type: type, algorithm: encrypted.algorithm, ciphertext: encrypted.ciphertext, associated_data: encrypted.associated_data, nonce: encrypted.nonce },
  };
  return { id, body: JSON.stringify(envelope) };
}

/** Timers that `reset()` can cut short, so no delivery loop outlives the simulator's state. */
export class Sleeper {
  private readonly waiting = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  generation = 0;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => (this.waiting.delete(entry), resolve()), ms), done: resolve };
      entry.timer.unref?.();
      this.waiting.add(entry);
    });
  }

  cancelAll(): void {
    this.generation++;
    for (const { timer, done } of this.waiting) {
      clearTimeout(timer);
      done();
    }
    this.waiting.clear();
  }
}

export interface DeliverContext {
  policy: V3DeliveryPolicy;
  faults: V3Faults;
  sleeper: Sleeper;
  now(): number;
  onEach(d: V3NotifyDelivery): void;
}

/** POST until a 200/204 (then `duplicates` more), at most 1 + retryDelaysMs.length times while failing. */
export async function deliverV3(
  ctx: DeliverContext,
  target: { kind: V3NotifyKind; id: string; eventType: string; url: string; m: V3Merchant },
  envelope: { id: string; body: string },
): Promise<V3NotifyDelivery[]> {
  const generation = ctx.sleeper.generation;
  const done: V3NotifyDelivery[] = [];
  let extra = 0;
  for (let attempt = 1; ; attempt++) {
    const ok = done.some((d) => d.ok);
    if (ok ? extra++ >= ctx.policy.duplicates : attempt > 1 + ctx.policy.retryDelaysMs.length) break;
    if (attempt > 1) await ctx.sleeper.sleep(ok ? 0 : (ctx.policy.retryDelaysMs[attempt - 2] ?? 0));
    if (ctx.sleeper.generation !== generation) break;
    const d = await post(ctx, target, envelope, attempt);
    done.push(d);
    ctx.onEach(d);
  }
  return done;
}

async function post(ctx: DeliverContext, t: { kind: V3NotifyKind; id: string; eventType: string; url: string; m: V3Merchant }, envelope: { id: string; body: string }, attempt: number): Promise<V3NotifyDelivery> {
  const fault = ctx.faults.take('notify');
  const body = Buffer.from(envelope.body);
  const signed = signedHeaders(body, t.m.mode, ctx.now(), fault);
  const base = { kind: t.kind, id: t.id, notifyId: envelope.id, eventType: t.eventType, url: t.url, attempt, ...(signed['Wechatpay-Serial'] ? { serial: signed['Wechatpay-Serial'] } : {}), ...(fault ? { faulted: true } : {}) };
  try {
    const res = await fetch(t.url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', Accept: '*/*', 'User-Agent': 'Mozilla/4.0', ...signed },
      signal: AbortSignal.timeout(ctx.policy.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { ...base, status: res.status, ok: res.status === 200 || res.status === 204 };
  } catch {
    return { ...base, status: 0, ok: false };
  }
}
