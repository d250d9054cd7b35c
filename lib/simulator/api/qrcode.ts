import express, { type Request, type Router } from 'express';
import QRCode from 'qrcode';
import type { SimState } from '../state';
import { appOfToken } from './token-app';
import { fail } from '../state';
import { jsonBody, jsonRoute, noteAppid, param, rawBody } from '../http';
import type { SimQrcodes } from './qrcodes';

/** Where the phone page lives: what each simulated QR code encodes. */
export const SCAN_PATH = '/sim/phone/scan';
const ACTIONS: ReadonlySet<string> = new Set(['QR_SCENE', 'QR_STR_SCENE', 'QR_LIMIT_SCENE', 'QR_LIMIT_STR_SCENE']);

/** The phone page's URL for `ticket` on the host the request reached. */
export function scanUrl(req: Request, ticket: string): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${SCAN_PATH}?ticket=${encodeURIComponent(ticket)}`;
}

/**
 * The api host's parametric QR codes and follower profiles, and the mp host's QR image:
 * - `POST /cgi-bin/qrcode/create`: official accounts only (48001), `action_name` one of WeChat's
 *   four (40097), a scene string of 1–64 characters or a positive scene id (40053). The answer's
 *   `url` — what the code encodes — is the simulator's phone page for the ticket.
 * - `GET /cgi-bin/showqrcode?ticket=`: a real PNG of that URL (404 once expired, as WeChat's host).
 * - `GET /cgi-bin/user/info`: `subscribe` from who followed through the phone page.
 */
export function qrcodeRoutes(state: SimState, qrcodes: SimQrcodes): Router {
  const router = express.Router();

  router.post(
    '/cgi-bin/qrcode/create',
    rawBody,
    jsonRoute((req, res) => {
      const appid = appOfToken(state, req, res, 'mp');
      const body = jsonBody(req);
      const action = typeof body.action_name === 'string' ? body.action_name : '';
      if (!ACTIONS.has(action)) fail(40097);
      const sceneInfo = (body.action_info as { scene?: { scene_str?: unknown; scene_id?: unknown } } | undefined)?.scene;
      const scene = action.endsWith('STR_SCENE') ? sceneInfo?.scene_str : sceneInfo?.scene_id;
      const text = typeof scene === 'string' ? scene : typeof scene === 'number' && Number.isInteger(scene) && scene > 0 ? String(scene) : '';
      if (!text || text.length > 64) fail(40053);
      const permanent = action.startsWith('QR_LIMIT');
      const requested = typeof body.expire_seconds === 'number' && body.expire_seconds > 0 ? Math.floor(body.expire_seconds) : undefined;
      // A permanent code is modelled as one that outlives any test (WeChat sends no expire_seconds for it).
      const { ticket, expireSeconds } = qrcodes.create(appid, text, permanent ? 2_592_000 : requested);
      return { ticket, ...(permanent ? {} : { expire_seconds: expireSeconds }), url: scanUrl(req, ticket) };
    }),
  );

  router.get('/cgi-bin/showqrcode', (req, res, next) => {
    const ticket = param(req.query, 'ticket');
    const code = qrcodes.valid(ticket);
    if (!code) {
      res.status(404).type('text/plain').send('ticket expired or unknown');
      return;
    }
    QRCode.toBuffer(scanUrl(req, code.ticket), { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 })
      .then((png) => res.set('Cache-Control', 'no-store').type('image/png').send(png))
      .catch(next);
  });

  router.get(
    '/cgi-bin/user/info',
    jsonRoute((req, res) => {
      const appid = state.basicTokenApp(param(req.query, 'access_token'));
      noteAppid(state, res, appid);
      const openid = param(req.query, 'openid');
      if (!openid) fail(41009);
      const user = state.userOf(appid, openid) ?? fail(40003);
      if (!qrcodes.follows(appid, user)) return { subscribe: 0, openid };
      const withUnionid = state.app(appid)?.unionid !== false;
      return {
        subscribe: 1,
        openid,
        language: 'zh_CN',
        subscribe_time: Math.floor(state.now() / 1000),
        ...(withUnionid ? { unionid: state.unionidOf(user) } : {}),
        remark: '',
        groupid: 0,
        tagid_list: [],
        subscribe_scene: 'ADD_SCENE_QR_CODE',
        qr_scene: 0,
        qr_scene_str: '',
      };
    }),
  );

  return router;
}
