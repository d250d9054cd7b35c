// STUB — replaced by the JSSDK implementation.
import type { Router } from 'express';
import type { SurfaceDeps } from '../deps';

export interface JssdkApi {
  sign(url: string): Promise<{ appId: string; timestamp: number; nonceStr: string; signature: string }>;
}
export function mountJssdk(_router: Router, _deps: SurfaceDeps): JssdkApi | undefined {
  throw new Error('not implemented yet');
}
