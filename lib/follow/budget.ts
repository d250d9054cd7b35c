import { WxAuthError } from '../errors';

/**
 * How many QR codes this process asks WeChat for per minute: each anonymous page view without a
 * reusable code in its cookie is a `qrcode/create` call against the account's daily quota (errcode
 * 45009 once spent), so a flood of cookie-less requests is cut off here rather than by WeChat for
 * the rest of the day. Memory only (a counter, never a store write); one minute windows.
 */
export class QrcodeBudget {
  private windowStart = 0;
  private used = 0;

  constructor(private readonly perMinute: number) {}

  /** Count one code, or throw 429 when this minute's are spent. */
  take(nowMs: number): void {
    if (nowMs - this.windowStart >= 60_000) {
      this.windowStart = nowMs;
      this.used = 0;
    }
    if (this.used >= this.perMinute) {
      throw new WxAuthError('wechat_error', 'too many QR codes were requested; try again in a minute', { status: 429 });
    }
    this.used++;
  }
}
