import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../state';

/** WeChat: a phone code (getPhoneNumber button) works once, within 5 minutes. */
export const PHONE_CODE_TTL_MS = 5 * 60_000;
/** WeChat's errcode when the mini program's paid phone-number quota is used up. */
export const PHONE_QUOTA_ERRCODE = 1400001;

/** What the getPhoneNumber button hands a mini program, as `sim.issuePhoneCode` takes it. */
export interface IssuePhoneCodeOptions {
  /** The mini program's appid. */
  appid: string;
  /** The user, by openid in that mini program (one the simulator handed out). */
  openid?: string;
  /** The user, by name (`alice`), when no openid is given. Default `alice`. */
  user?: string;
  /** The number without country code. Default: a stable mainland number for the user (`13…`, 11 digits). */
  phone?: string;
  /** Country calling code. Default `'86'`. */
  countryCode?: string;
}

/** A phone code the simulator issued. */
interface PhoneCode {
  appid: string;
  user: string;
  purePhoneNumber: string;
  countryCode: string;
  expiresAt: number;
  used: boolean;
}

/** One text checked by `/wxa/msg_sec_check` (version 2). */
export interface SimTextCheck {
  appid: string;
  openid: string;
  scene: number;
  content: string;
  suggest: 'pass' | 'review' | 'risky';
  label: number;
  traceId: string;
  time: number;
}

/** One `/wxa/media_check_async` submission, with the verdict WeChat would push later. */
export interface SimMediaCheck {
  appid: string;
  openid: string;
  scene: number;
  mediaUrl: string;
  /** 1 audio, 2 image (WeChat's numbers). */
  mediaType: number;
  traceId: string;
  suggest: 'pass' | 'review' | 'risky';
  label: number;
  time: number;
  /**
   * The `wxa_media_check` event WeChat pushes to the mini program's message server with the
   * verdict (as JSON; an XML server gets the same fields). The simulator records it; deliver it
   * to your message server yourself in a test.
   */
  event: Record<string, unknown>;
}

/** A verdict on some text: the first word of a list found in it decides. */
export interface SimVerdict {
  suggest: 'pass' | 'review' | 'risky';
  label: number;
  keyword?: string;
}

/** Label of "other" (其他) for a word from the simulator's lists; 100 is normal. */
const WORD_LABEL = 21000;

/**
 * The simulator's mini-program server APIs' memory (`wxa/*`): phone codes, the phone-number quota
 * per app, and content security's word lists and the checks made. No Express here.
 */
export class SimWxa {
  /** Words that make a text (or a media URL) `risky`. Edit the array to configure. */
  readonly riskyWords: string[] = ['违禁词', 'forbidden'];
  /** Words that make a text `review` (a person should look). */
  readonly reviewWords: string[] = ['待审核', 'borderline'];
  readonly textChecks: SimTextCheck[] = [];
  readonly mediaChecks: SimMediaCheck[] = [];
  private phoneCodes = new Map<string, PhoneCode>();
  /** Remaining phone-number calls per appid; no entry: unlimited. */
  private quotas = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** A stable mainland-China number for a simulated user (`13` + 9 digits from its name). */
  static defaultPhone(user: string): string {
    const digits = BigInt(`0x${createHash('sha256').update(`phone\0${user}`).digest('hex').slice(0, 15)}`) % 1_000_000_000n;
    return `13${digits.toString().padStart(9, '0')}`;
  }

  issuePhoneCode(appid: string, user: string, phone?: string, countryCode = '86'): string {
    const code = randomBytes(32).toString('hex'); // WeChat's are 64 hex characters too
    this.phoneCodes.set(code, { appid, user, purePhoneNumber: phone ?? SimWxa.defaultPhone(user), countryCode, expiresAt: this.now() + PHONE_CODE_TTL_MS, used: false });
    return code;
  }

  /**
   * Spend a phone code of `appid`: unknown, foreign, used or expired → 40029 (WeChat's one answer
   * for all four); the quota used up → 1400001, before the code is spent.
   */
  redeemPhoneCode(appid: string, code: unknown): PhoneCode {
    if (typeof code !== 'string' || !code) fail(44002);
    const record = this.phoneCodes.get(code);
    if (!record || record.appid !== appid || record.used || this.now() >= record.expiresAt) fail(40029);
    const left = this.quotas.get(appid);
    if (left !== undefined && left <= 0) fail(PHONE_QUOTA_ERRCODE);
    if (left !== undefined) this.quotas.set(appid, left - 1);
    record.used = true;
    return record;
  }

  /** Set how many phone numbers `appid` may still read (0: the next call answers 1400001); `undefined`: unlimited. */
  setPhoneQuota(appid: string, remaining: number | undefined): void {
    if (remaining === undefined) this.quotas.delete(appid);
    else this.quotas.set(appid, Math.max(0, Math.floor(remaining)));
  }

  phoneQuota(appid: string): number | undefined {
    return this.quotas.get(appid);
  }

  /** The verdict on `texts`: risky words first, then review words, else pass (label 100). */
  verdict(...texts: string[]): SimVerdict {
    const haystack = texts.join('\n').toLowerCase();
    for (const [words, suggest] of [[this.riskyWords, 'risky'], [this.reviewWords, 'review']] as const) {
      const keyword = words.find((w) => w && haystack.includes(w.toLowerCase()));
      if (keyword) return { suggest, label: WORD_LABEL, keyword };
    }
    return { suggest: 'pass', label: 100 };
  }

  /** WeChat's trace ids look like `60ae120f-371d5872-7941a05b`. */
  static traceId(): string {
    const hex = randomBytes(12).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16)}`;
  }

  reset(): void {
    this.phoneCodes = new Map();
    this.quotas = new Map();
    this.textChecks.length = 0;
    this.mediaChecks.length = 0;
  }
}
