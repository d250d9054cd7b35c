import express, { type Request, type RequestHandler, type Response } from 'express';
import type { SimLogEntry } from './types';
import { WxFail } from './state';
import { wxError } from './errcodes';

/** A query or form value as one string (first of repeated values), else undefined. */
export function param(source: unknown, name: string): string | undefined {
  const value = source && typeof source === 'object' ? (source as Record<string, unknown>)[name] : undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/**
 * Record which app a request was for, on its log entry (the log middleware put it in `res.locals`).
 * Only a registered appid is kept: any other value is caller-chosen text (maybe a pasted secret).
 */
export function noteAppid(state: { app(appid: string): unknown }, res: Response, appid: string | undefined): void {
  const entry = res.locals.simLog as SimLogEntry | undefined;
  if (entry && appid && state.app(appid)) entry.appid = appid;
}

/**
 * A WeChat JSON API route: the handler returns the success body or throws `WxFail(errcode)`,
 * which becomes WeChat's `{errcode, errmsg}` with HTTP 200 (WeChat never uses HTTP status for these).
 */
export function jsonRoute(handler: (req: Request, res: Response) => object): RequestHandler {
  return (req, res, next) => {
    try {
      res.json(handler(req, res));
    } catch (error) {
      if (error instanceof WxFail) res.json(wxError(error.errcode));
      else next(error);
    }
  };
}

/**
 * WeChat parses POST bodies as JSON whatever the Content-Type says; so do we. A body that is not
 * a JSON object answers 47001 (data format error), an empty one 44002.
 */
export const rawBody = express.text({ type: () => true, limit: '1mb' });
export function jsonBody(req: Request): Record<string, unknown> {
  const text = typeof req.body === 'string' ? req.body : '';
  if (!text.trim()) throw new WxFail(44002);
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through: not JSON
  }
  throw new WxFail(47001);
}
