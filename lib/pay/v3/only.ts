import type { WxContext } from '../../context';
import { WxAuthError } from '../../errors';
import type { PayApi } from '../pay-api';
import type { NotifyReply } from '../types';
import { buildPayXml } from '../xml';
import type { PayV3Api } from './pay';

function v2Missing(): never {
  throw new WxAuthError('config_error', '"pay.key" is required for WeChat Pay v2 calls (only pay.v3 is configured: use router.pay.v3)', { field: 'pay.key' });
}

/** `router.pay.v3` when `pay.v3` is not configured. */
export function v3NotConfigured(): never {
  throw new WxAuthError('config_error', '"pay.v3" is required for WeChat Pay v3 calls', { field: 'pay.v3' });
}

/**
 * `router.pay` with `pay.v3` and no v2 `key`: every v2 call is a `config_error` (never a
 * signature under an undefined key), a v2 notify is answered FAIL, and `v3` is the API.
 */
export function payApiWithoutV2(ctx: WxContext, v3: PayV3Api): PayApi {
  const refused = async (): Promise<NotifyReply> => {
    ctx.logger.warn('wxpay: a v2 notify arrived but pay.key (v2) is not configured; answering FAIL');
    return { status: 404, ok: false, body: buildPayXml({ return_code: 'FAIL', return_msg: 'v2 not configured' }), contentType: 'application/xml; charset=utf-8' as const };
  };
  const api: PayApi = {
    prepay: async () => v2Missing(),
    jsapiParams: () => v2Missing(),
    appParams: () => v2Missing(),
    orderQuery: async () => v2Missing(),
    closeOrder: async () => v2Missing(),
    refund: async () => v2Missing(),
    refundQuery: async () => v2Missing(),
    sendRedPack: async () => v2Missing(),
    sign: () => v2Missing(),
    verify: () => false,
    onNotify: () => v2Missing(),
    onRefundNotify: () => v2Missing(),
    handleNotify: refused,
    handleRefundNotify: refused,
    notifyUrlFor: () => undefined,
    get endpoint() {
      return ctx.http.endpoints.pay;
    },
    v3,
  };
  return api;
}
