import express, { type Request, type Response, type Router } from 'express';
import QRCode from 'qrcode';
import { wxError } from '../errcodes';
import { jsonBody, rawBody, sendWechatJson, WECHAT_CONTENT_TYPE } from '../http';
import type { SimState } from '../state';
import { miniprogramOfToken } from './token-app';
import { fail, WxFail } from '../state';
import type { SimWxacodes } from './wxacode-state';

/** WeChat's scene characters. */
const SCENE_CHARS = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]*$/;
const ENV_VERSIONS: ReadonlySet<string> = new Set(['release', 'trial', 'develop']);

interface Drawn {
  text: string;
  width: number;
  dark: string;
  light: string;
}

/**
 * The api host's mini-program codes:
 * - `POST /wxa/getwxacodeunlimit`: a PNG for `scene` on `page`. 40169 for a scene longer than 32
 *   characters, 40129 for one with a character outside WeChat's set, 41030 for a page that starts
 *   with `/`, carries a query, or (with `check_path`, the default) is not a published page.
 * - `POST /wxa/getwxacode`: a PNG for `path` (≤ 128 bytes, else 40159), at most `pathLimit` per
 *   mini program (then 45029).
 * Errors are WeChat's JSON with HTTP 200 (`text/plain`), as WeChat answers them. Real codes are
 * "sun codes" (a round pattern); the simulator draws a QR code of
 * `wxacode:<appid>:<page>?scene=<encodeURIComponent(scene)>` instead, which any QR reader decodes.
 */
export function wxacodeRoutes(state: SimState, wxacodes: SimWxacodes): Router {
  const router = express.Router();

  const miniprogramOf = (req: Request, res: Response): string => miniprogramOfToken(state, req, res);

  /** Validate (throwing `WxFail`) then draw; errors as WeChat's JSON with HTTP 200. */
  const imageRoute = (draw: (req: Request, res: Response) => Drawn) => (req: Request, res: Response, next: express.NextFunction) => {
    let drawn: Drawn;
    try {
      drawn = draw(req, res);
    } catch (error) {
      if (error instanceof WxFail) sendWechatJson(res, wxError(error.errcode), WECHAT_CONTENT_TYPE.text);
      else next(error);
      return;
    }
    // `color` is a qrcode option its local type declaration (pay-v3/qrcode.d.ts) leaves out.
    const options = { type: 'png' as const, errorCorrectionLevel: 'M' as const, margin: 2, width: drawn.width, color: { dark: drawn.dark, light: drawn.light } };
    QRCode.toBuffer(drawn.text, options)
      .then((png) => res.set('Cache-Control', 'no-store').type('image/png').send(png))
      .catch(next);
  };

  router.post(
    '/wxa/getwxacodeunlimit',
    rawBody,
    imageRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = jsonBody(req);
      const scene = body.scene;
      if (typeof scene !== 'string' || !scene) fail(40097);
      if ([...scene].length > 32) fail(40169);
      if (!SCENE_CHARS.test(scene)) fail(40129);
      const page = body.page === undefined || body.page === '' ? '' : body.page;
      if (typeof page !== 'string') fail(40097);
      if (page.startsWith('/') || page.includes('?')) fail(41030);
      if (page.includes('scancode_time')) fail(85096);
      const style = styleOf(body);
      if (body.check_path !== false) {
        if (!wxacodes.published(appid)) fail(41030);
        if (page && !wxacodes.hasPage(appid, page)) fail(41030);
      }
      const text = `wxacode:${appid}:${page || 'home'}?scene=${encodeURIComponent(scene)}`;
      wxacodes.recordCode({ appid, kind: 'unlimited', scene, ...(page ? { page } : {}), text });
      return { text, ...style };
    }),
  );

  router.post(
    '/wxa/getwxacode',
    rawBody,
    imageRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = jsonBody(req);
      const path = body.path;
      if (typeof path !== 'string' || !path) fail(40097);
      if (Buffer.byteLength(path, 'utf8') > 128) fail(40159);
      const style = styleOf(body);
      const page = path.split('?')[0]!;
      if (path.startsWith('/') || !wxacodes.published(appid) || !wxacodes.hasPage(appid, page)) fail(41030);
      if (!wxacodes.takePathCode(appid)) fail(45029);
      const text = `wxacode:${appid}:${path}`;
      wxacodes.recordCode({ appid, kind: 'path', path, text });
      return { text, ...style };
    }),
  );

  return router;
}

/** Width (280–1280, WeChat's default 430), line colour and a transparent background, as WeChat reads them. */
function styleOf(body: Record<string, unknown>): Omit<Drawn, 'text'> {
  if (body.env_version !== undefined && (typeof body.env_version !== 'string' || !ENV_VERSIONS.has(body.env_version))) fail(40097);
  const requested = typeof body.width === 'number' ? body.width : 430;
  // WeChat clamps a width out of range rather than refusing it.
  const width = Math.min(1280, Math.max(280, Math.round(requested)));
  const c = body.auto_color === true ? undefined : (body.line_color as { r?: unknown; g?: unknown; b?: unknown } | undefined);
  const channel = (v: unknown) => Math.min(255, Math.max(0, Number(v) || 0)).toString(16).padStart(2, '0');
  const dark = c && typeof c === 'object' ? `#${channel(c.r)}${channel(c.g)}${channel(c.b)}ff` : '#000000ff';
  return { width, dark, light: body.is_hyaline === true ? '#00000000' : '#ffffffff' };
}
