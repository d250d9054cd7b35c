import { SUCCESS_REPLY } from '../pay/notify';

/** One POST of a notify to the merchant, as the simulator recorded it. */
export interface NotifyDelivery {
  kind: 'pay' | 'refund';
  /** transaction_id (pay) or refund_id (refund). */
  id: string;
  url: string;
  attempt: number;
  /** HTTP status, 0 when the merchant could not be reached. */
  status: number;
  /** The merchant answered exactly WeChat's SUCCESS XML. */
  ok: boolean;
}

export interface DeliveryPolicy {
  /** Each notify is POSTed this many times whatever the answers: WeChat repeats notifies too. Default 3. */
  repeats: number;
  /** While no delivery got SUCCESS, this many more attempts. Default 3. */
  retries: number;
  /** Pause between deliveries (ms). Default 10. */
  intervalMs: number;
  /** Per-delivery timeout (ms). Default 5000. */
  timeoutMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Is this WeChat's success reply? (WeChat itself accepts it with or without CDATA and return_msg.) */
export function isSuccessReply(text: string): boolean {
  return text.trim() === SUCCESS_REPLY || /<return_code>\s*(<!\[CDATA\[)?SUCCESS(]]>)?\s*<\/return_code>/.test(text);
}

/**
 * POST `xml` to `url` `repeats` times, then keep retrying while none succeeded. `onEach` sees
 * every delivery (the host keeps them in `sim.pay.deliveries`); the first one settles `first`.
 */
export function deliver(
  kind: NotifyDelivery['kind'],
  id: string,
  url: string,
  xml: string,
  policy: DeliveryPolicy,
  onEach: (d: NotifyDelivery) => void,
): { first: Promise<NotifyDelivery>; all: Promise<NotifyDelivery[]> } {
  let resolveFirst!: (d: NotifyDelivery) => void;
  const first = new Promise<NotifyDelivery>((resolve) => (resolveFirst = resolve));
  const all = (async () => {
    const done: NotifyDelivery[] = [];
    for (let attempt = 1; attempt <= policy.repeats || (attempt <= policy.repeats + policy.retries && !done.some((d) => d.ok)); attempt++) {
      if (attempt > 1) await sleep(policy.intervalMs);
      const d = await post(kind, id, url, xml, attempt, policy.timeoutMs);
      done.push(d);
      onEach(d);
      if (attempt === 1) resolveFirst(d);
    }
    return done;
  })();
  return { first, all };
}

async function post(kind: NotifyDelivery['kind'], id: string, url: string, xml: string, attempt: number, timeoutMs: number): Promise<NotifyDelivery> {
  try {
    const res = await fetch(url, { method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { kind, id, url, attempt, status: res.status, ok: res.status === 200 && isSuccessReply(text) };
  } catch {
    return { kind, id, url, attempt, status: 0, ok: false };
  }
}
