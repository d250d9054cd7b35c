import { createHash, timingSafeEqual } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { WxPayError } from '../../errors';
import { argsError } from '../client';
import { MAX_BILL_BYTES, type PayV3Caller } from './http';
import type { PayV3FundFlowBillInput, PayV3TradeBillInput } from './types';

const BILL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Bills: a signed GET for `{hash_type, hash_value, download_url}` (verified like every answer),
 * then a signed GET of `download_url`. WeChat does not sign the file itself: it is gunzipped when
 * GZIP was asked for, then accepted only when the SHA-1 of the original bill is the signed `hash_value`.
 */
export class PayV3Bills {
  constructor(private readonly caller: PayV3Caller) {}

  tradeBill(input: PayV3TradeBillInput): Promise<Buffer> {
    const i = input ?? ({} as PayV3TradeBillInput);
    const billType = i.billType ?? 'ALL';
    if (!['ALL', 'SUCCESS', 'REFUND'].includes(billType)) throw argsError('billType', 'must be ALL, SUCCESS or REFUND');
    return this.bill('tradeBill', '/v3/bill/tradebill', { bill_date: billDate(i.billDate), bill_type: billType, tar_type: tarType(i.tarType) }, i.tarType === 'GZIP');
  }

  fundFlowBill(input: PayV3FundFlowBillInput): Promise<Buffer> {
    const i = input ?? ({} as PayV3FundFlowBillInput);
    const accountType = i.accountType ?? 'BASIC';
    if (!['BASIC', 'OPERATION', 'FEES'].includes(accountType)) throw argsError('accountType', 'must be BASIC, OPERATION or FEES');
    return this.bill('fundFlowBill', '/v3/bill/fundflowbill', { bill_date: billDate(i.billDate), account_type: accountType, tar_type: tarType(i.tarType) }, i.tarType === 'GZIP');
  }

  private async bill(what: string, path: string, query: Record<string, string | undefined>, gzip: boolean): Promise<Buffer> {
    const meta = await this.caller.call(what, { method: 'GET', path, query });
    const { hash_type: hashType, hash_value: hashValue, download_url: downloadUrl } = meta;
    if (hashType !== 'SHA1' || typeof hashValue !== 'string' || !/^[0-9a-fA-F]{40}$/.test(hashValue) || typeof downloadUrl !== 'string') {
      throw new WxPayError('pay_error', `WeChat Pay answered ${what} without a SHA1 hash_value and download_url`, { status: 502 });
    }
    const downloaded = await this.caller.download(what, downloadUrl);
    let file = downloaded;
    if (gzip) {
      try {
        file = gunzipSync(downloaded, { maxOutputLength: MAX_BILL_BYTES });
      } catch (cause) {
        throw new WxPayError('sign_error', `the ${what} file is not gzip`, { status: 502, cause });
      }
    }
    // hash_value is the digest of the original bill: "原始账单（gzip需要解压缩）的摘要值".
    const digest = createHash('sha1').update(file).digest();
    if (!timingSafeEqual(digest, Buffer.from(hashValue, 'hex'))) {
      throw new WxPayError('sign_error', `the ${what} file's SHA-1 is not the signed hash_value`, { status: 502 });
    }
    return file;
  }
}

function billDate(value: unknown): string {
  if (typeof value !== 'string' || !BILL_DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw argsError('billDate', 'must be YYYY-MM-DD');
  return value;
}

function tarType(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value !== 'GZIP') throw argsError('tarType', 'must be GZIP when given');
  return value;
}
