// STUB — replaced by the simulator's WeChat Pay host (unifiedorder, cashier, notifies, refunds).
import type { Router } from 'express';

export function mountPayHost(_router: Router, _sim: unknown): void {
  // not implemented yet
}
