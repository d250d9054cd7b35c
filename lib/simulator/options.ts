import { z } from 'zod';
import { validateOptions } from '../validate';
import { WxAuthError } from '../errors';
import type { SimulatorOptions } from './types';

const appSchema = z.strictObject({
  appid: z.string({ error: 'must be a string (the AppID)' }).regex(/^[A-Za-z0-9_-]{4,64}$/, 'must be an AppID such as "wx1234567890abcdef"'),
  secret: z.string({ error: 'must be a string (the AppSecret)' }).min(1, 'must not be empty'),
  type: z.enum(['mp', 'qrcode', 'mobile', 'miniprogram']),
  name: z.string().optional(),
  redirectDomains: z.array(z.string().min(1)).optional(),
  unionid: z.boolean().optional(),
  // The message server sim.pushMessage posts to (lib/simulator/phone/push.ts).
  messages: z
    .strictObject({
      url: z.string().regex(/^https?:\/\//, 'must be an http(s) URL'),
      token: z.string().min(1, 'must not be empty'),
      encodingAESKey: z.string().regex(/^[A-Za-z0-9]{43}$/, 'must be 43 letters or digits').optional(),
      mode: z.enum(['plain', 'compat', 'safe']),
    })
    .optional(),
});

// Merchants keep extra fields: the v3 host checks `v3` itself. `key` (v2) is optional when `v3` is given.
const merchantSchema = z.looseObject({
  mchid: z.string({ error: 'must be a string of digits' }).regex(/^\d{1,32}$/, 'must be a string of digits'),
  key: z.string({ error: 'must be a string (the 32-character API key)' }).min(1, 'must not be empty').optional(),
  appid: z.string().optional(),
  name: z.string().optional(),
});

const profileSchema = z.strictObject({
  nickname: z.string().optional(),
  sex: z.number().int().optional(),
  province: z.string().optional(),
  city: z.string().optional(),
  country: z.string().optional(),
  headimgurl: z.string().optional(),
  isSnapshotUser: z.boolean().optional(),
});

const schema = z.strictObject({
  apps: z.array(appSchema),
  merchants: z.array(merchantSchema).optional(),
  now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function returning milliseconds').optional(),
  users: z.record(z.string(), profileSchema).optional(),
  host: z.string({ error: 'must be a string (an interface such as "127.0.0.1")' }).min(1, 'must not be empty').optional(),
  allowProduction: z.boolean().optional(),
  allowMpOutsideWechat: z.boolean().optional(),
});

/**
 * Check `createSimulator` options; a bad one throws a `config_error` naming the field (never its value).
 * Also refuses `NODE_ENV=production` unless `allowProduction: true`.
 */
export function checkOptions(options: SimulatorOptions): SimulatorOptions {
  const checked = validateOptions<SimulatorOptions>(schema, options, 'simulator');
  const seen = new Set<string>();
  checked.apps.forEach((app, i) => {
    if (seen.has(app.appid)) throw new WxAuthError('config_error', `"simulator.apps.${i}.appid" is a duplicate`, { field: `simulator.apps.${i}.appid` });
    seen.add(app.appid);
  });
  (checked.merchants ?? []).forEach((m, i) => {
    // A merchant without a v2 key is v3-only; without either it could take no payment at all.
    if (m.key === undefined && m.v3 === undefined) {
      throw new WxAuthError('config_error', `"simulator.merchants.${i}.key" is required unless the merchant has a "v3" block (createSimMerchantV3())`, { field: `simulator.merchants.${i}.key` });
    }
  });
  // The simulator logs anyone in and accepts any payment: it must never run where real users are.
  if (process.env.NODE_ENV === 'production' && checked.allowProduction !== true) {
    throw new WxAuthError(
      'config_error',
      'the WeChat simulator refuses to start with NODE_ENV=production (it logs anyone in and accepts any payment); pass allowProduction: true (CLI: --allow-production) to run it anyway',
      { field: 'simulator.allowProduction' },
    );
  }
  return checked;
}
