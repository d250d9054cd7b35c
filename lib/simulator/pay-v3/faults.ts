/**
 * v3 faults: what WeChat Pay v3 does to a merchant that `sim.faults` (HTTP-level) cannot — probe
 * signatures, stale or future timestamps, signatures by a foreign key or under an unknown serial,
 * and WeChat's own JSON error answers. Same conventions as `../faults.ts`: the next `times` answers
 * on an exact path (or the next notifies, target `'notify'`), queued in order.
 */

export interface V3FaultSpec {
  /** Sign with a deliberately wrong signature, `WECHATPAY/SIGNTEST/…`, as WeChat's probes do. */
  probe?: boolean;
  /** Move `Wechatpay-Timestamp` this many seconds into the past (negative: into the future). */
  staleSeconds?: number;
  /** Sign with a key that is not WeChat's (under WeChat's serial): the signature must not verify. */
  foreignKey?: boolean;
  /** Put this in `Wechatpay-Serial` instead (e.g. an unknown `PUB_KEY_ID_…`). */
  serial?: string;
  /** Send no `Wechatpay-*` signature headers at all. */
  unsigned?: boolean;
  /** Answers only: refuse the request with this HTTP status and WeChat's JSON `{code, message}`, signed. */
  status?: number;
  /** `code` for `status`. Default `SYSTEM_ERROR` for 5xx, `INVALID_REQUEST` otherwise. */
  code?: string;
  /** `message` for `status`. */
  message?: string;
  /** How many answers (or notifies) the fault applies to. Default 1. */
  times?: number;
}

export interface SimV3Faults {
  /** Alter the next answers on `target` (an exact path such as `/v3/pay/transactions/jsapi`, query ignored) or the next notifies (`'notify'`). */
  inject(target: string, spec: V3FaultSpec): void;
  clear(): void;
  /** Faults still waiting, for one target or all. */
  pending(target?: string): number;
}

interface Pending extends V3FaultSpec {
  left: number;
}

function check(target: string, spec: V3FaultSpec): void {
  if (typeof target !== 'string' || (target !== 'notify' && !target.startsWith('/'))) {
    throw new Error(`simulator payV3.faults.inject: target must be a path starting with "/" or "notify" (got ${JSON.stringify(target)})`);
  }
  if (!spec || typeof spec !== 'object') throw new Error('simulator payV3.faults.inject: spec must be an object');
  const { probe, staleSeconds, foreignKey, serial, unsigned, status, times } = spec;
  if (!probe && staleSeconds === undefined && !foreignKey && serial === undefined && !unsigned && status === undefined) {
    throw new Error('simulator payV3.faults.inject: spec needs one of probe, staleSeconds, foreignKey, serial, unsigned or status');
  }
  if (staleSeconds !== undefined && !Number.isInteger(staleSeconds)) throw new Error('simulator payV3.faults.inject: staleSeconds must be an integer');
  if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) throw new Error('simulator payV3.faults.inject: status must be an HTTP error status (400-599)');
  if (status !== undefined && target === 'notify') throw new Error('simulator payV3.faults.inject: status applies to answers, not notifies');
  if (times !== undefined && !(Number.isInteger(times) && times >= 1)) throw new Error('simulator payV3.faults.inject: times must be an integer >= 1');
}

export class V3Faults implements SimV3Faults {
  private readonly queues = new Map<string, Pending[]>();

  inject(target: string, spec: V3FaultSpec): void {
    check(target, spec);
    const queue = this.queues.get(target) ?? [];
    queue.push({ ...spec, left: spec.times ?? 1 });
    this.queues.set(target, queue);
  }

  clear(): void {
    this.queues.clear();
  }

  pending(target?: string): number {
    const count = (q: Pending[] = []) => q.reduce((n, f) => n + f.left, 0);
    if (target !== undefined) return count(this.queues.get(target));
    return [...this.queues.values()].reduce((n, q) => n + count(q), 0);
  }

  /** The fault for this answer or notify, if one is waiting (it is used up). */
  take(target: string): V3FaultSpec | undefined {
    const queue = this.queues.get(target);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    if (--fault.left <= 0) queue.shift();
    if (queue.length === 0) this.queues.delete(target);
    return fault;
  }
}
