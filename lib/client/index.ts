// STUB — replaced by the token / ticket cache.
import type { WxContext } from '../context';
import type { ResolvedOptions } from '../options';
import type { ApiClient } from './types';

export function createApiClient(_ctx: WxContext, _options: ResolvedOptions): ApiClient {
  throw new Error('not implemented yet');
}
