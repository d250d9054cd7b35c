import express, { type Router } from 'express';
import type { SimState } from './state';
import { fail } from './state';
import { jsonBody, jsonRoute, noteAppid, param, rawBody } from './http';
import { wxError } from './errcodes';
import { valueProblem, valueTypeOf } from '../client/message-values';

/**
 * The api host's `/cgi-bin/*`: the basic access token (two lineages, `/cgi-bin/token` and
 * `stable_token`, isolated from each other as at WeChat), the jsapi ticket and template messages
 * (category templates: typed values checked, `first` / `remark` / colours accepted and ignored).
 */
export function cgiBinRoutes(state: SimState): Router {
  const router = express.Router();

  // Every call issues a NEW token; the previous one keeps working for 5 minutes, then 40001.
  router.get(
    '/cgi-bin/token',
    jsonRoute((req, res) => {
      const appid = param(req.query, 'appid');
      noteAppid(state, res, appid);
      if (param(req.query, 'grant_type') !== 'client_credential') fail(40002);
      const app = state.authenticate(appid, param(req.query, 'secret'));
      const { token, expiresIn } = state.issueBasicToken(app.appid, 'token');
      return { access_token: token, expires_in: expiresIn };
    }),
  );

  // Idempotent while valid: the same token with its remaining lifetime, unless force_refresh.
  router.post(
    '/cgi-bin/stable_token',
    rawBody,
    jsonRoute((req, res) => {
      const body = jsonBody(req);
      const appid = typeof body.appid === 'string' ? body.appid : undefined;
      noteAppid(state, res, appid);
      if (body.grant_type !== 'client_credential') fail(40002);
      const app = state.authenticate(appid, body.secret);
      const force = body.force_refresh === true || body.force_refresh === 'true';
      const { token, expiresIn } = state.stableToken(app.appid, force);
      return { access_token: token, expires_in: expiresIn };
    }),
  );

  router.get(
    '/cgi-bin/ticket/getticket',
    jsonRoute((req, res) => {
      const appid = state.basicTokenApp(param(req.query, 'access_token'));
      noteAppid(state, res, appid);
      const type = param(req.query, 'type') ?? 'jsapi';
      if (type !== 'jsapi' && type !== 'wx_card') fail(40097);
      const { ticket, expiresIn } = state.ticket(appid, type);
      return { errcode: 0, errmsg: 'ok', ticket, expires_in: expiresIn };
    }),
  );

  router.post(
    '/cgi-bin/message/template/send',
    rawBody,
    jsonRoute((req, res) => {
      const appid = state.basicTokenApp(param(req.query, 'access_token'));
      noteAppid(state, res, appid);
      const body = jsonBody(req);
      const touser = typeof body.touser === 'string' ? body.touser : '';
      if (!touser || state.userOf(appid, touser) === undefined) fail(40003);
      const templateId = typeof body.template_id === 'string' ? body.template_id.trim() : '';
      if (!templateId) fail(40037);
      const data = body.data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) fail(47001);
      // A category template's typed keys (thing1, time2, …) are held to the subscribe-message
      // value rules (47003 naming the key); first, remark and colours are accepted and ignored,
      // as WeChat does since 2023-05-04.
      const refused = refusedTemplateKey(data as Record<string, unknown>);
      if (refused) return wxError(47003, `argument invalid! data.${refused}.value invalid`);
      const msgid = msgid64(state.nextMsgid(), state.now());
      state.sentTemplates.push({
        appid,
        msgid: msgid.toString(),
        touser,
        template_id: templateId,
        ...(typeof body.url === 'string' ? { url: body.url } : {}),
        ...(body.miniprogram && typeof body.miniprogram === 'object' ? { miniprogram: body.miniprogram as { appid?: string; pagepath?: string } } : {}),
        data: data as Record<string, unknown>,
        shown: shownOf(data as Record<string, { value: string | number }>),
        time: state.now(),
      });
      return { errcode: 0, errmsg: 'ok', msgid };
    }),
  );

  return router;
}

/** The first key whose value WeChat refuses: not `{ value }`, or a typed key's value outside its rule. */
function refusedTemplateKey(data: Record<string, unknown>): string | undefined {
  for (const [key, field] of Object.entries(data)) {
    const value = field && typeof field === 'object' ? (field as { value?: unknown }).value : undefined;
    if (typeof value !== 'string' && typeof value !== 'number') return key;
    const type = valueTypeOf(key);
    if (type && valueProblem(type, String(value)) !== undefined) return key;
  }
  return undefined;
}

/** What a category template shows: every key's text but `first` and `remark`, no colours. */
function shownOf(data: Record<string, { value: string | number }>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'first' && key !== 'remark').map(([key, field]) => [key, String(field.value)]));
}

/** 2020-01-01T00:00:00Z: the ids below count milliseconds from here. */
const MSGID_EPOCH_MS = 1_577_836_800_000;
/** Every id is above 2^57 (18 digits, like WeChat's): far past 2^53, where a double starts rounding. */
const MSGID_FLOOR = 1n << 57n;

/**
 * A template msgid as WeChat issues them: a 64-bit integer (e.g. `271781022721654784`), time in
 * the high bits and a sequence in the low 22, so a client that parses it into a double gets a
 * different number. Unique per (millisecond, sequence), with a frozen clock too.
 */
export function msgid64(sequence: number, now: number): bigint {
  const ms = BigInt(Math.max(0, Math.floor(now - MSGID_EPOCH_MS)));
  return MSGID_FLOOR + (ms << 22n) + BigInt(sequence % 0x400000);
}
