import express, { type Router } from 'express';
import { esc, FAVICON_LINK } from '../pages';
import type { SimState } from '../state';
import type { SimApp } from '../types';
import type { SimMessagePush, SimPushResult } from './push';

/**
 * The phone console (`/sim/phone/console`): send the official account a text message or a menu
 * click as a chosen user, through `pushMessage` (signed, encrypted per mode, redelivered), and see
 * the passive reply as the user's chat would show it.
 */
export function phoneConsoleRoutes(state: SimState, apps: readonly SimApp[], pushes: SimMessagePush): Router {
  const router = express.Router();
  const accounts = () => apps.filter((a) => a.type === 'mp');

  router.get('/sim/phone/console', (req, res) => {
    const appid = typeof req.query.appid === 'string' ? req.query.appid : accounts()[0]?.appid;
    const user = typeof req.query.user === 'string' && req.query.user ? req.query.user : 'alice';
    res.type('html').send(page(accounts(), appid, user, pushes));
  });

  router.post('/sim/phone/console', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const appid = typeof body.appid === 'string' ? body.appid : '';
    const user = typeof body.user === 'string' && /^[\w.-]{1,32}$/.test(body.user) ? body.user : 'alice';
    const app = state.app(appid);
    if (!app || app.type !== 'mp' || !pushes.endpointOf(appid)) {
      res.status(400).type('html').send(page(accounts(), appid, user, pushes, '<p class="error" id="error">This official account has no message URL (sim.connectMessages).</p>'));
      return;
    }
    const input = body.kind === 'click' ? { from: user, event: 'CLICK', eventKey: String(body.eventKey ?? '') } : { from: user, content: String(body.content ?? '') };
    let result: SimPushResult;
    try {
      result = await pushes.push(appid, input);
    } catch {
      res.status(502).type('html').send(page(accounts(), appid, user, pushes, '<p class="error" id="error">The message could not be delivered.</p>'));
      return;
    }
    res.type('html').send(page(accounts(), appid, user, pushes, outcome(result, input)));
  });
  return router;
}

/** The chat as the user sees it: what they sent, the reply (or why there is none), and the attempts. */
function outcome(result: SimPushResult, input: { content?: string; eventKey?: string }): string {
  const sent = input.content !== undefined ? `<p class="bubble me" id="sent">${esc(input.content)}</p>` : `<p class="note" id="sent">Menu click <code>${esc(input.eventKey)}</code></p>`;
  const attempts = result.attempts
    .map((a, i) => `<li>attempt ${i + 1}: ${a.timedOut ? 'no answer in time' : a.error ? esc(a.error) : `HTTP ${esc(a.status)}`} (${esc(a.ms)} ms)</li>`)
    .join('');
  return `${sent}${replyHtml(result)}<ol class="attempts" id="attempts">${attempts}</ol>`;
}

function replyHtml(result: SimPushResult): string {
  if (result.outcome === 'failed') return '<p class="error" id="reply">该公众号暂时无法提供服务，请稍后再试 <span class="gloss">(the account did not answer acceptably)</span></p>';
  if (result.outcome === 'success' || !result.reply) return '<p class="note" id="reply">(no reply)</p>';
  const r = result.reply;
  switch (r.MsgType) {
    case 'text':
      return `<p class="bubble" id="reply">${esc(r.Content)}</p>`;
    case 'news': {
      const items = (r.Articles as { item?: Array<Record<string, string>> } | undefined)?.item ?? [];
      return `<div class="bubble" id="reply">${items.map((a) => `<p><b>${esc(a.Title)}</b><br>${esc(a.Description ?? '')}</p>`).join('')}</div>`;
    }
    case 'transfer_customer_service':
      return '<p class="note" id="reply">(handed to customer service)</p>';
    default:
      return `<p class="bubble" id="reply">[${esc(r.MsgType)}]</p>`;
  }
}

function page(accounts: SimApp[], appid: string | undefined, user: string, pushes: SimMessagePush, result = ''): string {
  const options = accounts.map((a) => `<option value="${esc(a.appid)}"${a.appid === appid ? ' selected' : ''}>${esc(a.name ?? a.appid)}${pushes.endpointOf(a.appid) ? '' : ' (no message URL)'}</option>`).join('');
  const fields = `<p><label>Official account <select id="appid" name="appid">${options}</select></label></p><p><label>WeChat user <input id="user" name="user" value="${esc(user)}" autocomplete="off"></label></p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Phone console — WeChat simulator</title>${FAVICON_LINK}
<style>
body{font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:20px;box-shadow:0 1px 3px #0002}
h1{font-size:18px;margin:0 0 12px}input,select{font-size:15px;padding:6px 8px;border:1px solid #ccc;border-radius:4px;max-width:100%}
button{font-size:15px;padding:8px 14px;border-radius:6px;border:0;background:#07c160;color:#fff;cursor:pointer}
.bubble{background:#f2f2f2;border-radius:6px;padding:8px 12px;margin:8px 40px 8px 0;overflow-wrap:anywhere}.me{background:#95ec69;margin:8px 0 8px 40px}
.note{color:#888;font-size:13px}.error{color:#fa5151}.gloss{color:#555}.attempts{font-size:12px;color:#888}.sim{font-size:12px;color:#888;margin-top:18px}
</style></head><body><main><h1>Phone console</h1>
${result}
<form id="send-text" method="post" action="/sim/phone/console">${fields}<input type="hidden" name="kind" value="text">
<p><input id="content" name="content" placeholder="Message" autocomplete="off"> <button id="send" type="submit">Send</button></p></form>
<form id="send-click" method="post" action="/sim/phone/console"><input type="hidden" name="appid" value="${esc(appid ?? '')}"><input type="hidden" name="user" value="${esc(user)}"><input type="hidden" name="kind" value="click">
<p><label>Menu key <input id="event-key" name="eventKey" value="MENU_HELLO" autocomplete="off"></label> <button id="click" type="submit">Click</button></p></form>
<p class="sim">WeChat simulator (express-wxauth) — not the real WeChat.</p></main></body></html>`;
}
