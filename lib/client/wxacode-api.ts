import type { ClientCore } from './core';
import { argsError, mapArgsErrcodes, optionalBool, optionalEnvVersion, optionalInt, optionalPage, requireText, type EnvVersion } from './api-args';

/** The look of a mini-program code (`getwxacodeunlimit` and `getwxacode` share these). */
export interface WxacodeStyle {
  /** Width in px, 280–1280. WeChat's default 430. */
  width?: number;
  /** Let WeChat pick the line colour from the mini program's theme. Default false. */
  autoColor?: boolean;
  /** Line colour when `autoColor` is false, each channel 0–255. Default black. */
  lineColor?: { r: number; g: number; b: number };
  /** A transparent background. Default false. */
  isHyaline?: boolean;
  /** Which version the code opens: `release` (default), `trial` or `develop`. */
  envVersion?: EnvVersion;
}

/** `client.wxacode(...)`: a code for any number of `scene` values (`getwxacodeunlimit`). */
export interface WxacodeInput extends WxacodeStyle {
  /**
   * Handed to the page as `query.scene` (decode it with `decodeURIComponent`): at most 32
   * characters from `0-9 A-Z a-z` and `!#$&'()*+,/:;=?@-._~`. Anything else must be encoded by
   * you first (WeChat takes no `%`, so no URL encoding): checked before the call.
   */
  scene: string;
  /** The page opened, `pages/index/index` (no leading `/`, no query). Default: the home page. */
  page?: string;
  /**
   * Whether WeChat checks that `page` exists in the published version. Default true; false lets
   * you make codes for an unpublished page (WeChat caps those pages at 60 000).
   */
  checkPath?: boolean;
}

/** `client.wxacodeForPath(...)`: a code for one page with its query (`getwxacode`), at most 100 000 per mini program. */
export interface WxacodeForPathInput extends WxacodeStyle {
  /** Page and query, e.g. `pages/item/item?id=42`: at most 128 bytes. */
  path: string;
}

/** Mini-program codes (小程序码) as image bytes. */
export interface WxacodeApi {
  /**
   * A mini-program code for `scene` on `page` (`wxa/getwxacodeunlimit`): unlimited in number,
   * permanent. Resolves with the image bytes — a PNG (WeChat may send a JPEG when the background
   * is opaque) — and never with WeChat's JSON error: an errcode rejects with a `WxAuthError`
   * (`args_error` for a bad page or scene, 41030 when the page is not in the published version).
   */
  wxacode(input: WxacodeInput, appid?: string): Promise<Buffer>;
  /**
   * A code for a page with its own query (`wxa/getwxacode`). WeChat caps these at 100 000 per
   * mini program over its whole life (then errcode 45029): use `wxacode` with a `scene` for
   * anything generated per user or per order, this one for a few printed codes.
   */
  wxacodeForPath(input: WxacodeForPathInput, appid?: string): Promise<Buffer>;
}

/** WeChat's scene characters (its documented set), 1–32 of them. */
const SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;
/** Errcodes that mean the input was wrong: invalid args, page, scene, `scancode_time` in page, path. */
const WXACODE_ARGS_ERRCODES: ReadonlySet<number> = new Set([40097, 40129, 40159, 40169, 41030, 85096]);

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);

/** An image only when both the label and the bytes say so: a JSON error labelled `image/*` stays an error. */
export function isCodeImage(bytes: Buffer, contentType: string): boolean {
  if (!/^image\//i.test(contentType.trim())) return false;
  return bytes.subarray(0, PNG.length).equals(PNG) || bytes.subarray(0, JPEG.length).equals(JPEG);
}

/** The style fields, checked, as WeChat's snake_case body. */
function styleBody(input: WxacodeStyle): Record<string, unknown> {
  const width = optionalInt(input.width, 'width', 280, 1280);
  const autoColor = optionalBool(input.autoColor, 'autoColor');
  const isHyaline = optionalBool(input.isHyaline, 'isHyaline');
  const envVersion = optionalEnvVersion(input.envVersion);
  let lineColor: { r: number; g: number; b: number } | undefined;
  if (input.lineColor !== undefined) {
    const c = input.lineColor;
    if (!c || typeof c !== 'object') throw argsError('lineColor', 'must be { r, g, b }');
    lineColor = { r: optionalInt(c.r, 'lineColor.r', 0, 255) ?? 0, g: optionalInt(c.g, 'lineColor.g', 0, 255) ?? 0, b: optionalInt(c.b, 'lineColor.b', 0, 255) ?? 0 };
  }
  return {
    ...(width !== undefined ? { width } : {}),
    ...(autoColor !== undefined ? { auto_color: autoColor } : {}),
    ...(lineColor ? { line_color: lineColor } : {}),
    ...(isHyaline !== undefined ? { is_hyaline: isHyaline } : {}),
    ...(envVersion ? { env_version: envVersion } : {}),
  };
}

/** `client.wxacode` input → the body of `wxa/getwxacodeunlimit`, or an `args_error` naming the field. */
export function wxacodeBody(input: WxacodeInput): Record<string, unknown> {
  if (!input || typeof input !== 'object') throw argsError('scene', 'is required');
  if (typeof input.scene !== 'string' || !SCENE.test(input.scene)) {
    throw argsError('scene', "must be 1-32 characters from 0-9, A-Z, a-z and !#$&'()*+,/:;=?@-._~ (encode anything else yourself)");
  }
  const page = optionalPage(input.page, 'page');
  if (page?.includes('scancode_time')) throw argsError('page', 'must not use scancode_time (reserved by WeChat)');
  const checkPath = optionalBool(input.checkPath, 'checkPath');
  return { scene: input.scene, ...(page ? { page } : {}), ...(checkPath !== undefined ? { check_path: checkPath } : {}), ...styleBody(input) };
}

export function wxacodeForPathBody(input: WxacodeForPathInput): Record<string, unknown> {
  if (!input || typeof input !== 'object') throw argsError('path', 'is required');
  const path = requireText(input.path, 'path', 128, { bytes: true })!;
  if (path.startsWith('/')) throw argsError('path', 'must not start with "/" (e.g. "pages/item/item?id=42")');
  return { path, ...styleBody(input) };
}

export function wxacodeApi(core: ClientCore): WxacodeApi {
  const image = (appid: string | undefined, path: string, body: Record<string, unknown>) => {
    const id = core.miniprogramAppidOf(appid);
    return mapArgsErrcodes(WXACODE_ARGS_ERRCODES, async () => {
      // The same code again is harmless: -1 (busy) is retried with backoff.
      const answer = await core.withToken(id, (token) => core.ctx.http.apiPostBinary(path, { access_token: token }, body, isCodeImage, { idempotent: true }));
      return answer.bytes;
    });
  };
  return {
    wxacode: async (input, appid) => image(appid, '/wxa/getwxacodeunlimit', wxacodeBody(input)),
    wxacodeForPath: async (input, appid) => image(appid, '/wxa/getwxacode', wxacodeForPathBody(input)),
  };
}
