/**
 * The store-footprint steps of the surfaces that log in or answer without an OAuth round:
 * follow-to-login (the QR page and the poll of a browser that has not scanned, the verified scan
 * event, the poll that completes the login), the official account's message server (a forged
 * delivery, a user message with its passive reply, WeChat's retry of a message answered late) and
 * the mini program's phone number by code. Each runs over HTTP against the simulator, whose phone
 * side signs and encrypts (safe mode) what it posts to the app as WeChat does.
 */
import type { Simulator } from '../lib/simulator';
import type { Http, Step } from './_footprint-measure';

/** The follow app's message server: safe mode, as the simulator's account posts to it (bench only). */
export const FOOTPRINT_MESSAGES = { token: 'footprinttoken', encodingAESKey: 'footprintEncodingAESKey0123456789abcdefghij', mode: 'safe' as const };

/** A handler slower than this test push's wait: WeChat's first attempt times out, its retry finds the message handled. */
const SLOW_HANDLER_MS = 1000;
const PUSH_WAIT_MS = 700;

/** The router hooks the follow app installs: a reply to every text, late for `slow`. */
export function echoHandler(message: { content?: string }): Promise<{ type: 'text'; content: string }> {
  const content = message.content ?? '';
  const reply = { type: 'text' as const, content: `echo: ${content}` };
  return content === 'slow' ? new Promise((resolve) => setTimeout(() => resolve(reply), SLOW_HANDLER_MS)) : Promise.resolve(reply);
}

export interface FollowStepsInput {
  sim: Simulator;
  mpAppid: string;
  miniAppid: string;
  /** The app with `follow`, `mp.messages` and the echo handler (session storage). */
  followApp: string;
  /** An app with the mini program (any storage): the phone route. */
  miniApp: string;
  /** The same with `resolveUser` (the route runs the login's last step again with `phone`). */
  miniAppWithUser: string;
  /** The mini-program session id of `miniUser`, once its login step ran. */
  miniSession: () => string;
  miniUser: string;
  desktopUa: string;
  expect(status: number, want: number, what: string): void;
}

/** The steps, in order (each follow step keeps the browser for the next), and the ids to hide in key patterns. */
export function followSteps(input: FollowStepsInput): { steps: Step[]; known: Array<[string, string]> } {
  const { sim, mpAppid, miniAppid, followApp, miniApp, expect } = input;
  let ticket = '';
  sim.connectMessages(mpAppid, { url: `${followApp}/wechat/message`, ...FOOTPRINT_MESSAGES });

  const poll = async (h: Http, app: string, want: string) => {
    const res = await h.get(`${app}/oauth/wechat/follow/poll`, { Accept: 'application/json', 'User-Agent': input.desktopUa });
    expect(res.status, 200, 'follow poll');
    const status = (JSON.parse(res.body) as { status?: string }).status;
    if (status !== want) throw new Error(`follow poll: ${status}, expected ${want}`);
  };
  const push = async (content: string, extra: { timeoutMs?: number } = {}) => {
    const result = await sim.pushMessage(mpAppid, { from: 'erin', content, ...extra });
    if (result.outcome !== 'replied') throw new Error(`message push: ${result.outcome}`);
    return result;
  };
  const phone = async (h: Http, app: string) => {
    const code = sim.issuePhoneCode({ appid: miniAppid, user: input.miniUser });
    const res = await h.post(`${app}/wx/miniprogram/phone`, JSON.stringify({ code }), { 'Content-Type': 'application/json', 'X-Session-Id': input.miniSession() });
    expect(res.status, 200, 'phone number');
  };

  const steps: Step[] = [
    {
      surface: 'follow login',
      when: 'QR code page shown (anonymous)',
      anonymous: true,
      keepJar: true,
      app: followApp,
      run: async (h, app) => {
        const res = await h.get(`${app}/oauth/wechat/follow?next=%2Fprofile`, { 'User-Agent': input.desktopUa });
        expect(res.status, 200, 'follow page');
        ticket = decodeURIComponent(/showqrcode\?ticket=([^"&]+)/.exec(res.body)?.[1] ?? '');
        if (!ticket) throw new Error('follow page: no QR image');
      },
    },
    { surface: 'follow login', when: 'poll before any scan (anonymous)', anonymous: true, keepJar: true, app: followApp, run: (h, app) => poll(h, app, 'pending') },
    {
      surface: 'follow login',
      when: 'verified scan event (subscribe, safe mode)',
      keepJar: true,
      app: followApp,
      run: async () => {
        const result = await sim.scanQrcode({ ticket, user: 'dave' });
        if (result.reply?.Content !== '登录成功') throw new Error(`scan: ${result.outcome} ${String(result.reply?.Content)}`);
      },
    },
    { surface: 'follow login', when: 'poll completes the login', app: followApp, run: (h, app) => poll(h, app, 'done') },
    {
      surface: 'message server',
      when: 'forged delivery (bad signature, anonymous)',
      anonymous: true,
      app: followApp,
      run: async (h, app) => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const res = await h.post(`${app}/wechat/message?signature=${'0'.repeat(40)}&timestamp=${timestamp}&nonce=1234567890`, '<xml><ToUserName><![CDATA[gh_0]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>', { 'Content-Type': 'text/xml' });
        expect(res.status, 403, 'forged delivery');
      },
    },
    { surface: 'message server', when: 'user message (MsgId) with a passive reply', app: followApp, run: () => push('hello').then(() => undefined) },
    {
      surface: 'message server',
      when: "message answered late: WeChat's retry (same MsgId, new nonce)",
      app: followApp,
      run: async () => {
        const result = await push('slow', { timeoutMs: PUSH_WAIT_MS });
        if (result.attempts.length !== 2) throw new Error(`late message: ${result.attempts.length} attempt(s), expected 2`);
      },
    },
    { surface: 'mini program phone', when: "first POST /wx/miniprogram/phone (the mini program's first server API call)", app: miniApp, run: phone },
    { surface: 'mini program phone', when: 'POST /wx/miniprogram/phone', app: miniApp, run: phone },
    { surface: 'mini program phone', when: 'POST /wx/miniprogram/phone, with resolveUser (storage jwt: a fresh token)', app: input.miniAppWithUser, run: phone },
  ];
  const known: Array<[string, string]> = [
    [sim.openidOf(mpAppid, 'dave'), '<openid>'],
    [sim.openidOf(mpAppid, 'erin'), '<openid>'],
  ];
  return { steps, known };
}
