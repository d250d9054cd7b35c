/**
 * What the simulator remembers for subscribe messages: each user's subscriptions per template
 * (WeChat's 一次性订阅: each accepted `wx.requestSubscribeMessage` is good for one message), the
 * templates each app has (a template is added to the app when a user first subscribes to it,
 * standing in for the console), and the messages sent. No Express: `subscribe.ts` adapts it.
 */

/** A subscription the simulator's user "accepted", as `wx.requestSubscribeMessage` or `wx-open-subscribe` would. */
export interface SimSubscribeInput {
  /** The mini program or official account. */
  appid: string;
  /** The user's openid in that app (`sim.openidOf(appid, user)`). */
  openid: string;
  templateId: string;
  /** How many messages it allows (each accept adds one at WeChat). Default 1; `Infinity` for a long-term subscription. */
  times?: number;
}

/** A subscribe message or notice the simulator accepted. */
export interface SentSubscribe {
  /** `send`: a mini program's `message/subscribe/send`; `bizsend`: an official account's notice. */
  kind: 'send' | 'bizsend';
  appid: string;
  /** WeChat's 64-bit msgid, in decimal. */
  msgid: string;
  touser: string;
  template_id: string;
  page?: string;
  miniprogram?: { appid?: string; pagepath?: string };
  miniprogram_state?: string;
  lang?: string;
  /** The values as sent: `{ thing1: { value: 'Tea' } }`. */
  data: Record<string, { value: string }>;
  time: number;
}

export class SimSubscriptions {
  /** Every accepted message, oldest first (the same array for the simulator's life: `reset()` empties it). */
  readonly sent: SentSubscribe[] = [];
  /** Remaining sends per `${appid}\0${openid}\0${templateId}`. */
  private remaining = new Map<string, number>();
  /** Template ids per app. */
  private templates = new Map<string, Set<string>>();

  /** The user accepts `times` more messages of the template; returns how many remain. */
  subscribe({ appid, openid, templateId, times = 1 }: SimSubscribeInput): number {
    if (!appid || !openid || !templateId) throw new Error('simulator.subscribe: appid, openid and templateId are required');
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) throw new Error('simulator.subscribe: times must be a positive integer or Infinity');
    const key = `${appid}\0${openid}\0${templateId}`;
    const total = (this.remaining.get(key) ?? 0) + times;
    this.remaining.set(key, total);
    this.addTemplate(appid, templateId);
    return total;
  }

  /** Make a template one of the app's (as adding it in the console would), without any subscription. */
  addTemplate(appid: string, templateId: string): void {
    let set = this.templates.get(appid);
    if (!set) this.templates.set(appid, (set = new Set()));
    set.add(templateId);
  }

  hasTemplate(appid: string, templateId: string): boolean {
    return this.templates.get(appid)?.has(templateId) ?? false;
  }

  /** How many messages of the template the user still accepts. */
  remainingOf(appid: string, openid: string, templateId: string): number {
    return this.remaining.get(`${appid}\0${openid}\0${templateId}`) ?? 0;
  }

  /** Spend one subscription; false when there is none left (WeChat's 43101). */
  consume(appid: string, openid: string, templateId: string): boolean {
    const key = `${appid}\0${openid}\0${templateId}`;
    const left = this.remaining.get(key) ?? 0;
    if (left <= 0) return false;
    if (left !== Infinity) this.remaining.set(key, left - 1);
    return true;
  }

  reset(): void {
    this.sent.length = 0;
    this.remaining = new Map();
    this.templates = new Map();
  }
}
