import { randomBytes } from 'node:crypto';
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
 * The Content-Type headers WeChat's api host sends, byte for byte. `/sns/*` answers JSON as
 * `text/plain` (no charset), `/cgi-bin/*` as `application/json; encoding=utf-8`; an error body
 * (`errcode` ≠ 0) is `text/plain` from both. A client that trusts the header (Spring's RestTemplate,
 * oauth4webapi, some axios setups) fails on WeChat: it must fail here too.
 */
export const WECHAT_CONTENT_TYPE = { text: 'text/plain', json: 'application/json; encoding=utf-8' } as const;

export interface JsonRouteOptions {
  /** Content-Type of a success answer. Default `application/json; encoding=utf-8` (the `/cgi-bin/*` one). */
  contentType?: string;
}

/**
 * A WeChat JSON API route: the handler returns the success body or throws `WxFail(errcode)`,
 * which becomes WeChat's `{errcode, errmsg}` with HTTP 200 (WeChat never uses HTTP status for these),
 * as `text/plain`. A `bigint` in the body is written as a bare JSON integer (WeChat's 64-bit ids).
 */
export function jsonRoute(handler: (req: Request, res: Response) => object, options: JsonRouteOptions = {}): RequestHandler {
  const contentType = options.contentType ?? WECHAT_CONTENT_TYPE.json;
  return (req, res, next) => {
    let body: object;
    try {
      body = handler(req, res);
    } catch (error) {
      if (error instanceof WxFail) sendWechatJson(res, wxError(error.errcode), WECHAT_CONTENT_TYPE.text);
      else next(error);
      return;
    }
    const errcode = (body as { errcode?: unknown }).errcode;
    sendWechatJson(res, body, typeof errcode === 'number' && errcode !== 0 ? WECHAT_CONTENT_TYPE.text : contentType);
  };
}

/** Send `body` as JSON under exactly `contentType` (Express would append `; charset=utf-8` to a string). */
export function sendWechatJson(res: Response, body: object, contentType: string): void {
  res.setHeader('Content-Type', contentType);
  res.send(Buffer.from(jsonText(body), 'utf8'));
}

/** Stands in for a `bigint` until it is written bare; random per process, so no string can forge it. */
const BIGINT_MARK = `bigint-${randomBytes(9).toString('hex')}:`;
const BIGINT_QUOTED = new RegExp(`"${BIGINT_MARK}(-?\\d+)"`, 'g');

/** `JSON.stringify`, with each `bigint` as a bare integer of any size (`"msgid":271781022721654784`). */
export function jsonText(body: unknown): string {
  let big = false;
  const text = JSON.stringify(body, (_key, value: unknown) => {
    if (typeof value !== 'bigint') return value;
    big = true;
    return `${BIGINT_MARK}${value}`;
  });
  return big ? text.replace(BIGINT_QUOTED, '$1') : text;
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
