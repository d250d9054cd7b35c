// STUB — replaced by WeChat Pay.
import type { Router } from 'express';
import type { SurfaceDeps } from '../deps';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PayApi {}
export function mountPay(_router: Router, _deps: SurfaceDeps): PayApi {
  throw new Error('not implemented yet');
}
