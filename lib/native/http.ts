import { json, Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { isWxAuthError } from '../errors';
import type { Logger } from '../log';
import { assertSameOrigin } from '../oauth/http';
import type { ResolvedOptions } from '../options';

/**
 * The JSON plumbing shared by the native-app (`/wx/oauth/*`) and mini-program (`/wx/miniprogram/*`)
 * APIs: their own strict body parser, GitHub-style error bodies, and an error handler scoped to
 * these routes — so the app's own parsers and error pages are neither needed nor disturbed.
 */

/** `{"message":"Validation failed","error":{"field":"code","code":"missing_field"}}` */
export interface ValidationErrorBody {
  message: 'Validation failed';
  error: { field: string; code: 'missing_field' | 'invalid' };
}

/** Every other error body: a message, and (when useful) our stable error code / WeChat's errcode. */
export interface ApiErrorBody {
  message: string;
  error?: { code: string; errcode?: number | string };
}

/** Codes of failures on WeChat's side (or in talking to it): the contract answers them with 400. */
const WECHAT_SIDE = new Set(['auth_error', 'access_error', 'userinfo_error', 'wechat_error', 'network_error', 'token_error', 'config_error']);

/**
 * A router with a strict JSON parser (every body is parsed as JSON whatever its Content-Type)
 * that refuses cross-site browser requests. These logins also set the browser's session or
 * cookie, so a form on another site posting an attacker's code (a text/plain body can be made to
 * look like JSON) would log the visitor in as the attacker. Browsers send `Origin` on such
 * posts; native apps, mini programs and servers send none and pass.
 */
export function jsonApiRouter(options: ResolvedOptions): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    try {
      assertSameOrigin(req, options);
    } catch {
      return sendError(res, 403, 'Cross-site request refused', 'args_error');
    }
    next();
  });
  router.use(json({ strict: true, limit: '16kb', type: () => true }));
  return router;
}

/** 422 naming the field, in the contract's shape. */
export function validationFailed(res: Response, field: string, code: 'missing_field' | 'invalid' = 'missing_field'): void {
  const body: ValidationErrorBody = { message: 'Validation failed', error: { field, code } };
  res.status(422).json(body);
}

export function sendError(res: Response, status: number, message: string, code?: string, errcode?: number | string): void {
  const body: ApiErrorBody = code ? { message, error: { code, ...(errcode === undefined ? {} : { errcode }) } } : { message };
  res.status(status).json(body);
}

/** The request body as an object, or undefined when there is none (a non-object is answered 400 here). */
export function bodyObject(req: Request, res: Response): Record<string, unknown> | undefined | false {
  const body: unknown = req.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    sendError(res, 400, 'Body should be a JSON object');
    return false;
  }
  return body as Record<string, unknown>;
}

/** A header's trimmed value, or undefined when absent/empty. */
export function header(req: Request, name: string): string | undefined {
  const value = req.get(name);
  const trimmed = typeof value === 'string' ? value.trim() : '';
  return trimmed ? trimmed : undefined;
}

/** A non-empty string field of the body (a non-string counts as missing). */
export function stringField(body: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/**
 * Run an async handler and answer any error in the API's shape: WeChat-side failures are 400
 * (as the contract says) with our message — which never holds the secret, code, token or URL —
 * and anything unexpected is a 500 without details. Works on Express 4 and 5 alike.
 */
export function handle(logger: Logger, fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res) => {
    fn(req, res).catch((error: unknown) => answerError(logger, res, error));
  };
}

export function answerError(logger: Logger, res: Response, error: unknown): void {
  if (res.headersSent) return;
  if (isWxAuthError(error)) {
    const meta = { code: error.code, ...(error.errcode === undefined ? {} : { errcode: error.errcode }) };
    if (error.code === 'config_error' || error.code === 'store_error') {
      logger.error('wxauth API failed', { ...meta, message: error.message });
    }
    if (WECHAT_SIDE.has(error.code) && error.code !== 'config_error') logger.warn('wxauth API: WeChat call failed', meta);
    const status = WECHAT_SIDE.has(error.code) ? 400 : error.status;
    sendError(res, status, error.message, error.code, error.errcode);
    return;
  }
  // Not ours (e.g. the app's resolveUser threw): log its name and message, answer nothing from it.
  const e = error as { name?: string; message?: string };
  logger.error('wxauth API failed unexpectedly', { name: e?.name ?? typeof error, message: e?.message });
  sendError(res, 500, 'Internal error');
}

/** Body-parser failures on these routes, in the contract's shape. */
export function apiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    const e = error as { type?: string; status?: number };
    if (res.headersSent) return next(error);
    if (e?.type === 'entity.parse.failed') return sendError(res, 400, 'Problems parsing JSON');
    if (e?.type === 'entity.too.large') return sendError(res, 413, 'Request body too large');
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return sendError(res, 415, 'Unsupported body encoding');
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return sendError(res, e.status, 'Problems parsing JSON');
    answerError(logger, res, error);
  };
}
