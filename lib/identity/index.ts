// STUB — replaced by the identity implementation (session / cookie / jwt).
import type { RequestHandler } from 'express';
import type { WxContext } from '../context';
import type { ResolvedOptions } from '../options';
import type { IdentityStorage } from './types';

export function createIdentityStorage(_ctx: WxContext, _options: ResolvedOptions): IdentityStorage {
  throw new Error('not implemented yet');
}

export function identityMiddleware(_storage: IdentityStorage): RequestHandler {
  throw new Error('not implemented yet');
}
