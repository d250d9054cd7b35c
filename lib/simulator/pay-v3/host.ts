/**
 * WeChat Pay v3's host on the simulator (`sim.payV3`): the v3 endpoints with RSA-signed answers
 * under fixture keys (`routes.ts`, `api.ts`), GCM notifies with redelivery (`notify.ts`), the
 * cashier pages (`cashier.ts`), and fault injection (`faults.ts`). WeChat has no v3 sandbox.
 */
import type { Router } from 'express';
import { randomId } from '../ids';
import type { SimMerchant } from '../types';
import { V3Fail } from './api';
import { V3Bills } from './bills';
import { mountV3Cashier } from './cashier';
import { V3Faults, type SimV3Faults, type V3FaultSpec } from './faults';
import { SIM_PLATFORM_CERTIFICATE, SIM_PLATFORM_SERIAL, SIM_PUBLIC_KEY, SIM_PUBLIC_KEY_ID } from './fixture';
import { V3Ledger, type V3Order, type V3Refund } from './ledger';
import { checkV3Merchant, type V3Merchant, type V3Mode } from './merchants';
import { Sleeper, deliverV3, notifyEnvelope, type V3DeliveryPolicy, type V3NotifyDelivery, type V3NotifyKind } from './notify';
import { mountV3Routes, refundJson } from './routes';
import { signedHeaders } from './signer';
import { V3Transfers, type V3Transfer } from './transfers';

export type { V3FaultSpec, SimV3Faults } from './faults';
export type { V3Order, V3Refund, V3TradeState, V3TradeType, V3RefundStatus } from './ledger';
export type { V3Transfer, V3TransferState } from './transfers';
export type { V3NotifyDelivery, V3DeliveryPolicy, V3NotifyKind } from './notify';
export type { V3Mode } from './merchants';

/** What the v3 host needs from the simulator. */
export interface PayV3HostSim {
  readonly merchants?: readonly SimMerchant[];
  now(): number;
  onReset?(fn: () => void): void;
  openidOf?(appid: string, user: string): string;
  userOf?(appid: string, openid: string): string | undefined;
}

export interface V3HostPolicy extends V3DeliveryPolicy {
  /** Accepted refunds turn SUCCESS (and notify) at once. `false`: they stay PROCESSING until `settleRefund`. Default true. */
  autoSettleRefunds: boolean;
}

type Settled<T> = Promise<T & { deliveries: V3NotifyDelivery[] }>;

/** `sim.payV3`: WeChat's keys, the v3 state, the payer's side, notifies and faults. */
export interface SimPayV3 {
  /** The WeChat Pay public key (SPKI PEM): `pay.v3.publicKey` on the library side. */
  readonly publicKey: string;
  /** Its id, `PUB_KEY_ID_…`: `pay.v3.publicKeyId`. */
  readonly publicKeyId: string;
  /** The platform certificate by serial (certificate and switch modes): `pay.v3.certificates`. */
  readonly platformCertificates: Readonly<Record<string, string>>;
  readonly faults: SimV3Faults;
  /** Notify redelivery and refund settling (mutable). */
  readonly policy: V3HostPolicy;
  /** Every notify POST so far, oldest first. */
  readonly deliveries: readonly V3NotifyDelivery[];
  readonly orders: readonly V3Order[];
  readonly refunds: readonly V3Refund[];
  readonly transfers: readonly V3Transfer[];
  /** An order by out_trade_no, of `mchid` or the first v3 merchant. */
  order(outTradeNo: string, mchid?: string): V3Order | undefined;
  /** Pay an order as its payer would (JSAPI: the openid's user; else `user`, default alice); resolves after every notify delivery. */
  pay(outTradeNo: string, options?: { user?: string; mchid?: string }): Settled<{ order: V3Order }>;
  refund(outRefundNo: string, mchid?: string): V3Refund | undefined;
  /** Settle a PROCESSING refund (`autoSettleRefunds: false`) and send REFUND.SUCCESS / .CLOSED / .ABNORMAL. */
  settleRefund(outRefundNo: string, status: 'SUCCESS' | 'CLOSED' | 'ABNORMAL', mchid?: string): Settled<{ refund: V3Refund }>;
  transfer(outBillNo: string, mchid?: string): V3Transfer | undefined;
  /** The user accepts the transfer (as on the `requestMerchantTransfer` page): SUCCESS, then MCHTRANSFER.BILL.FINISHED. */
  confirmTransfer(outBillNo: string, mchid?: string): Settled<{ bill: V3Transfer }>;
  /** The transfer fails (e.g. the name did not match): FAIL with `fail_reason`, then the notify. */
  failTransfer(outBillNo: string, failReason?: string, mchid?: string): Settled<{ bill: V3Transfer }>;
  /** Give a merchant an available balance (fen): refunds and transfers beyond it answer 403 NOT_ENOUGH. `undefined`: unlimited (default). */
  setBalance(mchid: string, fen: number | undefined): void;
  /** Change how WeChat's keys are told to a merchant, e.g. to `switch` mid-test. */
  setMode(mchid: string, mode: V3Mode): void;
  /** Paths of the payer's pages (prefix with the simulator's URL). */
  cashierPath(outTradeNo: string, options?: { mchid?: string; redirectUrl?: string }): string;
  nativePath(outTradeNo: string, mchid?: string): string;
  transferPath(outBillNo: string, mchid?: string): string;
  /** A notify exactly as WeChat would POST it (headers and raw body), without sending it: for `handleNotify` tests. */
  buildNotify(mchid: string, kind: V3NotifyKind, resource: object, options?: { eventType?: string; fault?: V3FaultSpec }): { headers: Record<string, string>; body: string };
  /** Resolves when every notify started so far has finished its deliveries. */
  settled(): Promise<void>;
  reset(): void;
}

const DEFAULT_EVENT: Record<V3NotifyKind, string> = { pay: 'TRANSACTION.SUCCESS', refund: 'REFUND.SUCCESS', transfer: 'MCHTRANSFER.BILL.FINISHED' };

export function mountPayV3Host(router: Router, sim: PayV3HostSim): SimPayV3 {
  const v3Merchants = new Map<string, V3Merchant>();
  (sim.merchants ?? []).forEach((m, i) => {
    const checked = checkV3Merchant(m, i);
    if (checked) v3Merchants.set(m.mchid, checked);
  });
  const firstMchid = () => v3Merchants.keys().next().value ?? '';
  const now = () => sim.now();
  const ledger = new V3Ledger(now);
  const transfers = new V3Transfers(now, ledger);
  const bills = new V3Bills(now, ledger, transfers);
  const faults = new V3Faults();
  const sleeper = new Sleeper();
  const deliveries: V3NotifyDelivery[] = [];
  const pending = new Set<Promise<unknown>>();
  const policy: V3HostPolicy = { retryDelaysMs: [10, 20, 40, 80, 160], timeoutMs: 5000, duplicates: 0, autoSettleRefunds: true };

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };
  /** Start a notify; `first` settles with its first delivery, `all` when WeChat would stop. */
  const send = (kind: V3NotifyKind, id: string, url: string | undefined, m: V3Merchant, resource: object, eventType = DEFAULT_EVENT[kind]) => {
    if (!url) return { first: Promise.resolve(undefined), all: Promise.resolve([] as V3NotifyDelivery[]) };
    let resolveFirst!: (d: V3NotifyDelivery | undefined) => void;
    const first = new Promise<V3NotifyDelivery | undefined>((r) => (resolveFirst = r));
    const envelope = notifyEnvelope(kind, eventType, m, resource, now());
    const all = track(
      deliverV3({ policy, faults, sleeper, now, onEach: (d) => (deliveries.push(d), d.attempt === 1 && resolveFirst(d)) }, { kind, id, eventType, url, m }, envelope).finally(() => resolveFirst(undefined)),
    );
    return { first, all };
  };
  const merchantOf = (mchid: string) => {
    const m = v3Merchants.get(mchid);
    if (!m) throw new Error(`simulator payV3: no v3 merchant "${mchid}"`);
    return m;
  };

  const payOrder = (order: V3Order, user: string) => {
    ledger.pay(order, order.openid ?? sim.openidOf?.(order.appid, user) ?? `o${randomId(27)}`);
    return send('pay', order.transactionId!, order.notifyUrl, merchantOf(order.mchid), ledger.transactionJson(order));
  };
  const refundNotify = (refund: V3Refund) => {
    const resource = {
      mchid: refund.mchid,
      transaction_id: refund.transactionId,
      out_trade_no: refund.outTradeNo,
      refund_id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      refund_status: refund.status,
      ...(refund.successTime !== undefined ? { success_time: refundJson(refund).success_time } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: refund.total, refund: refund.refund, payer_total: refund.total, payer_refund: refund.refund },
    };
    return send('refund', refund.refundId, refund.notifyUrl, merchantOf(refund.mchid), resource, `REFUND.${refund.status}`);
  };
  const transferNotify = (bill: V3Transfer) => send('transfer', bill.outBillNo, bill.notifyUrl, merchantOf(bill.mchid), transfers.notifyJson(bill));
  /** WeChat notifies after it answered: start on the next turn, after the answer is written. */
  const later = <T>(fn: () => Promise<T>) => void track(new Promise<void>((r) => setImmediate(r)).then(fn));

  const cashier = mountV3Cashier(router, {
    ledger,
    transfers,
    merchant: (mchid) => v3Merchants.get(mchid),
    now,
    userOf: (appid, openid) => sim.userOf?.(appid, openid),
    pay: (order, user) => payOrder(order, user).first,
    confirmTransfer: (bill) => transferNotify(transfers.confirm(bill)).first,
  });
  mountV3Routes(router, {
    merchant: (mchid) => (mchid ? v3Merchants.get(mchid) : undefined),
    knownMchid: (mchid) => (sim.merchants ?? []).some((m) => m.mchid === mchid),
    now,
    faults,
    ledger,
    transfers,
    bills,
    h5Url: cashier.h5Url,
    refundAccepted(_order, refund) {
      if (!policy.autoSettleRefunds) return;
      ledger.settleRefund(refund, 'SUCCESS');
      later(() => refundNotify(refund).all);
    },
    transferChanged(bill) {
      if (bill.state !== 'CANCELING') return;
      transfers.finish(bill, 'CANCELLED');
      later(() => transferNotify(bill).all);
    },
  });

  const orderOf = (outTradeNo: string, mchid = firstMchid()) => ledger.byTradeNo(mchid, outTradeNo);
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`simulator payV3: unknown ${what}`);
    return value;
  };
  const billOf = (outBillNo: string, mchid = firstMchid()) => transfers.all().find((b) => b.mchid === mchid && b.outBillNo === outBillNo);
  const refundOf = (outRefundNo: string, mchid = firstMchid()) => ledger.allRefunds().find((r) => r.mchid === mchid && r.outRefundNo === outRefundNo);
  const reset = () => {
    sleeper.cancelAll();
    ledger.reset();
    transfers.reset();
    bills.reset();
    cashier.reset();
    faults.clear();
    deliveries.length = 0;
  };
  sim.onReset?.(reset);

  return {
    publicKey: SIM_PUBLIC_KEY,
    publicKeyId: SIM_PUBLIC_KEY_ID,
    platformCertificates: Object.freeze({ [SIM_PLATFORM_SERIAL]: SIM_PLATFORM_CERTIFICATE }),
    faults,
    policy,
    deliveries,
    get orders() {
      return ledger.allOrders();
    },
    get refunds() {
      return ledger.allRefunds();
    },
    get transfers() {
      return transfers.all();
    },
    order: orderOf,
    async pay(outTradeNo, options = {}) {
      const order = need(orderOf(outTradeNo, options.mchid), `out_trade_no "${outTradeNo}"`);
      const user = (order.openid && sim.userOf?.(order.appid, order.openid)) || options.user || 'alice';
      return { order, deliveries: await payOrder(order, user).all };
    },
    refund: refundOf,
    async settleRefund(outRefundNo, status, mchid) {
      const refund = need(refundOf(outRefundNo, mchid), `out_refund_no "${outRefundNo}"`);
      if (refund.status !== 'PROCESSING' && refund.status !== 'ABNORMAL') throw new V3Fail(400, 'INVALID_REQUEST', `refund is ${refund.status}`);
      ledger.settleRefund(refund, status);
      return { refund, deliveries: await refundNotify(refund).all };
    },
    transfer: billOf,
    async confirmTransfer(outBillNo, mchid) {
      const bill = transfers.confirm(need(billOf(outBillNo, mchid), `out_bill_no "${outBillNo}"`));
      return { bill, deliveries: await transferNotify(bill).all };
    },
    async failTransfer(outBillNo, failReason = 'NAME_NOT_CORRECT', mchid) {
      const bill = need(billOf(outBillNo, mchid), `out_bill_no "${outBillNo}"`);
      if (bill.state !== 'WAIT_USER_CONFIRM') throw new V3Fail(400, 'INVALID_REQUEST', `transfer is ${bill.state}`);
      transfers.finish(bill, 'FAIL', failReason);
      return { bill, deliveries: await transferNotify(bill).all };
    },
    setBalance(mchid, fen) {
      if (fen === undefined) ledger.balances.delete(mchid);
      else ledger.balances.set(mchid, fen);
    },
    setMode(mchid, mode) {
      merchantOf(mchid).mode = mode;
    },
    cashierPath(outTradeNo, options = {}) {
      const order = need(orderOf(outTradeNo, options.mchid), `out_trade_no "${outTradeNo}"`);
      return `/sim/pay/v3/cashier?${new URLSearchParams({ prepay_id: order.prepayId, ...(options.redirectUrl ? { redirect_url: options.redirectUrl } : {}) })}`;
    },
    nativePath(outTradeNo, mchid) {
      const order = need(orderOf(outTradeNo, mchid), `out_trade_no "${outTradeNo}"`);
      if (!order.pr) throw new Error(`simulator payV3: "${outTradeNo}" is not a NATIVE order`);
      return `/sim/pay/v3/native?pr=${order.pr}`;
    },
    transferPath(outBillNo, mchid) {
      const bill = need(billOf(outBillNo, mchid), `out_bill_no "${outBillNo}"`);
      return `/sim/pay/v3/transfer?${new URLSearchParams({ package: bill.packageInfo })}`;
    },
    buildNotify(mchid, kind, resource, options = {}) {
      const m = merchantOf(mchid);
      const envelope = notifyEnvelope(kind, options.eventType ?? DEFAULT_EVENT[kind], m, resource, now());
      const headers = { 'Content-Type': 'application/json', ...signedHeaders(Buffer.from(envelope.body), m.mode, now(), options.fault) };
      return { headers, body: envelope.body };
    },
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    reset,
  };
}
