/**
 * Trade and fund-flow bills in WeChat's CSV layout (every value prefixed with a backtick, a summary
 * block at the end), built from the ledger for one Beijing day, and the short-lived download URLs.
 *
 * `hash_value` is the SHA-1 of the **uncompressed** file, also when `tar_type=GZIP` delivers it
 * gzipped: WeChat documents hash_value as "原始账单（gzip需要解压缩）的摘要值" — the digest of the
 * original bill, so a merchant gunzips first, then checks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { V3Fail } from './api';
import type { V3Ledger } from './ledger';
import type { V3Transfers } from './transfers';
import { beijingDate } from './util';

/** WeChat's download URLs are valid for 5 minutes. */
const DOWNLOAD_TTL = 5 * 60_000;
const BILL_DATE = /^\d{4}-\d\d-\d\d$/;

interface Download {
  mchid: string;
  bytes: Buffer;
  gzip: boolean;
  expiresAt: number;
}

const yuan = (fen: number) => (fen / 100).toFixed(2);
const beijingClock = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
const row = (values: Array<string | number>) => values.map((v) => `\`${v}`).join(',');

export class V3Bills {
  private downloads = new Map<string, Download>();

  constructor(
    private readonly now: () => number,
    private readonly ledger: V3Ledger,
    private readonly transfers: V3Transfers,
  ) {}

  reset(): void {
    this.downloads = new Map();
  }

  /**
   * `GET /v3/bill/tradebill` / `fundflowbill`. Any past day within 3 months works, and today too
   * (what happened so far: a simulator convenience — WeChat has a day's bill from 9:00 the next day).
   */
  request(kind: 'trade' | 'fund', mchid: string, query: Record<string, unknown>, origin: string): { hash_type: 'SHA1'; hash_value: string; download_url: string } {
    const date = typeof query.bill_date === 'string' ? query.bill_date : undefined;
    if (!date) throw new V3Fail(400, 'PARAM_ERROR', '输入源“/query/bill_date”必填性规则校验失败，此字段为必填项', { location: 'query', field: 'bill_date' });
    if (!BILL_DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00+08:00`))) throw new V3Fail(400, 'PARAM_ERROR', '输入源“/query/bill_date”格式校验失败，应为yyyy-MM-DD', { location: 'query', field: 'bill_date' });
    const today = beijingDate(this.now());
    const oldest = beijingDate(this.now() - 90 * 86_400_000);
    if (date > today || date < oldest) throw new V3Fail(400, 'NO_STATEMENT_EXIST', '账单文件不存在，bill_date须在三个月内且不能是将来');
    const tar = query.tar_type;
    if (tar !== undefined && tar !== 'GZIP') throw new V3Fail(400, 'PARAM_ERROR', '输入源“/query/tar_type”枚举值校验失败，仅支持GZIP', { location: 'query', field: 'tar_type' });
    let csv: string;
    if (kind === 'trade') {
      const type = query.bill_type ?? 'ALL';
      if (type !== 'ALL' && type !== 'SUCCESS' && type !== 'REFUND') throw new V3Fail(400, 'PARAM_ERROR', '输入源“/query/bill_type”枚举值校验失败', { location: 'query', field: 'bill_type' });
      csv = this.tradeCsv(mchid, date, type);
    } else {
      const account = query.account_type ?? 'BASIC';
      if (account !== 'BASIC' && account !== 'OPERATION' && account !== 'FEES') throw new V3Fail(400, 'PARAM_ERROR', '输入源“/query/account_type”枚举值校验失败', { location: 'query', field: 'account_type' });
      csv = this.fundCsv(mchid, date, account);
    }
    const raw = Buffer.from(csv, 'utf8');
    const token = randomBytes(24).toString('base64url');
    this.downloads.set(token, { mchid, bytes: tar === 'GZIP' ? gzipSync(raw) : raw, gzip: tar === 'GZIP', expiresAt: this.now() + DOWNLOAD_TTL });
    return { hash_type: 'SHA1', hash_value: createHash('sha1').update(raw).digest('hex'), download_url: `${origin}/v3/billdownload/file?token=${token}` };
  }

  /** `GET /v3/billdownload/file?token=…` (signed request, unsigned answer — as WeChat's). */
  download(mchid: string, token: unknown): { bytes: Buffer; type: string } {
    const d = typeof token === 'string' ? this.downloads.get(token) : undefined;
    if (!d || d.mchid !== mchid) throw new V3Fail(400, 'PARAM_ERROR', '下载地址无效，请重新申请账单', { location: 'query', field: 'token' });
    if (this.now() > d.expiresAt) throw new V3Fail(400, 'INVALID_REQUEST', '下载地址已过期，请重新申请账单');
    return { bytes: d.bytes, type: d.gzip ? 'application/x-gzip' : 'text/plain; charset=utf-8' };
  }

  private tradeCsv(mchid: string, date: string, type: 'ALL' | 'SUCCESS' | 'REFUND'): string {
    const header = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
    const lines: string[] = [];
    let paid = 0;
    let refunded = 0;
    let fees = 0;
    const tradeType = { JSAPI: 'JSAPI', APP: 'APP', H5: 'MWEB', NATIVE: 'NATIVE' } as const;
    for (const o of this.ledger.allOrders()) {
      if (o.mchid !== mchid || o.successTime === undefined) continue;
      const common = [o.appid, mchid, 0, '', o.transactionId!, o.outTradeNo, o.openid ?? '', tradeType[o.tradeType]];
      if (type !== 'REFUND' && beijingDate(o.successTime) === date) {
        const fee = Math.round(o.total * 0.006);
        paid += o.total;
        fees += fee;
        lines.push(row([beijingClock(o.successTime), ...common, 'SUCCESS', 'OTHERS', 'CNY', yuan(o.total), '0.00', 0, 0, '0.00', '0.00', '', '', o.description, o.attach ?? '', yuan(fee), '0.60%', yuan(o.total), '0.00', '']));
      }
      if (type === 'SUCCESS') continue;
      for (const r of this.ledger.allRefunds()) {
        if (r.mchid !== mchid || r.outTradeNo !== o.outTradeNo || r.successTime === undefined || beijingDate(r.successTime) !== date) continue;
        refunded += r.refund;
        lines.push(row([beijingClock(r.successTime), ...common, 'REFUND', 'OTHERS', 'CNY', '0.00', '0.00', r.refundId, r.outRefundNo, yuan(r.refund), '0.00', 'ORIGINAL', 'SUCCESS', o.description, o.attach ?? '', '0.00', '0.60%', '0.00', yuan(r.refund), '']));
      }
    }
    const summary = row([lines.length, yuan(paid), yuan(refunded), '0.00', yuan(fees), yuan(paid), yuan(refunded)]);
    return `${header}\r\n${lines.map((l) => `${l}\r\n`).join('')}总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n${summary}\r\n`;
  }

  private fundCsv(mchid: string, date: string, account: 'BASIC' | 'OPERATION' | 'FEES'): string {
    const header = '记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号';
    const entries: Array<{ time: number; id: string; name: string; type: string; income: boolean; amount: number; note: string; ref: string }> = [];
    if (account === 'BASIC') {
      for (const o of this.ledger.allOrders()) {
        if (o.mchid === mchid && o.successTime !== undefined) entries.push({ time: o.successTime, id: o.transactionId!, name: '交易', type: '交易', income: true, amount: o.total, note: o.description, ref: o.outTradeNo });
      }
      for (const r of this.ledger.allRefunds()) {
        if (r.mchid === mchid && r.successTime !== undefined) entries.push({ time: r.successTime, id: r.refundId, name: '退款', type: '退款', income: false, amount: r.refund, note: '', ref: r.outRefundNo });
      }
    } else if (account === 'OPERATION') {
      for (const b of this.transfers.all()) {
        if (b.mchid === mchid && b.state === 'SUCCESS') entries.push({ time: b.updatedAt, id: b.transferBillNo, name: '商家转账', type: '转账', income: false, amount: b.amount, note: b.remark, ref: b.outBillNo });
      }
    }
    entries.sort((a, b) => a.time - b.time);
    let balance = 0;
    const lines: string[] = [];
    for (const e of entries) {
      balance += e.income ? e.amount : -e.amount;
      if (beijingDate(e.time) !== date) continue;
      lines.push(row([beijingClock(e.time), e.id, `${e.id}F`, e.name, e.type, e.income ? '收入' : '支出', yuan(e.amount), yuan(balance), 'system', e.note, e.ref]));
    }
    const day = entries.filter((e) => beijingDate(e.time) === date);
    const income = day.filter((e) => e.income);
    const out = day.filter((e) => !e.income);
    const sum = (xs: typeof entries) => yuan(xs.reduce((n, e) => n + e.amount, 0));
    const summary = row([day.length, income.length, sum(income), out.length, sum(out)]);
    return `${header}\r\n${lines.map((l) => `${l}\r\n`).join('')}资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n${summary}\r\n`;
  }
}

