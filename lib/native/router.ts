// STUB — replaced by the native-app API.
import type { Router } from 'express';
import type { SurfaceDeps } from '../deps';

export function mountNative(_router: Router, _deps: SurfaceDeps): void {
  throw new Error('not implemented yet');
}
