import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { WxAuthError } from '../../errors';
import { randomId } from '../ids';
import { DEFAULT_MERCHANT_NAME } from '../pages';
import type { SimMerchant, SimMerchantV3 } from '../types';
import { rsaPublicKey } from './crypto';

/** How a merchant is told WeChat's keys: public key (default), platform certificates, or both during a switch. */
export type V3Mode = 'publicKey' | 'certificate' | 'switch';

/** A merchant with a checked v3 block, as the v3 host uses it. */
export interface V3Merchant {
  mchid: string;
  /** What the cashier shows (WeChat shows the merchant's short name, never the mch_id). */
  name: string;
  /** AppIDs bound to the merchant; empty = any appid is accepted. */
  appids: ReadonlySet<string>;
  apiV3Key: string;
  serialNo: string;
  /** The merchant's apiclient public key: request signatures and `paySign` verify with it. */
  merchantKey: KeyObject;
  mode: V3Mode;
}

const MODES = new Set<V3Mode>(['publicKey', 'certificate', 'switch']);

function fail(field: string, message: string): never {
  throw new WxAuthError('config_error', `"${field}" ${message}`, { field });
}

/** Check one merchant's v3 block; a bad one is a `config_error` naming the field (never its value). */
export function checkV3Merchant(m: SimMerchant, index: number): V3Merchant | undefined {
  const v3 = m.v3 as SimMerchantV3 | undefined;
  if (v3 === undefined) return undefined;
  const at = `simulator.merchants.${index}.v3`;
  if (!v3 || typeof v3 !== 'object') fail(at, 'must be an object { apiV3Key, serialNo, merchantPublicKey, mode? }');
  if (typeof v3.apiV3Key !== 'string' || Buffer.byteLength(v3.apiV3Key, 'utf8') !== 32) fail(`${at}.apiV3Key`, 'must be a string of exactly 32 bytes');
  if (typeof v3.serialNo !== 'string' || !/^[0-9A-Fa-f]{8,40}$/.test(v3.serialNo)) fail(`${at}.serialNo`, 'must be the merchant certificate serial (hex, usually 40 digits)');
  let merchantKey: KeyObject;
  try {
    merchantKey = rsaPublicKey(v3.merchantPublicKey);
  } catch {
    fail(`${at}.merchantPublicKey`, 'must be the RSA public key (SPKI PEM) of the merchant apiclient key');
  }
  const mode = v3.mode ?? 'publicKey';
  if (!MODES.has(mode)) fail(`${at}.mode`, 'must be "publicKey", "certificate" or "switch"');
  if (v3.appids !== undefined && !(Array.isArray(v3.appids) && v3.appids.every((a) => typeof a === 'string'))) fail(`${at}.appids`, 'must be an array of AppIDs');
  const appids = new Set([...(m.appid ? [m.appid] : []), ...(v3.appids ?? [])]);
  const name = typeof m.name === 'string' && m.name ? m.name : DEFAULT_MERCHANT_NAME;
  return { mchid: m.mchid, name, appids, apiV3Key: v3.apiV3Key, serialNo: v3.serialNo.toUpperCase(), merchantKey, mode };
}

/** What `createSimMerchantV3()` returns: the merchant's own secrets and the block to give the simulator. */
export interface SimMerchantV3Keys {
  /** apiclient_key.pem (PKCS#8 PEM): the merchant signs requests and `paySign` with it. */
  privateKey: string;
  /** Its public half (SPKI PEM), what the simulator verifies with. */
  publicKey: string;
  /** The merchant API certificate serial: 40 upper-case hex digits. */
  serialNo: string;
  /** The APIv3 key: 32 characters. */
  apiV3Key: string;
  /** `{ apiV3Key, serialNo, merchantPublicKey }`, ready for `merchants[i].v3`. */
  v3: SimMerchantV3;
}

/**
 * A fresh merchant key pair, certificate serial and APIv3 key, for tests and development:
 *
 *   const keys = createSimMerchantV3();
 *   createSimulator({ apps, merchants: [{ mchid: '1900000109', key: '…', appid, v3: keys.v3 }] });
 *   // the library side: pay.v3 = { apiV3Key: keys.apiV3Key, serialNo: keys.serialNo, privateKey: keys.privateKey,
 *   //   publicKeyId: sim.payV3.publicKeyId, publicKey: sim.payV3.publicKey }
 */
export function createSimMerchantV3(options: { mode?: V3Mode } = {}): SimMerchantV3Keys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  // A positive 160-bit serial, as CAs issue them: the first hex digit below 8.
  const serialNo = (((randomBytes(1)[0]! % 7) + 1).toString(16) + randomBytes(20).toString('hex').slice(1)).toUpperCase();
  const apiV3Key = randomId(32);
  return { privateKey, publicKey, serialNo, apiV3Key, v3: { apiV3Key, serialNo, merchantPublicKey: publicKey, ...(options.mode ? { mode: options.mode } : {}) } };
}
