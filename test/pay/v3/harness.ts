import { defaultRandomHex, type WxContext } from '../../../lib/context';
import type { Logger } from '../../../lib/log';
import { loadPayV3Keys, type PayV3Keys, type PayV3Options } from '../../../lib/pay/v3/options';
import type { PayV3Error } from '../../../lib/pay/v3/errors';
import { MemoryStore, type Store } from '../../../lib/store';
import { WechatClient } from '../../../lib/wechat/client';
import { API_V3_KEY, MERCHANT_KEY, PLATFORM_CERT, PLATFORM_SERIAL, PUBLIC_KEY_ID, SERIAL_NO, WECHATPAY_PUB } from './keys';

export type KeyMode = 'publicKey' | 'certificates' | 'switch';

/** `pay.v3` as a merchant of each kind configures it. */
export function v3Options(mode: KeyMode = 'publicKey'): PayV3Options {
  const base = { apiV3Key: API_V3_KEY, serialNo: SERIAL_NO, privateKey: MERCHANT_KEY };
  if (mode === 'publicKey') return { ...base, publicKeyId: PUBLIC_KEY_ID, publicKey: WECHATPAY_PUB };
  if (mode === 'certificates') return { ...base, certificates: { [PLATFORM_SERIAL]: PLATFORM_CERT } };
  return { ...base, publicKeyId: PUBLIC_KEY_ID, publicKey: WECHATPAY_PUB, certificates: { [PLATFORM_SERIAL]: PLATFORM_CERT } };
}

export function v3Keys(mode: KeyMode = 'publicKey'): PayV3Keys {
  return loadPayV3Keys(v3Options(mode));
}

export interface TestLogger extends Logger {
  lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }>;
}

export function testLogger(): TestLogger {
  const lines: TestLogger['lines'] = [];
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, ...(meta ? { meta } : {}) });
  return { lines, warn: log('warn'), error: log('error'), info: log('info') };
}

export function v3Ctx(options: { payUrl?: string; store?: Store; now?: () => number; logger?: Logger } = {}): WxContext {
  return {
    http: new WechatClient({ endpoints: { pay: options.payUrl ?? 'http://127.0.0.1:9' } }),
    store: options.store ?? new MemoryStore(),
    now: options.now ?? Date.now,
    randomHex: defaultRandomHex,
    logger: options.logger ?? { warn: () => undefined, error: () => undefined },
  };
}

/** The error `p` (a promise, or a function that throws or rejects) fails with; a resolution fails the test. */
export async function failure(p: Promise<unknown> | (() => unknown)): Promise<PayV3Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    return error as PayV3Error;
  }
  throw new Error('resolved');
}
