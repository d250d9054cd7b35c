import express, { type Request, type Response, type Router } from 'express';
import { jsonBody, jsonRoute, rawBody } from '../http';
import type { SimState } from '../state';
import { miniprogramOfToken } from './token-app';
import { fail } from '../state';
import type { SimWxacodes } from './wxacode-state';

const QUERY = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$/;
const ENV_VERSIONS: ReadonlySet<string> = new Set(['release', 'trial', 'develop']);
const DAY = 86_400_000;
/** Every URL Link and URL Scheme expires within 30 days (WeChat's rule since 2022-04-11). */
const MAX_DAYS = 30;

/**
 * The api host's links into a mini program, with WeChat's errcodes:
 * - `POST /wxa/generate_urllink` → `url_link`; `POST /wxa/generatescheme` (`jump_wxa`) → `openlink`.
 *   40165 for a path that starts with `/`, carries a query or is not a published page; 40212 for a
 *   query of more than 1024 characters or outside WeChat's set; 85402 for an unknown env_version;
 *   85401 for an expiry not within (1 minute, 30 days]; 85079 when nothing is published.
 * - `POST /wxa/genwxashortlink` → `link`; 40066 for a page_url that starts with `/` or names no
 *   published page.
 * Every link made is in `sim.wxacodes.links`.
 */
export function linkRoutes(state: SimState, wxacodes: SimWxacodes): Router {
  const router = express.Router();

  const miniprogramOf = (req: Request, res: Response): string => miniprogramOfToken(state, req, res);

  /** Path, query and version of a link, WeChat's way. */
  const target = (appid: string, source: Record<string, unknown>) => {
    const path = source.path === undefined ? '' : source.path;
    const query = source.query === undefined ? '' : source.query;
    const envVersion = source.env_version === undefined ? 'release' : source.env_version;
    if (typeof path !== 'string' || path.startsWith('/') || path.includes('?')) fail(40165);
    if (typeof query !== 'string' || [...query].length > 1024 || !QUERY.test(query)) fail(40212);
    if (typeof envVersion !== 'string' || !ENV_VERSIONS.has(envVersion)) fail(85402);
    if (envVersion === 'release' && !wxacodes.published(appid)) fail(85079);
    if (path && !wxacodes.hasPage(appid, path)) fail(40165);
    return { path, query, envVersion };
  };

  /** When the link expires: `expire_type` 0 at `expire_time` (s), 1 after `expire_interval` days; default 30 days. */
  const expiry = (body: Record<string, unknown>): number => {
    const now = state.now();
    const type = body.expire_type ?? 0;
    if (type === 1) {
      const days = body.expire_interval;
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) fail(85401);
      return now + days * DAY;
    }
    if (type !== 0) fail(40097);
    if (body.expire_time === undefined) return now + MAX_DAYS * DAY;
    const at = body.expire_time;
    if (typeof at !== 'number' || !Number.isInteger(at) || at * 1000 <= now + 60_000 || at * 1000 > now + MAX_DAYS * DAY) fail(85401);
    return at * 1000;
  };

  router.post(
    '/wxa/generate_urllink',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = jsonBody(req);
      const link = wxacodes.recordLink({ appid, kind: 'urllink', ...target(appid, body), expiresAt: expiry(body) });
      return { errcode: 0, errmsg: 'ok', url_link: link.link };
    }),
  );

  router.post(
    '/wxa/generatescheme',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = jsonBody(req);
      const jump = body.jump_wxa === undefined ? {} : body.jump_wxa;
      if (!jump || typeof jump !== 'object' || Array.isArray(jump)) fail(40097);
      const link = wxacodes.recordLink({ appid, kind: 'scheme', ...target(appid, jump as Record<string, unknown>), expiresAt: expiry(body) });
      return { errcode: 0, errmsg: 'ok', openlink: link.link };
    }),
  );

  router.post(
    '/wxa/genwxashortlink',
    rawBody,
    jsonRoute((req, res) => {
      const appid = miniprogramOf(req, res);
      const body = jsonBody(req);
      const pageUrl = body.page_url;
      if (typeof pageUrl !== 'string' || !pageUrl) fail(40097);
      const [path = '', query = ''] = pageUrl.split('?', 2);
      if (pageUrl.length > 1024 || path.startsWith('/') || !wxacodes.published(appid) || !wxacodes.hasPage(appid, path)) fail(40066);
      const permanent = body.is_permanent === true;
      const link = wxacodes.recordLink({ appid, kind: 'shortlink', path, query, envVersion: 'release', ...(permanent ? {} : { expiresAt: state.now() + MAX_DAYS * DAY }) });
      return { errcode: 0, errmsg: 'ok', link: link.link };
    }),
  );

  return router;
}
