import express, { type Router } from 'express';
import { valueProblem, valueTypeOf } from '../../client/message-values';
import { msgid64 } from '../cgi-bin';
import { wxError } from '../errcodes';
import { jsonBody, jsonRoute, noteAppid, param, rawBody } from '../http';
import type { SimState } from '../state';
import { fail } from '../state';
import type { SentSubscribe, SimSubscriptions } from './subscriptions';

const STATES = new Set(['developer', 'trial', 'formal']);
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);
/** A mini program page as app.json lists it, with an optional query: `pages/order/detail?id=42`. */
const PAGE = /^\/?[\w-]+(?:\/[\w-]+)*(?:\?.*)?$/;

/** WeChat's 47003 body, naming what it refused as WeChat does. */
const invalid = (what: string) => wxError(47003, `argument invalid! ${what} invalid`);

/**
 * `data` as WeChat checks it: an object of `{ value }` (else 47001), each typed key's value
 * within its type's rule (else 47003 naming `data.<key>.value`). Returns the error body, if any.
 */
function checkData(data: unknown): { errcode: number; errmsg: string } | undefined {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return wxError(47001);
  for (const [key, field] of Object.entries(data as Record<string, unknown>)) {
    const value = field && typeof field === 'object' ? (field as { value?: unknown }).value : undefined;
    if (typeof value !== 'string' && typeof value !== 'number') return invalid(`data.${key}.value`);
    const type = valueTypeOf(key);
    if (type && valueProblem(type, String(value)) !== undefined) return invalid(`data.${key}.value`);
  }
  return undefined;
}

/**
 * The api host's subscribe messages: a mini program's `/cgi-bin/message/subscribe/send` and an
 * official account's `/cgi-bin/message/subscribe/bizsend` (订阅通知). Like WeChat: 40003 for an
 * openid the app never saw, 40037 for a template the app does not have, 41030 for a page that
 * is not a page path, 47001 / 47003 for bad data (checked before anything is spent), then 43101
 * when the user holds no subscription to the template; each success spends one.
 */
export function subscribeRoutes(state: SimState, subscriptions: SimSubscriptions): Router {
  const router = express.Router();

  const send = (kind: SentSubscribe['kind']) =>
    jsonRoute((req, res) => {
      const appid = state.basicTokenApp(param(req.query, 'access_token'));
      noteAppid(state, res, appid);
      // subscribe/send is the mini program's, bizsend the official account's.
      if (state.app(appid)?.type !== (kind === 'send' ? 'miniprogram' : 'mp')) fail(48001);
      const body = jsonBody(req);
      const touser = typeof body.touser === 'string' ? body.touser : '';
      if (!touser || state.userOf(appid, touser) === undefined) fail(40003);
      const templateId = typeof body.template_id === 'string' ? body.template_id.trim() : '';
      if (!templateId || !subscriptions.hasTemplate(appid, templateId)) fail(40037);
      const page = body.page;
      if (page !== undefined && (typeof page !== 'string' || (kind === 'send' && !PAGE.test(page)))) fail(41030);
      const miniprogram = body.miniprogram as { appid?: unknown; pagepath?: unknown } | undefined;
      if (kind === 'bizsend' && miniprogram !== undefined) {
        if (!miniprogram || typeof miniprogram !== 'object' || typeof miniprogram.appid !== 'string') return invalid('miniprogram.appid');
        if (typeof miniprogram.pagepath !== 'string' || !PAGE.test(miniprogram.pagepath)) fail(41030);
      }
      if (kind === 'send' && body.miniprogram_state !== undefined && !STATES.has(String(body.miniprogram_state))) return invalid('miniprogram_state');
      if (kind === 'send' && body.lang !== undefined && !LANGS.has(String(body.lang))) return invalid('lang');
      const refused = checkData(body.data);
      if (refused) return refused;
      if (!subscriptions.consume(appid, touser, templateId)) fail(43101);
      const msgid = msgid64(state.nextMsgid(), state.now());
      const data = Object.fromEntries(Object.entries(body.data as Record<string, { value: string | number }>).map(([k, v]) => [k, { value: String(v.value) }]));
      subscriptions.sent.push({
        kind,
        appid,
        msgid: msgid.toString(),
        touser,
        template_id: templateId,
        ...(typeof page === 'string' ? { page } : {}),
        ...(kind === 'bizsend' && miniprogram ? { miniprogram: miniprogram as { appid: string; pagepath: string } } : {}),
        ...(typeof body.miniprogram_state === 'string' ? { miniprogram_state: body.miniprogram_state } : {}),
        ...(typeof body.lang === 'string' ? { lang: body.lang } : {}),
        data,
        time: state.now(),
      });
      return { errcode: 0, errmsg: 'ok', msgid };
    });

  router.post('/cgi-bin/message/subscribe/send', rawBody, send('send'));
  router.post('/cgi-bin/message/subscribe/bizsend', rawBody, send('bizsend'));

  // A simulator tool, for a simulator run by hand (npx express-wxauth-simulator): the user
  // accepts a template, as `sim.subscribe` does from code. `user` (a name) or `openid`.
  router.post('/sim/subscribe', rawBody, (req, res) => {
    let body: Record<string, unknown>;
    try {
      body = jsonBody(req);
    } catch {
      res.status(400).json({ error: 'send JSON: { appid, user | openid, templateId, times? }' });
      return;
    }
    const app = typeof body.appid === 'string' ? state.app(body.appid) : undefined;
    if (!app || (app.type !== 'mp' && app.type !== 'miniprogram')) {
      res.status(400).json({ error: 'appid must be a mini program or official account of this simulator' });
      return;
    }
    const openid = typeof body.user === 'string' && body.user ? state.openidOf(app.appid, body.user) : typeof body.openid === 'string' ? body.openid : '';
    if (!openid || state.userOf(app.appid, openid) === undefined) {
      res.status(400).json({ error: 'user (a name, e.g. "alice") or openid (one this simulator handed out for the app) is required' });
      return;
    }
    const times = body.times === undefined ? 1 : body.times === 'Infinity' ? Infinity : body.times;
    if (typeof body.templateId !== 'string' || !body.templateId || typeof times !== 'number' || !(times === Infinity || (Number.isInteger(times) && times > 0))) {
      res.status(400).json({ error: 'templateId is required; times, when given, is a positive integer or "Infinity"' });
      return;
    }
    const remaining = subscriptions.subscribe({ appid: app.appid, openid, templateId: body.templateId, times });
    res.json({ appid: app.appid, openid, templateId: body.templateId, remaining: remaining === Infinity ? 'Infinity' : remaining });
  });
  return router;
}
