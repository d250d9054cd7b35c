/**
 * 商家转账 (transfer-bills, WeChat's payout API since 2025-01-15), user-confirmation mode: a bill
 * starts WAIT_USER_CONFIRM, the user confirms in WeChat (`wx.requestMerchantTransfer` with the
 * bill's `package_info`; here a page or `sim.payV3.confirmTransfer`), then SUCCESS. A merchant may
 * cancel before that: CANCELING → CANCELLED. SUCCESS, FAIL and CANCELLED are final and notified.
 */
import { createHash, randomBytes } from 'node:crypto';
import { V3Fail, paramError } from './api';
import { oaepDecrypt } from './crypto';
import type { V3Ledger } from './ledger';
import type { V3Merchant } from './merchants';
import { wechatPrivateKeyFor } from './signer';
import { NOTIFY_URL, digits, fen, rfc3339, str } from './util';

export type V3TransferState = 'WAIT_USER_CONFIRM' | 'SUCCESS' | 'FAIL' | 'CANCELING' | 'CANCELLED';

export interface V3Transfer {
  mchid: string;
  appid: string;
  outBillNo: string;
  transferBillNo: string;
  sceneId: string;
  openid: string;
  /** The real name the merchant sent, decrypted (never logged). */
  userName?: string;
  amount: number;
  remark: string;
  notifyUrl?: string;
  /** For `wx.requestMerchantTransfer({ package })`. */
  packageInfo: string;
  state: V3TransferState;
  failReason?: string;
  createdAt: number;
  updatedAt: number;
  digest: string;
}

/** WeChat wants the payee's real name from ¥2,000 on. */
const NAME_REQUIRED_FROM = 200_000;
/** The smallest transfer WeChat takes: ¥0.10. */
const MIN_AMOUNT = 10;
const OUT_BILL_NO = /^[A-Za-z0-9]{5,32}$/;

export const FINAL_STATES = new Set<V3TransferState>(['SUCCESS', 'FAIL', 'CANCELLED']);

export class V3Transfers {
  private bills: V3Transfer[] = [];

  constructor(
    private readonly now: () => number,
    private readonly ledger: V3Ledger,
  ) {}

  reset(): void {
    this.bills = [];
  }

  all(): readonly V3Transfer[] {
    return this.bills;
  }

  byPackage(packageInfo: string): V3Transfer | undefined {
    return this.bills.find((b) => b.packageInfo === packageInfo);
  }

  find(mchid: string, outBillNo: string): V3Transfer {
    const bill = this.bills.find((b) => b.mchid === mchid && b.outBillNo === outBillNo);
    if (!bill) throw new V3Fail(404, 'NOT_FOUND', '记录不存在');
    return bill;
  }

  /** `POST /v3/fund-app/mch-transfer/transfer-bills`; `wechatpaySerial` is the request's `Wechatpay-Serial`. */
  create(m: V3Merchant, body: Record<string, unknown>, wechatpaySerial: string | undefined): V3Transfer {
    const appid = str(body, 'appid', { required: true, max: 32 })!;
    const outBillNo = str(body, 'out_bill_no', { required: true, pattern: OUT_BILL_NO })!;
    const sceneId = str(body, 'transfer_scene_id', { required: true, pattern: /^\d{1,36}$/ })!;
    const openid = str(body, 'openid', { required: true, max: 64 })!;
    const amount = fen(body, 'transfer_amount')!;
    const remark = str(body, 'transfer_remark', { required: true, max: 32 })!;
    const notifyUrl = str(body, 'notify_url', { max: 256, pattern: NOTIFY_URL });
    str(body, 'user_recv_perception', { max: 32 });
    const infos = body.transfer_scene_report_infos;
    if (!Array.isArray(infos) || !infos.length) throw paramError('transfer_scene_report_infos', '必填性规则校验失败，此字段为必填项');
    infos.forEach((info: unknown, i) => {
      if (!info || typeof info !== 'object' || Array.isArray(info)) throw paramError(`transfer_scene_report_infos/${i}`, '类型校验失败，应为对象');
      str(info as Record<string, unknown>, 'info_type', { required: true, max: 15 });
      str(info as Record<string, unknown>, 'info_content', { required: true, max: 32 });
    });
    if (amount < MIN_AMOUNT) throw paramError('transfer_amount', '数值校验失败，单笔转账金额最低为0.1元');
    if (m.appids.size && !m.appids.has(appid)) throw new V3Fail(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');
    const userName = this.userName(m, body, wechatpaySerial);
    if (amount >= NAME_REQUIRED_FROM && userName === undefined) throw paramError('user_name', '转账金额大于等于2000元时，收款用户姓名必填');

    const digest = createHash('sha256').update(JSON.stringify([appid, sceneId, openid, amount, remark, userName ?? ''])).digest('hex');
    const previous = this.bills.find((b) => b.mchid === m.mchid && b.outBillNo === outBillNo);
    if (previous) {
      if (previous.digest !== digest) throw new V3Fail(400, 'INVALID_REQUEST', '商户单号重复，且请求参数与原单据不一致');
      return previous;
    }
    this.ledger.spend(m.mchid, amount);
    const now = this.now();
    const bill: V3Transfer = {
      mchid: m.mchid,
      appid,
      outBillNo,
      transferBillNo: `1330000${digits(33)}`,
      sceneId,
      openid,
      amount,
      remark,
      packageInfo: randomBytes(48).toString('base64'),
      state: 'WAIT_USER_CONFIRM',
      createdAt: now,
      updatedAt: now,
      digest,
      ...(userName !== undefined ? { userName } : {}),
      ...(notifyUrl ? { notifyUrl } : {}),
    };
    this.bills.push(bill);
    return bill;
  }

  /**
   * `user_name` is RSA-OAEP (SHA-1) under WeChat's key, and the request names that key in
   * `Wechatpay-Serial` (the public key id, or a platform certificate serial in certificate mode).
   */
  private userName(m: V3Merchant, body: Record<string, unknown>, serial: string | undefined): string | undefined {
    const encrypted = str(body, 'user_name', { max: 2048 });
    if (encrypted === undefined) return undefined;
    if (!serial) throw new V3Fail(400, 'PARAM_ERROR', '请求中含有敏感信息加密字段，Http头缺少Wechatpay-Serial');
    const key = wechatPrivateKeyFor(serial, m.mode);
    if (!key) throw new V3Fail(400, 'PARAM_ERROR', 'Http头Wechatpay-Serial对应的微信支付公钥或平台证书不存在');
    const name = oaepDecrypt(encrypted, key);
    // A real name: printable, not blank, short (WeChat also checks it against the user's identity).
    if (name === undefined || !name.trim() || [...name].length > 64 || /[\p{Cc}]/u.test(name)) {
      throw paramError('user_name', '解密失败，请使用微信支付公钥以RSA-OAEP加密收款用户姓名');
    }
    return name;
  }

  /** The user accepted the transfer in WeChat: WAIT_USER_CONFIRM → SUCCESS. */
  confirm(bill: V3Transfer): V3Transfer {
    if (bill.state !== 'WAIT_USER_CONFIRM') throw new V3Fail(400, 'INVALID_REQUEST', `转账单状态为${bill.state}，不能确认收款`);
    return this.finish(bill, 'SUCCESS');
  }

  /** `POST …/out-bill-no/{no}/cancel`: only before the user confirmed. */
  cancel(bill: V3Transfer): V3Transfer {
    if (bill.state === 'CANCELING' || bill.state === 'CANCELLED') return bill;
    if (bill.state !== 'WAIT_USER_CONFIRM') throw new V3Fail(400, 'INVALID_REQUEST', `转账单状态为${bill.state}，不能撤销`);
    bill.state = 'CANCELING';
    bill.updatedAt = this.now();
    return bill;
  }

  finish(bill: V3Transfer, state: 'SUCCESS' | 'FAIL' | 'CANCELLED', failReason?: string): V3Transfer {
    if (state !== 'SUCCESS') {
      const balance = this.ledger.balances.get(bill.mchid);
      if (balance !== undefined) this.ledger.balances.set(bill.mchid, balance + bill.amount);
    }
    bill.state = state;
    bill.updatedAt = this.now();
    if (failReason) bill.failReason = failReason;
    return bill;
  }

  /** The bill as `GET …/out-bill-no/{no}` shows it. */
  json(bill: V3Transfer): Record<string, unknown> {
    return {
      mch_id: bill.mchid,
      out_bill_no: bill.outBillNo,
      transfer_bill_no: bill.transferBillNo,
      appid: bill.appid,
      state: bill.state,
      transfer_amount: bill.amount,
      transfer_remark: bill.remark,
      ...(bill.failReason ? { fail_reason: bill.failReason } : {}),
      openid: bill.openid,
      create_time: rfc3339(bill.createdAt),
      update_time: rfc3339(bill.updatedAt),
    };
  }

  /** What MCHTRANSFER.BILL.FINISHED carries, encrypted. */
  notifyJson(bill: V3Transfer): Record<string, unknown> {
    return {
      out_bill_no: bill.outBillNo,
      transfer_bill_no: bill.transferBillNo,
      state: bill.state,
      mch_id: bill.mchid,
      transfer_amount: bill.amount,
      openid: bill.openid,
      ...(bill.failReason ? { fail_reason: bill.failReason } : {}),
      create_time: rfc3339(bill.createdAt),
      update_time: rfc3339(bill.updatedAt),
    };
  }
}
