// STUB — replaced by mini-program login.
import type { Router } from 'express';
import type { SurfaceDeps } from '../deps';

export function mountMiniprogram(_router: Router, _deps: SurfaceDeps): void {
  throw new Error('not implemented yet');
}
