import express, { type Request, type Response, type Router } from 'express';
import { receivedSignType, signPay, verifyPay, type PayParams } from '../pay/sign';
import { buildPayXml, parsePayXml } from '../pay/xml';
import { randomId } from './ids';
import { BARE_FIELDS } from './pay-messages';
import { PayBizFail, PayReturnFail, type PayLedger, type SimOrder, type SimRefund } from './pay-state';
import { clientCertOk } from './pay-tls';
import type { SimMerchantV2 as SimMerchant } from './types';

type Fields = Record<string, string>;
interface Handled {
  fields: PayParams;
  /** Red packets answer unsigned, as WeChat does. */
  unsigned?: boolean;
  /** The amounts this answer writes without CDATA (`BARE_FIELDS`). */
  bare?: (field: string) => boolean;
  after?: () => void;
}

export interface PayApiHost {
  ledger: PayLedger;
  merchantOf(mchid: string | undefined): SimMerchant | undefined;
  cashierPath(prepayId: string): string;
  /** A refund was accepted: send its notify. */
  onRefund(order: SimOrder, refund: SimRefund): void;
}

const REDPACK_PATH = '/mmpaymkttransfers/sendredpack';
/** What WeChat Pay v2 labels its XML answers with (recorded `Content-Type: text/plain`, no charset). */
const XML_CONTENT_TYPE = 'text/plain';
const CERT_PATHS = new Set(['/secapi/pay/refund', REDPACK_PATH]);

/** What a red packet answer repeats of its request besides mch_id (the answer is unsigned: this ties it to the request). */
function redPackEcho(p: Fields): PayParams {
  return { mch_billno: p.mch_billno, wxappid: p.wxappid, re_openid: p.re_openid, total_amount: p.total_amount };
}

/**
 * The six v2 APIs. Each request is parsed, its merchant found, its appid matched, its signature
 * verified with the merchant key (the request's sign_type), the client certificate checked where
 * WeChat wants one; the answer is signed the same way — or `return_code` FAIL, unsigned, as at
 * WeChat, when any of that fails. Business refusals are `result_code` FAIL with an err_code.
 */
export function mountPayApi(router: Router, host: PayApiHost): void {
  const { ledger, merchantOf } = host;
  const api = (path: string, handle: (m: SimMerchant, p: Fields, req: Request) => Handled) => {
    router.post(path, express.text({ type: () => true, limit: '1mb' }), (req: Request, res: Response) => {
      res.setHeader('Content-Type', XML_CONTENT_TYPE);
      // A Buffer keeps the header as set (Express would append a charset to a string).
      const send = (xml: string) => res.send(Buffer.from(xml, 'utf8'));
      let m: SimMerchant | undefined;
      let p: Fields = {};
      try {
        try {
          p = parsePayXml(typeof req.body === 'string' ? req.body : '', { maxBytes: 1024 * 1024 });
        } catch {
          throw new PayReturnFail('XML格式错误');
        }
        m = merchantOf(p.mch_id);
        if (!m) throw new PayReturnFail('mch_id参数错误');
        const appid = p.appid ?? p.wxappid;
        if (m.appid && appid && appid !== m.appid) throw new PayReturnFail('appid和mch_id不匹配');
        const type = receivedSignType(p, 'MD5');
        if (!type || !verifyPay(p, m.key, type)) throw new PayReturnFail('签名错误');
        if (CERT_PATHS.has(path) && !clientCertOk(req, m.mchid)) throw new PayReturnFail('CA_ERROR');
        const out = handle(m, p, req);
        const common: PayParams = path === REDPACK_PATH ? {} : { appid: p.appid, mch_id: m.mchid, nonce_str: randomId(32) };
        const fields: PayParams = { return_code: 'SUCCESS', return_msg: 'OK', ...common, result_code: 'SUCCESS', ...out.fields };
        if (!out.unsigned) fields.sign = signPay(fields, m.key, type);
        send(buildPayXml(fields, 'xml', out.bare));
        out.after?.();
      } catch (error) {
        if (error instanceof PayReturnFail) {
          send(buildPayXml({ return_code: 'FAIL', return_msg: error.returnMsg }));
        } else if (error instanceof PayBizFail && m) {
          const type = receivedSignType(p, 'MD5') ?? 'MD5';
          const redPack = path === REDPACK_PATH;
          const fields: PayParams = {
            return_code: 'SUCCESS',
            return_msg: redPack ? error.errCodeDes : 'OK',
            ...(redPack ? {} : { appid: p.appid, nonce_str: randomId(32) }),
            mch_id: m.mchid,
            result_code: 'FAIL',
            err_code: error.errCode,
            err_code_des: error.errCodeDes,
            // A refused red packet echoes the request too, unsigned, as WeChat's does.
            ...(redPack ? redPackEcho(p) : {}),
          };
          if (!redPack) fields.sign = signPay(fields, m.key, type);
          send(buildPayXml(fields, 'xml', redPack ? BARE_FIELDS.redPack : undefined));
        } else {
          res.status(500);
          send(buildPayXml({ return_code: 'FAIL', return_msg: 'SYSTEMERROR' }));
        }
      }
    });
  };

  api('/pay/unifiedorder', (m, p, req) => {
    const order = ledger.unifiedOrder(m.mchid, p);
    const origin = `${req.protocol}://${req.get('host')}`;
    return {
      fields: {
        // The terminal the request named, repeated as WeChat's answer does.
        device_info: p.device_info,
        trade_type: order.tradeType,
        prepay_id: order.prepayId,
        code_url: order.codeUrl,
        mweb_url: order.tradeType === 'MWEB' ? `${origin}${host.cashierPath(order.prepayId)}` : undefined,
      },
    };
  });

  api('/pay/orderquery', (m, p) => {
    const o = ledger.find(m.mchid, p);
    const paid = o.state === 'SUCCESS' || o.state === 'REFUND';
    return {
      bare: BARE_FIELDS.orderQuery,
      fields: {
        device_info: o.deviceInfo,
        trade_state: o.state,
        trade_state_desc: { NOTPAY: '订单未支付', SUCCESS: '支付成功', CLOSED: '订单已关闭', REFUND: '转入退款' }[o.state],
        out_trade_no: o.outTradeNo,
        total_fee: o.totalFee,
        fee_type: 'CNY',
        trade_type: o.tradeType,
        openid: o.openid,
        attach: o.attach,
        ...(paid ? { transaction_id: o.transactionId, time_end: o.timeEnd, cash_fee: o.totalFee, bank_type: 'OTHERS', is_subscribe: 'N' } : {}),
      },
    };
  });

  api('/pay/closeorder', (m, p) => {
    ledger.close(m.mchid, p);
    return { fields: {} };
  });

  api('/secapi/pay/refund', (m, p) => {
    const { order, refund, repeated } = ledger.refund(m.mchid, p);
    return {
      bare: BARE_FIELDS.refund,
      fields: {
        transaction_id: order.transactionId,
        out_trade_no: order.outTradeNo,
        out_refund_no: refund.outRefundNo,
        refund_id: refund.refundId,
        refund_fee: refund.refundFee,
        total_fee: order.totalFee,
        cash_fee: order.totalFee,
        refund_channel: '',
      },
      after: repeated ? undefined : () => host.onRefund(order, refund),
    };
  });

  api('/pay/refundquery', (m, p) => {
    const { order, refunds } = ledger.queryRefunds(m.mchid, p);
    const fields: PayParams = {
      transaction_id: order.transactionId,
      out_trade_no: order.outTradeNo,
      total_fee: order.totalFee,
      cash_fee: order.totalFee,
      refund_fee: refunds.reduce((sum, r) => sum + r.refundFee, 0),
      refund_count: refunds.length,
    };
    refunds.forEach((r, i) => {
      Object.assign(fields, {
        [`out_refund_no_${i}`]: r.outRefundNo,
        [`refund_id_${i}`]: r.refundId,
        [`refund_fee_${i}`]: r.refundFee,
        [`refund_status_${i}`]: r.status,
        [`refund_success_time_${i}`]: r.successTime,
        [`refund_channel_${i}`]: 'ORIGINAL',
      });
    });
    return { fields, bare: BARE_FIELDS.refundQuery };
  });

  api(REDPACK_PATH, (m, p) => {
    const pack = ledger.sendRedPack(m.mchid, m.appid, p);
    return {
      unsigned: true,
      bare: BARE_FIELDS.redPack,
      fields: {
        return_msg: '发放成功',
        err_code: 'SUCCESS',
        err_code_des: '发放成功',
        // What the request asked for, as WeChat echoes it: the only tie of this unsigned answer to it.
        mch_billno: pack.mchBillno,
        mch_id: m.mchid,
        wxappid: pack.wxappid,
        re_openid: pack.reOpenid,
        total_amount: pack.totalAmount,
        send_listid: pack.sendListid,
      },
    };
  });
}
