import { randomBytes } from 'node:crypto';
import { encryptPayV3Resource } from '../../../lib/pay/v3/crypto';
import { signedHeaders, type Fault } from './fake-pay';
import { API_V3_KEY, APPID, MCHID } from './keys';

/** A notify as WeChat sends it: the encrypted resource, signed headers (or the fault asked for). */
export function makeNotify(
  resource: Record<string, unknown>,
  options: { event?: string; fault?: Fault; apiV3Key?: string; nowMs?: number; tamper?: 'ciphertext' | 'body' } = {},
): { headers: Record<string, string>; body: string } {
  const event = options.event ?? 'TRANSACTION.SUCCESS';
  const aad = event.startsWith('REFUND') ? 'refund' : event.startsWith('MCHTRANSFER') ? 'mch_payment' : 'transaction';
  const enc = encryptPayV3Resource(JSON.stringify(resource), options.apiV3Key ?? API_V3_KEY, randomBytes(6).toString('hex'), aad);
  if (options.tamper === 'ciphertext') {
    const bytes = Buffer.from(enc.ciphertext, 'base64');
    bytes[0]! ^= 1;
    enc.ciphertext = bytes.toString('base64');
  }
  const body = JSON.stringify({
    id: randomBytes(8).toString('hex'),
    create_time: '2025-06-08T10:34:56+08:00',
    resource_type: 'encrypt-resource',
    event_type: event,
    summary: '支付成功',
    resource: { original_type: 'transaction', ...enc },
  });
  const headers = signedHeaders(body, options.nowMs ?? Date.now(), options.fault);
  return { headers, body: options.tamper === 'body' ? body.replace('支付成功', '支付失败') : body };
}

export function transaction(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: APPID,
    mchid: MCHID,
    out_trade_no: 'ORDER000001',
    transaction_id: '4200000000000000000000000001',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: '2025-06-08T10:34:56+08:00',
    payer: { openid: 'oUser1' },
    amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
    ...over,
  };
}

export function refundNotice(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mchid: MCHID,
    out_trade_no: 'ORDER000001',
    transaction_id: '4200000000000000000000000001',
    out_refund_no: 'R1',
    refund_id: '50000000382019052709732678859',
    refund_status: 'SUCCESS',
    success_time: '2025-06-08T10:40:00+08:00',
    user_received_account: '招商银行信用卡0403',
    amount: { total: 100, refund: 100, payer_total: 100, payer_refund: 100 },
    ...over,
  };
}

export function transferNotice(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    out_bill_no: 'BILL0001',
    transfer_bill_no: '1330000071100999991182020050700019480001',
    state: 'SUCCESS',
    mch_id: MCHID,
    transfer_amount: 300000,
    openid: 'oUser1',
    create_time: '2025-01-01T12:00:00+08:00',
    update_time: '2025-01-01T12:05:00+08:00',
    ...over,
  };
}
