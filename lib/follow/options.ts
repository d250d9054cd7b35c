import { z } from 'zod';

/** "Follow the official account to log in" (公众号扫码关注登录): needs `mp` and its message server. */
export interface FollowOptions {
  /** Lifetime of each QR code (and of the pending login in the browser), seconds. 60 to 1800, default 300. */
  expireSeconds?: number;
  /** How long one poll (JSON or server-sent events) waits for the scan before answering `pending`, seconds. 5 to 55, default 25. */
  pollSeconds?: number;
  /**
   * QR codes this process asks WeChat for per minute, at most (each anonymous page view that has no
   * reusable QR code costs one `qrcode/create` call against the account's daily quota). Default 120;
   * past it the page answers 429 until the minute is over.
   */
  maxQrcodesPerMinute?: number;
  /** Read the `unionid` with `/cgi-bin/user/info` before completing the login. Default true (false: one call fewer, no unionid). */
  unionid?: boolean;
  /** The passive replies the user sees in WeChat after scanning. */
  replies?: {
    /** Default `登录成功`. */
    success?: string;
    /** The QR code had expired. Default `二维码已过期，请刷新网页后重新扫码`. */
    expired?: string;
    /** Someone else already scanned this QR code. Default `该二维码已被使用，请刷新网页后重新扫码`. */
    used?: string;
  };
}

const reply = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(600, 'must be at most 600 characters');

export const followOptionsSchema = z.strictObject({
  expireSeconds: z.number({ error: 'must be a number' }).int('must be an integer').min(60, 'must be at least 60').max(1800, 'must be at most 1800').optional(),
  pollSeconds: z.number({ error: 'must be a number' }).int('must be an integer').min(5, 'must be at least 5').max(55, 'must be at most 55').optional(),
  maxQrcodesPerMinute: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be 1 or more').optional(),
  unionid: z.boolean({ error: 'must be a boolean' }).optional(),
  replies: z.strictObject({ success: reply.optional(), expired: reply.optional(), used: reply.optional() }).optional(),
});

/** The options with their defaults. */
export interface FollowSettings {
  expireSeconds: number;
  pollMs: number;
  maxQrcodesPerMinute: number;
  unionid: boolean;
  replies: { success: string; expired: string; used: string };
}

export function followSettings(o: FollowOptions = {}): FollowSettings {
  return {
    expireSeconds: o.expireSeconds ?? 300,
    pollMs: (o.pollSeconds ?? 25) * 1000,
    maxQrcodesPerMinute: o.maxQrcodesPerMinute ?? 120,
    unionid: o.unionid ?? true,
    replies: {
      success: o.replies?.success ?? '登录成功',
      expired: o.replies?.expired ?? '二维码已过期，请刷新网页后重新扫码',
      used: o.replies?.used ?? '该二维码已被使用，请刷新网页后重新扫码',
    },
  };
}
