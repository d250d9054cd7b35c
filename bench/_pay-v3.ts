/**
 * Fixtures for the v3 pay benchmarks (not a benchmark itself: `bench/run.js` skips files starting
 * with `_`): RSA-2048 key pairs generated once per run (the merchant's and WeChat Pay's), handed
 * to child servers through the environment, correctly signed and encrypted notifies, and the
 * shapes of the two peers' APIs that the benchmarks call.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encryptPayV3Resource } from '../lib/pay/v3/crypto';

export const APPID = 'wxbench000000001';
export const MCHID = '1900000109';
/** A fixture APIv3 key (32 bytes). */
export const API_V3_KEY = 'benchV3key0123456789abcdefghijkl';
export const SERIAL_NO = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
export const PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001234567890000000000000000';

export interface V3Fixture {
  merchantPrivatePem: string;
  merchantPublicPem: string;
  wechatPrivatePem: string;
  /** The WeChat Pay public key (`pub_key.pem`, SPKI). */
  wechatPublicPem: string;
  /** A payment notify as WeChat sends it: headers (lower-case, as Node gives them) and raw body. */
  notify(transactionId: string, nowMs?: number): SignedNotify;
  /** The decrypted `resource` of that notify. */
  transaction(transactionId: string): Record<string, unknown>;
}

export interface SignedNotify {
  headers: Record<'wechatpay-timestamp' | 'wechatpay-nonce' | 'wechatpay-signature' | 'wechatpay-serial', string>;
  body: string;
}

const ENV = 'BENCH_PAY_V3_FIXTURE';

/**
 * The run's key pairs: generated on first use in the parent, then read from the environment by
 * every child `startChild` spawns (it passes `process.env` on), so all sides share them.
 */
export function v3Fixture(): V3Fixture {
  let pems = process.env[ENV] ? (JSON.parse(process.env[ENV]) as Omit<V3Fixture, 'notify' | 'transaction'>) : undefined;
  if (!pems) {
    const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const merchant = pair();
    const wechat = pair();
    pems = { merchantPrivatePem: merchant.privateKey, merchantPublicPem: merchant.publicKey, wechatPrivatePem: wechat.privateKey, wechatPublicPem: wechat.publicKey };
    process.env[ENV] = JSON.stringify(pems);
  }
  const wechatKey: KeyObject = createPrivateKey(pems.wechatPrivatePem);
  const transaction = (transactionId: string): Record<string, unknown> => ({
    mchid: MCHID,
    appid: APPID,
    out_trade_no: `B${transactionId.slice(-12)}`,
    transaction_id: transactionId,
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: '2025-06-08T10:34:56+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
  });
  const notify = (transactionId: string, nowMs = Date.now()): SignedNotify => {
    const resource = encryptPayV3Resource(JSON.stringify(transaction(transactionId)), API_V3_KEY, randomBytes(6).toString('hex'), 'transaction');
    const body = JSON.stringify({
      id: `EV-${transactionId}`,
      create_time: '2025-06-08T10:34:57+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: resource.algorithm, ciphertext: resource.ciphertext, associated_data: resource.associated_data, nonce: resource.nonce },
    });
    const timestamp = String(Math.floor(nowMs / 1000));
    const nonce = randomBytes(16).toString('hex');
    const signature = sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`, 'utf8'), wechatKey).toString('base64');
    return { headers: { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': signature, 'wechatpay-serial': PUBLIC_KEY_ID }, body };
  };
  return { ...pems, notify, transaction };
}

// ---- the peers' surfaces we call ---------------------------------------------------------------

export interface NodeV3Instance {
  getSignature(method: string, nonce: string, timestamp: string, url: string, body?: unknown): string;
  getAuthorization(nonce: string, timestamp: string, signature: string): string;
  sign(str: string): string;
  verifySign(params: { timestamp: string; nonce: string; body: unknown; serial: string; signature: string; apiSecret?: string }): Promise<boolean>;
  decipher_gcm(ciphertext: string, associatedData: string, nonce: string, key?: string): unknown;
}

/** `wechatpay-node-v3`'s default export (a class with a static certificate map). */
export interface NodeV3Pay {
  new (options: Record<string, unknown>): NodeV3Instance;
  certificates: Record<string, string>;
}

export interface AxiosPlugin {
  Rsa: {
    KEY_TYPE_PUBLIC: 'public';
    KEY_TYPE_PRIVATE: 'private';
    from(thing: string | Buffer, type: 'public' | 'private'): unknown;
    sign(message: string, privateKey: unknown): string;
    verify(message: string, signature: string, publicKey: unknown): boolean;
  };
  Formatter: {
    authorization(mchid: string, nonce: string, signature: string, timestamp: string, serial: string): string;
    request(method: string, uri: string, timestamp: string, nonce: string, body?: string): string;
    response(timestamp: string, nonce: string, body?: string): string;
    joinedByLineFeed(...parts: string[]): string;
  };
  Aes: { AesGcm: { decrypt(ciphertext: string, key: string, iv: string, aad?: string): string } };
}
