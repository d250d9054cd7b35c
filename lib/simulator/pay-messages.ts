import { encryptRefundInfo } from '../pay/crypto';
import { signPay, type PayParams } from '../pay/sign';
import { buildPayXml } from '../pay/xml';
import { randomId } from './ids';
import type { SimOrder, SimRefund } from './pay-state';

/** The payment notify WeChat POSTs to `notify_url`, signed like the unified order was. */
export function payNotifyXml(order: SimOrder, key: string): string {
  const fields: PayParams = {
    return_code: 'SUCCESS',
    result_code: 'SUCCESS',
    appid: order.appid,
    mch_id: order.mchid,
    nonce_str: randomId(32),
    openid: order.openid,
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
  return buildPayXml(fields);
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
