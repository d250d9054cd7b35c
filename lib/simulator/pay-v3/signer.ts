import { generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { randomId } from '../ids';
import { answerMessage, rsaPrivateKey, rsaSign } from './crypto';
import type { V3FaultSpec } from './faults';
import { SIM_PLATFORM_PRIVATE, SIM_PLATFORM_SERIAL, SIM_PUBLIC_KEY_ID, SIM_PUBLIC_KEY_PRIVATE } from './fixture';
import type { V3Mode } from './merchants';

const publicKeyPrivate = rsaPrivateKey(SIM_PUBLIC_KEY_PRIVATE);
const platformPrivate = rsaPrivateKey(SIM_PLATFORM_PRIVATE);
let foreign: KeyObject | undefined;

/** A key nobody trusts, made on first use: "signed, but not by WeChat". */
function foreignKey(): KeyObject {
  return (foreign ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
}

/** WeChat's private key for a serial it hands out (`Wechatpay-Serial` of a request's encrypted field). */
export function wechatPrivateKeyFor(serial: string, mode: V3Mode): KeyObject | undefined {
  if (serial === SIM_PUBLIC_KEY_ID && mode !== 'certificate') return publicKeyPrivate;
  if (serial.toUpperCase() === SIM_PLATFORM_SERIAL && mode !== 'publicKey') return platformPrivate;
  return undefined;
}

/** Which of WeChat's keys signs for a merchant in this mode; a switching merchant gets either at random. */
export function signingKey(mode: V3Mode): { serial: string; key: KeyObject } {
  const usePlatform = mode === 'certificate' || (mode === 'switch' && randomInt(2) === 1);
  return usePlatform ? { serial: SIM_PLATFORM_SERIAL, key: platformPrivate } : { serial: SIM_PUBLIC_KEY_ID, key: publicKeyPrivate };
}

/**
 * The `Wechatpay-*` headers of an answer or notify: a signature over `TIMESTAMP\nNONCE\nBODY\n`
 * (an empty body for a 204), altered as the fault says.
 */
export function signedHeaders(body: Buffer, mode: V3Mode, nowMs: number, fault?: V3FaultSpec): Record<string, string> {
  if (fault?.unsigned) return {};
  const { serial, key } = signingKey(mode);
  const timestamp = String(Math.floor(nowMs / 1000) - (fault?.staleSeconds ?? 0));
  const nonce = randomId(32);
  const signature = fault?.probe
    ? `WECHATPAY/SIGNTEST/${randomBytes(192).toString('base64')}`
    : rsaSign(answerMessage(timestamp, nonce, body), fault?.foreignKey ? foreignKey() : key);
  return {
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': fault?.serial ?? serial,
    'Wechatpay-Signature': signature,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    'Wechatpay-Timestamp': timestamp,
  };
}

/** WeChat's `Request-ID`: on every answer, so a merchant can quote it to WeChat support. */
export function requestId(): string {
  return `${randomBytes(16).toString('hex').toUpperCase()}-0`;
}
