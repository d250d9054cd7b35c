import { encryptRefundInfo } from '../pay/crypto';
import { signPay, type PayParams } from '../pay/sign';
import { buildPayXml } from '../pay/xml';
import { randomId } from './ids';
import type { SimOrder, SimRefund } from './pay-state';

/**
 * Which amounts WeChat Pay v2 writes as bare numbers, per message; every other value is in CDATA.
 * From WeChat's answers as merchants recorded them: a payment notify has `<total_fee>1</total_fee>`
 * but `<cash_fee><![CDATA[1]]></cash_fee>`; an order query, a refund and a red packet write their
 * amounts bare; a refund query writes `refund_count` and the refund fees bare, `total_fee` and
 * `cash_fee` in CDATA; a refund notify's `req_info` is all CDATA.
 */
const setOf = (...fields: string[]) => {
  const set = new Set(fields);
  return (field: string) => set.has(field);
};
export const BARE_FIELDS = {
  payNotify: setOf('total_fee'),
  orderQuery: setOf('total_fee', 'cash_fee', 'settlement_total_fee', 'coupon_fee', 'coupon_count'),
  refund: setOf('refund_fee', 'settlement_refund_fee', 'total_fee', 'settlement_total_fee', 'cash_fee', 'cash_refund_fee', 'coupon_refund_fee', 'coupon_refund_count'),
  refundQuery: (field: string) => field === 'refund_count' || field === 'refund_fee' || /^refund_fee_\d+$/.test(field),
  redPack: setOf('total_amount'),
} as const;

/** The payment notify WeChat POSTs to `notify_url`, signed like the unified order was. */
export function payNotifyXml(order: SimOrder, key: string): string {
  const fields: PayParams = {
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    appid: order.appid,
    mch_id: order.mchid,
    nonce_str: randomId(32),
    openid: order.openid,
    device_info: order.deviceInfo,
    is_subscribe: 'N',
    trade_type: order.tradeType,
    bank_type: 'OTHERS',
    total_fee: order.totalFee,
    cash_fee: order.totalFee,
    fee_type: 'CNY',
    transaction_id: order.transactionId,
    out_trade_no: order.outTradeNo,
    attach: order.attach,
    time_end: order.timeEnd,
    sign_type: order.signType === 'MD5' ? undefined : order.signType,
  };
  fields.sign = signPay(fields, key, order.signType);
  return buildPayXml(fields, 'xml', BARE_FIELDS.payNotify);
}

/** The refund notify: unsigned, its details encrypted in `req_info` (AES-256-ECB, md5 of the key). */
export function refundNotifyXml(order: SimOrder, refund: SimRefund, key: string): string {
  const info = buildPayXml(
    {
      transaction_id: order.transactionId,
      out_trade_no: order.outTradeNo,
      refund_id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      total_fee: order.totalFee,
      refund_fee: refund.refundFee,
      settlement_refund_fee: refund.refundFee,
      refund_status: refund.status,
      success_time: refund.successTime,
      refund_recv_accout: '支付用户零钱',
      refund_account: 'REFUND_SOURCE_RECHARGE_FUNDS',
      refund_request_source: 'API',
    },
    'root',
  );
  return buildPayXml({ return_code: 'SUCCESS', appid: order.appid, mch_id: order.mchid, nonce_str: randomId(32), req_info: encryptRefundInfo(info, key) });
}
