import express, { type Router } from 'express';
import type { SimState } from '../state';
import { fail } from '../state';
import { jsonBody, jsonRoute, noteAppid, param, rawBody } from '../http';
import { SimWxa } from './wxa-state';

const SCENES: ReadonlySet<unknown> = new Set([1, 2, 3, 4]);
const MAX_CONTENT = 2500;

/**
 * Content security on the api host, version 2 (the one WeChat still updates):
 * - `POST /wxa/msg_sec_check {content, version: 2, scene, openid, title?, nickname?, signature?}` →
 *   `{result: {suggest, label}, detail, trace_id}`. A text holding one of `sim.wxa.riskyWords` is
 *   `risky`, one of `reviewWords` `review`, anything else `pass` (label 100). Version 1 (no
 *   `version`) answers 87014 for a risky text, as it did.
 * - `POST /wxa/media_check_async {media_url, media_type, version: 2, scene, openid}` → `{trace_id}`;
 *   the verdict (risky when the URL holds a risky word) is recorded with the `wxa_media_check`
 *   event WeChat would push.
 * Both: the mini program's token (48001 otherwise), an openid of that app (40003), scene 1–4 (40129).
 */
export function wxaSecurityRoutes(state: SimState, wxa: SimWxa): Router {
  const router = express.Router();

  /** The app and the checked fields every content-security call shares. */
  const common = (req: express.Request, res: express.Response) => {
    const appid = state.basicTokenApp(param(req.query, 'access_token'));
    noteAppid(state, res, appid);
    if (state.app(appid)?.type !== 'miniprogram') fail(48001);
    const body = jsonBody(req);
    return { appid, body };
  };
  const checkUser = (appid: string, body: Record<string, unknown>): { openid: string; scene: number } => {
    const openid = typeof body.openid === 'string' ? body.openid : '';
    if (!openid || state.userOf(appid, openid) === undefined) fail(40003);
    if (!SCENES.has(body.scene)) fail(40129);
    return { openid, scene: body.scene as number };
  };

  router.post(
    '/wxa/msg_sec_check',
    rawBody,
    jsonRoute((req, res) => {
      const { appid, body } = common(req, res);
      const content = typeof body.content === 'string' ? body.content : '';
      if (!content) fail(44002);
      if ([...content].length > MAX_CONTENT) fail(47001);
      const extra = ['title', 'nickname', 'signature'].map((f) => (typeof body[f] === 'string' ? (body[f] as string) : ''));
      if (body.version !== 2 && body.version !== '2') {
        // Version 1: no openid, no verdict object; a risky text is an errcode.
        if (wxa.verdict(content).suggest === 'risky') fail(87014);
        return { errcode: 0, errmsg: 'ok' };
      }
      const { openid, scene } = checkUser(appid, body);
      const verdict = wxa.verdict(content, ...extra);
      const traceId = SimWxa.traceId();
      wxa.textChecks.push({ appid, openid, scene, content, suggest: verdict.suggest, label: verdict.label, traceId, time: state.now() });
      const detail: Array<Record<string, unknown>> = [{ strategy: 'content_model', errcode: 0, suggest: verdict.suggest, label: verdict.label, prob: verdict.suggest === 'pass' ? 0 : 90 }];
      if (verdict.keyword) detail.push({ strategy: 'keyword', errcode: 0, suggest: verdict.suggest, label: verdict.label, level: 20, keyword: verdict.keyword });
      return { errcode: 0, errmsg: 'ok', result: { suggest: verdict.suggest, label: verdict.label }, detail, trace_id: traceId };
    }),
  );

  router.post(
    '/wxa/media_check_async',
    rawBody,
    jsonRoute((req, res) => {
      const { appid, body } = common(req, res);
      const mediaUrl = typeof body.media_url === 'string' ? body.media_url : '';
      if (!mediaUrl) fail(44002);
      if (!/^https?:\/\//i.test(mediaUrl) || (body.media_type !== 1 && body.media_type !== 2)) fail(47001);
      const { openid, scene } = checkUser(appid, body);
      const verdict = wxa.verdict(mediaUrl);
      const traceId = SimWxa.traceId();
      const time = state.now();
      const event = {
        ToUserName: `gh_${appid.replace(/^wx/, '').slice(0, 12)}`,
        FromUserName: openid,
        CreateTime: Math.floor(time / 1000),
        MsgType: 'event',
        Event: 'wxa_media_check',
        appid,
        trace_id: traceId,
        version: 2,
        detail: [{ strategy: 'content_model', errcode: 0, suggest: verdict.suggest, label: verdict.label, prob: verdict.suggest === 'pass' ? 0 : 90 }],
        errcode: 0,
        errmsg: 'ok',
        result: { suggest: verdict.suggest, label: verdict.label },
      };
      wxa.mediaChecks.push({ appid, openid, scene, mediaUrl, mediaType: body.media_type, traceId, suggest: verdict.suggest, label: verdict.label, time, event });
      return { errcode: 0, errmsg: 'ok', trace_id: traceId };
    }),
  );

  return router;
}
