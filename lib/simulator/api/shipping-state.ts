import type { V3Order } from '../pay-v3/ledger';
import { fail } from '../state';

/** One parcel as uploaded. */
export interface SimParcel {
  trackingNo: string;
  expressCompany: string;
  itemDesc: string;
  /** Unix seconds, from the upload's `upload_time`. */
  uploadTime: number;
}

/** The shipping-info service's record of one paid mini-program order (`sim.shipping`). */
export interface SimShipment {
  appid: string;
  transactionId: string;
  mchid: string;
  outTradeNo: string;
  openid: string;
  /** 1 awaiting shipping, 2 shipped, 3 receipt confirmed, 5 refunded (WeChat's order_state). */
  orderState: 1 | 2 | 3 | 5;
  logisticsType?: number;
  deliveryMode?: number;
  /** Split delivery: whether everything has been shipped. */
  finishShipping: boolean;
  parcels: SimParcel[];
  /** Uploads accepted: the first, then WeChat's one re-upload. */
  uploads: number;
  /** When `notify_confirm_receive` was called (ms). */
  remindedAt?: number;
}

/**
 * The shipping-info service (发货信息管理) on the simulator. It sees the v3 host's orders: each
 * mini-program JSAPI order that was paid is "awaiting shipping" until an upload. No HTTP here.
 */
export class SimShipping {
  private shipments = new Map<string, SimShipment>();
  private jumpPaths = new Map<string, string>();
  private unmanaged = new Set<string>();

  constructor(
    private readonly orders: () => readonly V3Order[],
    private readonly isMiniprogram: (appid: string) => boolean,
  ) {}

  /** Every paid mini-program order of `appid` (all apps when omitted), with its shipping state. */
  all(appid?: string): SimShipment[] {
    return this.orders()
      .filter((o) => o.transactionId && o.tradeType === 'JSAPI' && (o.state === 'SUCCESS' || o.state === 'REFUND') && this.isMiniprogram(o.appid) && (!appid || o.appid === appid))
      .map((o) => this.of(o));
  }

  /** The v3 host's order behind a shipment (amount, description, times). */
  paidOrder(transactionId: string): V3Order | undefined {
    return this.orders().find((o) => o.transactionId === transactionId);
  }

  /** An order by transaction_id, or undefined. */
  byTransactionId(transactionId: string): SimShipment | undefined {
    return this.all().find((s) => s.transactionId === transactionId);
  }

  /** The order `key` names for `appid`: not found (or another mini program's) → 10060001. */
  find(appid: string, key: { transactionId?: string; mchid?: string; outTradeNo?: string }): SimShipment {
    const found = this.all(appid).find((s) => (key.transactionId ? s.transactionId === key.transactionId : s.mchid === key.mchid && s.outTradeNo === key.outTradeNo));
    return found ?? fail(10060001);
  }

  /** Record an upload: refunded → 10060004, a third upload → 10060003, completed split delivery → 10060002. */
  upload(s: SimShipment, upload: { logisticsType: number; deliveryMode: number; isAllDelivered?: boolean; parcels: SimParcel[] }): void {
    if (s.orderState === 5 || s.orderState === 3) fail(10060004);
    // A split delivery adds parcels until is_all_delivered; any other upload on a shipped order is the one re-upload.
    const adding = s.deliveryMode === 2 && upload.deliveryMode === 2 && !s.finishShipping && s.orderState === 2;
    if (!adding && s.orderState === 2) {
      if (s.deliveryMode === 2 && s.finishShipping && upload.deliveryMode === 2) fail(10060002);
      if (s.uploads >= 2) fail(10060003);
    }
    s.logisticsType = upload.logisticsType;
    s.deliveryMode = upload.deliveryMode;
    s.parcels = adding ? [...s.parcels, ...upload.parcels] : upload.parcels;
    s.finishShipping = upload.deliveryMode === 1 || upload.isAllDelivered === true;
    if (!adding) s.uploads++;
    s.orderState = 2;
  }

  /** The payer confirmed receipt (as with the confirm-receipt component): 3. */
  confirmReceive(transactionId: string): SimShipment {
    const s = this.byTransactionId(transactionId);
    if (!s) throw new Error(`simulator shipping: no paid mini-program order "${transactionId}"`);
    if (s.orderState !== 2) throw new Error(`simulator shipping: order "${transactionId}" is not shipped`);
    s.orderState = 3;
    return s;
  }

  setJumpPath(appid: string, path: string): void {
    this.jumpPaths.set(appid, path);
  }

  jumpPath(appid: string): string | undefined {
    return this.jumpPaths.get(appid);
  }

  /** Whether WeChat manages the mini program's trades (default true for every mini program). */
  setTradeManaged(appid: string, managed: boolean): void {
    if (managed) this.unmanaged.delete(appid);
    else this.unmanaged.add(appid);
  }

  tradeManaged(appid: string): boolean {
    return this.isMiniprogram(appid) && !this.unmanaged.has(appid);
  }

  reset(): void {
    this.shipments = new Map();
    this.jumpPaths = new Map();
    this.unmanaged = new Set();
  }

  private of(o: V3Order): SimShipment {
    let s = this.shipments.get(o.transactionId!);
    if (!s) {
      s = { appid: o.appid, transactionId: o.transactionId!, mchid: o.mchid, outTradeNo: o.outTradeNo, openid: o.openid ?? '', orderState: 1, finishShipping: false, parcels: [], uploads: 0 };
      this.shipments.set(o.transactionId!, s);
    }
    // A refund after payment shows as refunded (WeChat's order_state 5), shipped or not.
    if (o.state === 'REFUND' && o.refunded >= o.total) s.orderState = 5;
    return s;
  }
}
