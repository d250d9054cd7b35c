import type { RequestHandler, Response } from 'express';
import type { FaultSpec, SimFaults } from './types';
import { errmsgOf } from './errcodes';
import { sendWechatJson, WECHAT_CONTENT_TYPE } from './http';

interface Pending extends FaultSpec {
  left: number;
}

function checkSpec(path: string, spec: FaultSpec): void {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`simulator faults.inject: path must start with "/" (got ${JSON.stringify(path)})`);
  if (!spec || typeof spec !== 'object') throw new Error('simulator faults.inject: spec must be an object');
  const { errcode, status, delayMs, destroy, times } = spec;
  if (errcode === undefined && status === undefined && delayMs === undefined && !destroy) {
    throw new Error('simulator faults.inject: spec needs one of errcode, status, delayMs or destroy');
  }
  if (errcode !== undefined && !Number.isInteger(errcode)) throw new Error('simulator faults.inject: errcode must be an integer');
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) throw new Error('simulator faults.inject: status must be an HTTP status (100-599)');
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) throw new Error('simulator faults.inject: delayMs must be a number >= 0');
  if (times !== undefined && !(Number.isInteger(times) && times >= 1)) throw new Error('simulator faults.inject: times must be an integer >= 1');
}

function statusPage(status: number): string {
  return `<html>\r\n<head><title>${status} Error</title></head>\r\n<body>\r\n<center><h1>${status} Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/**
 * Injected faults: the next N requests to an exact path answer an errcode, an HTTP error, late,
 * or not at all. Delays are timers we track, so `close()` can cancel them and never hang.
 */
export class Faults implements SimFaults {
  private readonly queues = new Map<string, Pending[]>();
  private readonly timers = new Set<NodeJS.Timeout>();

  inject(path: string, spec: FaultSpec): void {
    checkSpec(path, spec);
    const queue = this.queues.get(path) ?? [];
    queue.push({ ...spec, left: spec.times ?? 1 });
    this.queues.set(path, queue);
  }

  clear(): void {
    this.queues.clear();
  }

  pending(path?: string): number {
    const count = (q: Pending[] = []) => q.reduce((n, f) => n + f.left, 0);
    if (path !== undefined) return count(this.queues.get(path));
    let total = 0;
    for (const q of this.queues.values()) total += count(q);
    return total;
  }

  /** Cancel delayed answers (server closing); their requests are dropped with the connections. */
  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private take(path: string): FaultSpec | undefined {
    const queue = this.queues.get(path);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    if (--fault.left <= 0) queue.shift();
    if (queue.length === 0) this.queues.delete(path);
    return fault;
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const fault = this.take(req.path);
      if (!fault) return next();
      const act = () => {
        if (fault.destroy) return void req.socket.destroy();
        if (fault.errcode !== undefined) return sendWechatJson(res.status(200), { errcode: fault.errcode, errmsg: fault.errmsg ?? errmsgOf(fault.errcode) }, WECHAT_CONTENT_TYPE.text);
        if (fault.status !== undefined) return sendStatus(res, fault);
        next();
      };
      if (!fault.delayMs) return act();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!res.writableEnded && !req.socket.destroyed) act();
      }, fault.delayMs);
      this.timers.add(timer);
    };
  }
}

function sendStatus(res: Response, fault: FaultSpec): void {
  const body = fault.body === undefined ? statusPage(fault.status!) : fault.body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.status(fault.status!).type(fault.contentType ?? (typeof body === 'string' ? 'text/html' : 'application/json')).send(text);
}
