import express, { type Request, type Router } from 'express';
import { parse as parseCookie } from 'cookie';
import type { SimState } from '../state';
import type { SimQrcodes, SimQrcode } from '../api/qrcodes';
import { SCAN_PATH } from '../api/qrcode';
import { esc, FAVICON_LINK } from '../pages';
import type { SimMessagePush, SimPushResult } from './push';

/** How the simulated user scans: a first follow (`subscribe`, `qrscene_<scene>`) or as a follower (`SCAN`, `<scene>`). */
export interface SimScanInput {
  /** The ticket of the QR code (what `showqrcode` draws). */
  ticket: string;
  /** The simulated user (`alice`, `bob`, …). Default `alice`. */
  user?: string;
  /** `follow` (default): the user follows now; `already`: the user already follows the account. */
  as?: 'follow' | 'already';
}

const USER_RE = /^[\w.@-]{1,64}$/;
const USER_COOKIE = 'wxsim_user';

/** The event WeChat sends for a scan of `code` by `user`, and the follow state it leaves. */
export async function scanQrcode(state: SimState, qrcodes: SimQrcodes, pushes: SimMessagePush, input: SimScanInput): Promise<SimPushResult> {
  const code = qrcodes.valid(input.ticket);
  if (!code) throw new Error('simulator.scanQrcode: the QR code is unknown or expired');
  const user = input.user && USER_RE.test(input.user) ? input.user : 'alice';
  const already = input.as === 'already';
  state.openidOf(code.appid, user);
  // WeChat: the follow happens before the event is sent (user/info then answers subscribe: 1).
  qrcodes.setFollowing(code.appid, user, true);
  return pushes.push(code.appid, {
    from: user,
    event: already ? 'SCAN' : 'subscribe',
    eventKey: already ? code.scene : `qrscene_${code.scene}`,
    ticket: code.ticket,
  });
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>${FAVICON_LINK}
<style>body{font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 3px #0002}
h1{font-size:18px;margin:0 0 12px}button{font-size:16px;padding:10px 18px;border-radius:6px;border:0;cursor:pointer;margin:6px 6px 0 0}
.primary{background:#07c160;color:#fff}.secondary{background:#f2f2f2;color:#06ae56}input{font-size:15px;padding:6px 8px;border:1px solid #ccc;border-radius:4px;width:160px}
.bubble{display:inline-block;background:#fff;border:1px solid #e5e5e5;border-radius:6px;padding:8px 12px;margin:8px 0}.error{color:#fa5151}.sim{font-size:12px;color:#888;margin-top:18px}a{color:#576b95}
ul{padding-left:18px}</style></head>
<body><main>${body}<p class="sim">WeChat simulator (express-wxauth) — the phone that scans. <a href="/">Simulator home</a></p></main></body></html>`;
}

function scanPage(code: SimQrcode, account: string, user: string, follows: boolean): string {
  return layout(
    `${account} — 扫码`,
    `<h1 id="account">${esc(account)}</h1>
<p>扫描了公众号的二维码。Scanned the official account's QR code.</p>
<form id="scan" method="post" action="${SCAN_PATH}"><input type="hidden" name="ticket" value="${esc(code.ticket)}">
<p><label>WeChat user <input id="user" name="user" value="${esc(user)}" autocomplete="off"></label></p>
<button id="follow" class="primary" type="submit" name="as" value="follow">关注公众号 Follow</button>
<button id="already" class="secondary" type="submit" name="as" value="already">已关注 Already following</button>
</form>${follows ? '<p id="follows">This user already follows the account.</p>' : ''}`,
  );
}

function resultPage(account: string, result: SimPushResult): string {
  const content = typeof result.reply?.Content === 'string' ? result.reply.Content : undefined;
  const body =
    result.outcome === 'failed'
      ? '<p id="failed" class="error">该公众号暂时无法提供服务，请稍后再试</p><p>(the app did not answer the event in time, or its reply was refused)</p>'
      : content !== undefined
        ? `<p>${esc(account)}:</p><p id="reply" class="bubble">${esc(content)}</p>`
        : '<p id="no-reply">The app answered without a reply.</p>';
  return layout(`${account} — 消息`, `<h1>${esc(account)}</h1>${body}`);
}

const userOf = (req: Request, fromForm?: string): string =>
  [fromForm, typeof req.query.sim_user === 'string' ? req.query.sim_user : undefined, parseCookie(req.headers.cookie ?? '')[USER_COOKIE]].find((u): u is string => !!u && USER_RE.test(u)) ?? 'alice';

/**
 * The phone page a simulated QR code opens (`showqrcode` encodes its URL): pick a user, follow or
 * already following, and the signed (per the account's mode, encrypted) event goes to the app's
 * message URL with WeChat's redelivery (`phone/push.ts`); the app's passive reply is shown as the chat.
 * Without a ticket it lists the codes that can be scanned now.
 */
export function phoneScanRoutes(state: SimState, qrcodes: SimQrcodes, pushes: SimMessagePush): Router {
  const router = express.Router();
  const accountName = (appid: string) => state.app(appid)?.name ?? appid;

  router.get(SCAN_PATH, (req, res) => {
    res.set('Cache-Control', 'no-store');
    const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : undefined;
    if (!ticket) {
      const codes = qrcodes.validCodes();
      const list = codes.length
        ? `<ul id="codes">${codes.map((c) => `<li><a href="${SCAN_PATH}?ticket=${encodeURIComponent(c.ticket)}">${esc(accountName(c.appid))}</a> (${Math.round((c.expiresAt - state.now()) / 1000)} s left)</li>`).join('')}</ul>`
        : '<p id="none">No QR code to scan: open a follow-login page of your app first.</p>';
      res.type('html').send(layout('扫一扫 Scan', `<h1>扫一扫 Scan</h1><p>QR codes of official accounts, valid now:</p>${list}`));
      return;
    }
    const code = qrcodes.valid(ticket);
    if (!code) {
      res.status(404).type('html').send(layout('二维码已过期', `<h1 id="expired" class="error">二维码已过期</h1><p>The QR code has expired or is unknown: refresh the page that showed it.</p>`));
      return;
    }
    const user = userOf(req);
    res.type('html').send(scanPage(code, accountName(code.appid), user, qrcodes.follows(code.appid, user)));
  });

  router.post(SCAN_PATH, express.urlencoded({ extended: false, limit: '8kb' }), (req, res, next) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const ticket = typeof form.ticket === 'string' ? form.ticket : '';
    const code = qrcodes.valid(ticket);
    if (!code) {
      res.status(404).type('html').send(layout('二维码已过期', '<h1 id="expired" class="error">二维码已过期</h1>'));
      return;
    }
    const user = userOf(req, typeof form.user === 'string' ? form.user : undefined);
    scanQrcode(state, qrcodes, pushes, { ticket, user, as: form.as === 'already' ? 'already' : 'follow' })
      .then((result) => {
        res.cookie(USER_COOKIE, user, { sameSite: 'lax', path: '/' });
        res.set('Cache-Control', 'no-store').type('html').send(resultPage(accountName(code.appid), result));
      })
      .catch(next);
  });

  return router;
}
