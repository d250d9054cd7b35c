// STUB — replaced by the JWT identity storage (storage: 'jwt').
import type { WxContext } from '../context';
import type { ResolvedOptions } from '../options';
import type { IdentityStorage } from './types';

export function createJwtIdentity(_ctx: WxContext, _options: ResolvedOptions): IdentityStorage {
  throw new Error('not implemented yet');
}
