/**
 * The shop's two ways to take a payment: WeChat Pay v3 (the default: public-key mode, JSAPI in
 * WeChat, Native QR on desktop, H5 in other mobile browsers) and v2 (`PAY_API=v2`: Native QR).
 * Each turns the shop's few questions — start a payment, is it paid, refund it, tell me when it
 * is paid — into its API's calls; shop.ts holds the orders and pages and never sees which.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PayCertificate, PayV3JsapiParams, WxAuthOptions, WxAuthRouter } from '../../lib';
import type { ExampleContext, ExampleEnv } from '../context';
import { StartError } from '../start-error';

export type PayApiVersion = 'v2' | 'v3';
/** How the buyer pays: in WeChat (JSAPI), by scanning a QR code (NATIVE), or in another mobile browser (H5). */
export type Channel = 'JSAPI' | 'NATIVE' | 'H5';

/** `PAY_API`: `v3` (default) or `v2`. */
export function payApiOf(env: ExampleEnv): PayApiVersion {
  const value = env.PAY_API?.trim().toLowerCase() || 'v3';
  if (value !== 'v2' && value !== 'v3') throw new StartError(`PAY_API must be "v3" (the default) or "v2" (got ${JSON.stringify(env.PAY_API)})`);
  return value;
}

/** What a started payment gave us: a prepay id (JSAPI), a code_url (NATIVE) or an h5_url (H5). */
export interface Checkout {
  channel: Channel;
  prepayId?: string;
  codeUrl?: string;
  h5Url?: string;
}

export interface CheckoutInput {
  outTradeNo: string;
  description: string;
  total: number;
  channel: Channel;
  /** The buyer's openid under the pay appid (JSAPI). */
  openid: string;
  /** The buyer's IP (H5; v2 spbill_create_ip). */
  ip?: string;
}

/** What the shop does when WeChat says so; the adapters call these from their notify handlers. */
export interface ShopPayEvents {
  /** Your amount for the order (fen): a notify with another amount is refused before `paid`. */
  amountOf(outTradeNo: string): number | undefined;
  /** A verified payment notify; throw for an unknown order (WeChat then retries). */
  paid(outTradeNo: string, transactionId: string): void;
  /** A verified refund notify. */
  refunded(outTradeNo: string, status: string): void;
}

export interface ShopPay {
  readonly api: PayApiVersion;
  /** The channels this API offers here, best first (v2: NATIVE only). */
  readonly channels: readonly Channel[];
  /** The AppID payments are made under: JSAPI needs the buyer's openid under it. */
  readonly appid: string;
  listen(events: ShopPayEvents): void;
  checkout(input: CheckoutInput): Promise<Checkout>;
  /** For `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`, signed afresh for each page (JSAPI channel only). */
  jsapiParams?(prepayId: string): PayV3JsapiParams;
  /** Ask WeChat (the fallback when a notify is late): paid, with which transaction and amount. */
  query(outTradeNo: string): Promise<{ paid: boolean; transactionId?: string; total?: number }>;
  /** Refund the whole order; resolves with WeChat's refund status (`PROCESSING`, `SUCCESS`, …). */
  refund(outTradeNo: string, total: number): Promise<string>;
  /** The simulator's payer page for this payment, coming back to `returnUrl` (simulator mode only). */
  simulatorPayUrl?(checkout: Checkout, returnUrl: string): string | undefined;
}

const SHOP_TYPE = 'shop';

/**
 * `pay` options: offline, the simulator's merchant (v3: its keys and the simulator's public key;
 * v2: its key and a throwaway client certificate for refunds); else WX_PAY_* from the environment.
 */
export function payOptions(context: ExampleContext): Partial<WxAuthOptions> {
  const { env, credentials, simulator } = context;
  const api = payApiOf(env);
  const merchant = credentials.merchant;
  if (merchant?.appid && simulator) {
    if (api === 'v3') {
      const keys = credentials.merchantV3!;
      const v3 = { apiV3Key: keys.apiV3Key, serialNo: keys.serialNo, privateKey: keys.privateKey, publicKeyId: simulator.payV3.publicKeyId, publicKey: simulator.payV3.publicKey };
      return { pay: { appid: merchant.appid, mchid: merchant.mchid, v3 } };
    }
    const cert = throwawayCertificate(merchant.mchid);
    return { pay: { appid: merchant.appid, mchid: merchant.mchid, key: merchant.key!, clientIp: '127.0.0.1', sendName: 'Example Shop', ...(cert ? { cert } : {}) } };
  }
  const appid = env.WX_PAY_APPID ?? env.WX_MP_APPID;
  if (!env.WX_PAY_MCHID || !appid) return {};
  if (api === 'v3') {
    const { WX_PAY_APIV3_KEY: apiV3Key, WX_PAY_SERIAL_NO: serialNo, WX_PAY_PUBLIC_KEY_ID: publicKeyId } = env;
    if (!apiV3Key || !serialNo || !publicKeyId || !env.WX_PAY_PRIVATE_KEY_FILE || !env.WX_PAY_PUBLIC_KEY_FILE) return {};
    const v3 = { apiV3Key, serialNo, publicKeyId, privateKey: readSetting(env, 'WX_PAY_PRIVATE_KEY_FILE'), publicKey: readSetting(env, 'WX_PAY_PUBLIC_KEY_FILE') };
    return { pay: { appid, mchid: env.WX_PAY_MCHID, v3 } };
  }
  if (!env.WX_PAY_KEY) return {};
  return {
    pay: {
      appid,
      mchid: env.WX_PAY_MCHID,
      key: env.WX_PAY_KEY,
      ...(env.WX_PAY_CLIENT_IP ? { clientIp: env.WX_PAY_CLIENT_IP } : {}),
      ...(env.WX_PAY_PFX ? { cert: { pfx: readSetting(env, 'WX_PAY_PFX'), ...(env.WX_PAY_PFX_PASSPHRASE ? { passphrase: env.WX_PAY_PFX_PASSPHRASE } : {}) } } : {}),
    },
  };
}

/** What to set for real WeChat Pay, per API (the shop page says it when pay is not configured). */
export const PAY_SETTINGS: Record<PayApiVersion, string> = {
  v3: 'WX_PAY_MCHID, WX_PAY_APIV3_KEY, WX_PAY_SERIAL_NO, WX_PAY_PRIVATE_KEY_FILE (apiclient_key.pem), WX_PAY_PUBLIC_KEY_ID, WX_PAY_PUBLIC_KEY_FILE (pub_key.pem)',
  v2: 'WX_PAY_MCHID, WX_PAY_KEY (and WX_PAY_PFX for refunds)',
};

/**
 * The adapter for `router`'s configured API. `notifyUrlFor(path)` is the notify URL offline
 * (the address the example listens on), undefined when wxauth builds it from BASE_URL.
 */
export function createShopPay(router: WxAuthRouter, context: ExampleContext, notifyUrlFor: (path: string) => string | undefined): ShopPay {
  const api = payApiOf(context.env);
  const simulatorUrl = context.simulatorUrl;
  const appid = context.credentials.merchant?.appid ?? context.env.WX_PAY_APPID ?? context.env.WX_MP_APPID ?? '';
  const withUrl = (url: string | undefined) => (url ? { notifyUrl: url } : {});
  if (api === 'v3') {
    const v3 = router.pay.v3;
    return {
      api,
      appid,
      channels: ['JSAPI', 'NATIVE', 'H5'],
      listen(events) {
        // amountOf runs BEFORE the handler; the handler then runs once per transaction_id, however
        // often (and on however many processes) WeChat delivers the notify.
        v3.onNotify(
          (t, type) => {
            if (type !== SHOP_TYPE) throw new Error('not a shop order');
            events.paid(t.out_trade_no, t.transaction_id);
          },
          { amountOf: (outTradeNo, type) => (type === SHOP_TYPE ? events.amountOf(outTradeNo) : undefined) },
        ).onRefundNotify((r) => events.refunded(r.out_trade_no, r.refund_status));
      },
      async checkout(input) {
        const r = await v3.prepay({
          tradeType: input.channel,
          description: input.description,
          outTradeNo: input.outTradeNo,
          total: input.total,
          type: SHOP_TYPE,
          ...(input.channel === 'JSAPI' ? { openid: input.openid } : {}),
          ...(input.channel === 'H5' ? { payerClientIp: input.ip ?? '127.0.0.1' } : {}),
          ...withUrl(notifyUrlFor(`/wxpay/v3/${SHOP_TYPE}/callback`)),
        });
        return { channel: input.channel, ...r };
      },
      jsapiParams: (prepayId) => v3.jsapiParams(prepayId),
      async query(outTradeNo) {
        const q = await v3.orderQuery({ outTradeNo });
        const amount = q.amount as { total?: number } | undefined;
        return { paid: q.trade_state === 'SUCCESS', transactionId: String(q.transaction_id ?? ''), ...(typeof amount?.total === 'number' ? { total: amount.total } : {}) };
      },
      async refund(outTradeNo, total) {
        // The refund number is derived from the order: sending it again (after a timeout) is safe.
        const r = await v3.refund({ outTradeNo, outRefundNo: `${outTradeNo}R`, refund: total, total, reason: 'Example shop refund', ...withUrl(notifyUrlFor('/wxpay/v3/refund/callback')) });
        return typeof r.status === 'string' ? r.status : 'PROCESSING';
      },
      simulatorPayUrl(checkout, returnUrl) {
        // NATIVE: the cashier a phone opens on scanning the code (JSAPI and H5 need no stand-in link).
        const pr = checkout.codeUrl?.startsWith('weixin://') ? new URL(checkout.codeUrl).searchParams.get('pr') : null;
        return simulatorUrl && pr ? `${simulatorUrl}/sim/pay/v3/cashier?${new URLSearchParams({ pr, redirect_url: returnUrl })}` : undefined;
      },
    };
  }
  const v2 = router.pay;
  return {
    api,
    appid,
    channels: ['NATIVE'],
    listen(events) {
      v2.onNotify(
        (paid, type) => {
          if (type !== SHOP_TYPE) throw new Error('not a shop order');
          events.paid(paid.outTradeNo, paid.transactionId);
        },
        { amountOf: (outTradeNo, type) => (type === SHOP_TYPE ? events.amountOf(outTradeNo) : undefined) },
      ).onRefundNotify((r) => events.refunded(r.outTradeNo, r.refundStatus));
    },
    async checkout(input) {
      const r = await v2.prepay({
        body: input.description,
        outTradeNo: input.outTradeNo,
        totalFee: input.total,
        tradeType: 'NATIVE',
        type: SHOP_TYPE,
        ...(input.ip ? { spbillCreateIp: input.ip } : {}),
        ...withUrl(notifyUrlFor(`/wxpay/${SHOP_TYPE}/callback`)),
      });
      return { channel: 'NATIVE', prepayId: r.prepayId, ...(r.codeUrl ? { codeUrl: r.codeUrl } : {}) };
    },
    async query(outTradeNo) {
      const q = await v2.orderQuery({ outTradeNo });
      return { paid: q.tradeState === 'SUCCESS', ...(q.transactionId ? { transactionId: q.transactionId } : {}), ...(q.totalFee !== undefined ? { total: q.totalFee } : {}) };
    },
    async refund(outTradeNo, total) {
      await v2.refund({ outTradeNo, outRefundNo: `${outTradeNo}R`, totalFee: total, refundFee: total, ...withUrl(notifyUrlFor('/wxpay/refund/callback')) });
      return 'PROCESSING';
    },
    simulatorPayUrl(checkout, returnUrl) {
      return simulatorUrl && checkout.prepayId ? `${simulatorUrl}/sim/pay/cashier?${new URLSearchParams({ prepay_id: checkout.prepayId, redirect_url: returnUrl })}` : undefined;
    },
  };
}

function readSetting(env: ExampleEnv, name: string): Buffer {
  try {
    return readFileSync(env[name]!);
  } catch (error) {
    throw new StartError(`${name}: cannot read ${JSON.stringify(env[name])} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}): point it at the file`);
  }
}

/** A client certificate for the simulator's merchant, so the v2 shop can refund (offline only). */
function throwawayCertificate(mchid: string): PayCertificate | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-example-'));
  try {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', `/CN=${mchid}`, '-days', '30');
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } catch {
    console.warn('example: openssl not found; refunds are disabled (no merchant certificate).');
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
