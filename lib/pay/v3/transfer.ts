import { argsError, requireFen, requireString } from '../client';
import { checkNotifyUrl, type PayV3Calls } from './api';
import { encryptPayV3Sensitive } from './crypto';
import { seg, type PayV3Caller } from './http';
import type { PayV3Json, PayV3TransferInput } from './types';

const BILL_NO = /^[A-Za-z0-9]{5,32}$/;
const BASE = '/v3/fund-app/mch-transfer/transfer-bills';

/**
 * 商家转账 (transfer-bills, WeChat's payout API since 2025-01-15). The answer's `package_info`
 * goes to `wx.requestMerchantTransfer` for the user to confirm. `user_name` is encrypted
 * (RSA-OAEP) under the WeChat Pay public key, sent with its id in `Wechatpay-Serial`.
 */
export class PayV3Transfers {
  constructor(
    private readonly caller: PayV3Caller,
    private readonly calls: PayV3Calls,
    private readonly appid: string,
  ) {}

  async transfer(input: PayV3TransferInput): Promise<PayV3Json> {
    if (!input || typeof input !== 'object') throw argsError('transfer', 'needs { outBillNo, openid, amount, remark, sceneId, sceneReportInfos }');
    const outBillNo = requireString(input.outBillNo, 'outBillNo', BILL_NO, 'must be 5-32 letters or digits');
    const remark = requireString(input.remark, 'remark');
    if (remark.length > 32) throw argsError('remark', 'must be at most 32 characters');
    if (!Array.isArray(input.sceneReportInfos) || !input.sceneReportInfos.length) throw argsError('sceneReportInfos', 'must list the scene\'s { infoType, infoContent }');
    const infos = input.sceneReportInfos.map((info, i) => ({
      info_type: requireString(info?.infoType, `sceneReportInfos[${i}].infoType`),
      info_content: requireString(info?.infoContent, `sceneReportInfos[${i}].infoContent`),
    }));
    const sensitive = input.userName !== undefined;
    const notifyUrl = input.notifyUrl !== undefined ? checkNotifyUrl(input.notifyUrl, 'notifyUrl') : this.calls.notifyUrlFor('transfer');
    const raw = await this.caller.call('transfer', {
      method: 'POST',
      path: BASE,
      sensitive,
      body: {
        appid: input.appid ?? this.appid,
        out_bill_no: outBillNo,
        transfer_scene_id: requireString(input.sceneId, 'sceneId', /^\d{1,16}$/, 'must be the scene id (digits)'),
        openid: requireString(input.openid, 'openid'),
        user_name: sensitive ? encryptPayV3Sensitive(requireString(input.userName, 'userName'), this.caller.keys.encryptKey) : undefined,
        transfer_amount: requireFen(input.amount, 'amount'),
        transfer_remark: remark,
        notify_url: notifyUrl,
        user_recv_perception: input.userRecvPerception,
        transfer_scene_report_infos: infos,
      },
    });
    this.calls.ours('transfer', raw, { out_bill_no: outBillNo });
    return raw;
  }

  async transferQuery(outBillNo: string): Promise<PayV3Json> {
    const no = requireString(outBillNo, 'outBillNo', BILL_NO, 'must be 5-32 letters or digits');
    const raw = await this.caller.call('transferQuery', { method: 'GET', path: `${BASE}/out-bill-no/${seg(no)}` });
    this.calls.ours('transferQuery', raw, { out_bill_no: no });
    return raw;
  }

  /** Cancel a bill the user has not confirmed yet (state becomes CANCELING, then CANCELLED). */
  async transferCancel(outBillNo: string): Promise<PayV3Json> {
    const no = requireString(outBillNo, 'outBillNo', BILL_NO, 'must be 5-32 letters or digits');
    const raw = await this.caller.call('transferCancel', { method: 'POST', path: `${BASE}/out-bill-no/${seg(no)}/cancel` });
    this.calls.ours('transferCancel', raw, { out_bill_no: no });
    return raw;
  }
}
