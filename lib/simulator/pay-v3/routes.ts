/**
 * The v3 endpoints on the pay host: transactions, refunds, bills, transfers, certificates. Each
 * goes through `v3Route` (checks, signature, signed answer); the rules live in the ledgers.
 */
import { X509Certificate } from 'node:crypto';
import type { Router } from 'express';
import { V3Fail, v3Route, sendFail, type V3ApiHost } from './api';
import type { V3Bills } from './bills';
import { gcmEncrypt } from './crypto';
import { SIM_PLATFORM_CERTIFICATE, SIM_PLATFORM_SERIAL } from './fixture';
import type { V3Ledger, V3Order, V3Refund, V3TradeType } from './ledger';
import type { V3Transfer, V3Transfers } from './transfers';
import { rfc3339 } from './util';

export interface V3RoutesHost extends V3ApiHost {
  ledger: V3Ledger;
  transfers: V3Transfers;
  bills: V3Bills;
  /** A new refund was accepted (not a repeat): settle it and notify, as the host's policy says. */
  refundAccepted(order: V3Order, refund: V3Refund): void;
  /** A bill changed state (cancel): notify when it is final. */
  transferChanged(bill: V3Transfer): void;
  /** The H5 cashier URL of an order (`h5_url`). */
  h5Url(origin: string, order: V3Order): string;
}

const TYPES: Record<string, V3TradeType> = { jsapi: 'JSAPI', app: 'APP', h5: 'H5', native: 'NATIVE' };

/** The query's `mchid` must be the caller's (direct-merchant queries name it). */
function queryMchid(query: Record<string, unknown>, mchid: string): void {
  if (query.mchid === undefined) throw new V3Fail(400, 'PARAM_ERROR', '输入源“/query/mchid”必填性规则校验失败，此字段为必填项', { location: 'query', field: 'mchid' });
  if (query.mchid !== mchid) throw new V3Fail(400, 'PARAM_ERROR', 'mchid与请求头Authorization中的商户号不一致', { location: 'query', field: 'mchid' });
}

export function refundJson(r: V3Refund): Record<string, unknown> {
  return {
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(r.successTime !== undefined ? { success_time: rfc3339(r.successTime) } : {}),
    create_time: rfc3339(r.createdAt),
    status: r.status,
    funds_account: 'AVAILABLE',
    amount: { total: r.total, refund: r.refund, from: [], payer_total: r.total, payer_refund: r.refund, settlement_refund: r.refund, settlement_total: r.total, discount_refund: 0, currency: 'CNY', refund_fee: 0 },
    promotion_detail: [],
  };
}

export function mountV3Routes(router: Router, host: V3RoutesHost): void {
  const { ledger, transfers, bills } = host;
  const q = (query: unknown) => (query ?? {}) as Record<string, unknown>;

  for (const [path, type] of Object.entries(TYPES)) {
    router.post(
      `/v3/pay/transactions/${path}`,
      v3Route(host, ({ m, body, origin }) => {
        const order = ledger.prepay(m, type, body);
        if (type === 'NATIVE') return { json: { code_url: order.codeUrl } };
        if (type === 'H5') return { json: { h5_url: host.h5Url(origin, order) } };
        return { json: { prepay_id: order.prepayId } };
      }),
    );
  }

  router.get(
    '/v3/pay/transactions/out-trade-no/:no',
    v3Route(host, ({ m, req }) => {
      queryMchid(q(req.query), m.mchid);
      return { json: ledger.transactionJson(ledger.find(m, { outTradeNo: String(req.params.no) })) };
    }),
  );
  router.get(
    '/v3/pay/transactions/id/:id',
    v3Route(host, ({ m, req }) => {
      queryMchid(q(req.query), m.mchid);
      return { json: ledger.transactionJson(ledger.find(m, { transactionId: String(req.params.id) })) };
    }),
  );
  router.post(
    '/v3/pay/transactions/out-trade-no/:no/close',
    v3Route(host, ({ m, body, req }) => {
      ledger.close(m, String(req.params.no), body);
      return { status: 204 };
    }),
  );

  router.post(
    '/v3/refund/domestic/refunds',
    v3Route(host, ({ m, body }) => {
      const { order, refund, repeated } = ledger.refund(m, body);
      const json = refundJson(refund);
      if (!repeated) host.refundAccepted(order, refund);
      return { json };
    }),
  );
  router.get(
    '/v3/refund/domestic/refunds/:no',
    v3Route(host, ({ m, req }) => ({ json: refundJson(ledger.findRefund(m.mchid, String(req.params.no))) })),
  );

  router.get('/v3/bill/tradebill', v3Route(host, ({ m, req, origin }) => ({ json: bills.request('trade', m.mchid, q(req.query), origin) })));
  router.get('/v3/bill/fundflowbill', v3Route(host, ({ m, req, origin }) => ({ json: bills.request('fund', m.mchid, q(req.query), origin) })));
  router.get('/v3/billdownload/file', v3Route(host, ({ m, req }) => ({ file: bills.download(m.mchid, q(req.query).token) })));

  const BILLS = '/v3/fund-app/mch-transfer/transfer-bills';
  router.post(
    BILLS,
    v3Route(host, ({ m, body, req }) => {
      const bill = transfers.create(m, body, req.get('wechatpay-serial'));
      return { json: { out_bill_no: bill.outBillNo, transfer_bill_no: bill.transferBillNo, create_time: rfc3339(bill.createdAt), state: bill.state, ...(bill.state === 'WAIT_USER_CONFIRM' ? { package_info: bill.packageInfo } : {}) } };
    }),
  );
  router.get(`${BILLS}/out-bill-no/:no`, v3Route(host, ({ m, req }) => ({ json: transfers.json(transfers.find(m.mchid, String(req.params.no))) })));
  router.post(
    `${BILLS}/out-bill-no/:no/cancel`,
    v3Route(host, ({ m, req }) => {
      const bill = transfers.cancel(transfers.find(m.mchid, String(req.params.no)));
      const json = { out_bill_no: bill.outBillNo, transfer_bill_no: bill.transferBillNo, state: bill.state, update_time: rfc3339(bill.updatedAt) };
      host.transferChanged(bill);
      return { json };
    }, { bodyless: true }),
  );

  router.get(
    '/v3/certificates',
    v3Route(host, ({ m }) => {
      // Merchants on the WeChat Pay public key have no platform certificate to download.
      if (m.mode === 'publicKey') throw new V3Fail(404, 'RESOURCE_NOT_EXISTS', '无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥');
      const cert = new X509Certificate(SIM_PLATFORM_CERTIFICATE);
      const encrypted = gcmEncrypt(SIM_PLATFORM_CERTIFICATE, m.apiV3Key, 'certificate');
      const effective = rfc3339(Date.parse(cert.validFrom));
      const expire = rfc3339(Date.parse(cert.validTo));
      return { json: { data: [{ serial_no: SIM_PLATFORM_SERIAL, effective_time: effective, expire_time: expire, encrypt_certificate: encrypted }] } };
    }),
  );

  // Anything else under /v3: WeChat's JSON 404 (not the simulator's errcode page).
  router.use('/v3', (req, res) => sendFail(res, host, undefined, new V3Fail(404, 'NOT_FOUND', '请求的资源不存在')));
}
