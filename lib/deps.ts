import type { WxContext } from './context';
import type { IdentityStorage } from './identity/types';
import type { ResolvedOptions } from './options';
import type { ErrorHandler, SuccessHandler } from './hooks';
import type { ApiClient } from './client/types';

/** The success / error hooks, settable after construction (`router.successHandler(fn)`). */
export interface HookRegistry {
  success?: SuccessHandler;
  error?: ErrorHandler;
}

/** What each surface's `mount…(router, deps)` receives from `wxauth()`. */
export interface SurfaceDeps {
  ctx: WxContext;
  options: ResolvedOptions;
  identity: IdentityStorage;
  hooks: HookRegistry;
  /** Basic access token / jsapi_ticket cache and the template-message sender. */
  client: ApiClient;
}
