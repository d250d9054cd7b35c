import type { NextFunction, Request, Response, Router } from 'express';
import type { Logger } from '../../log';
import { V3_NOTIFY_MAX_BYTES, v3Reply } from './notify';
import type { PayV3Api } from './pay';
import type { PayV3NotifyReply } from './types';

/**
 * The v3 notify routes: `POST /wxpay/v3/refund/callback`, `/wxpay/v3/transfer/callback` and
 * `/wxpay/v3/:type/callback` (registered in that order, so `refund` / `transfer` are never
 * taken for an order type). The route reads the raw body itself, at most `V3_NOTIFY_MAX_BYTES`:
 * the signature is over those exact bytes.
 */
export function mountPayV3(router: Router, api: PayV3Api, logger: Logger): void {
  const route = (fixed?: string) => async (req: Request, res: Response) => {
    const type = fixed ?? String(req.params.type);
    const body = await rawBody(req);
    if (body === 'consumed') {
      logger.error(
        'wxpay v3: the notify body was already parsed by another body parser (express.json() mounted before the wxauth router?); its exact bytes are gone, so the signature cannot be checked. Mount the wxauth router before express.json(). Answering 500 so WeChat retries',
        { type },
      );
      return send(res, v3Reply(500, 'body already consumed'));
    }
    if (body === 'too large') {
      res.set('Connection', 'close');
      res.on('finish', () => req.destroy());
      return send(res, v3Reply(413, 'too large'));
    }
    if (body === 'failed') return send(res, v3Reply(400, 'invalid body'));
    send(res, await api.handleNotify({ headers: req.headers, body }, type));
  };
  router.post('/wxpay/v3/refund/callback', route('refund'));
  router.post('/wxpay/v3/transfer/callback', route('transfer'));
  router.post('/wxpay/v3/:type/callback', route());
  router.use('/wxpay/v3', (error: { name?: string }, req: Request, res: Response, next: NextFunction) => {
    // A malformed percent-encoding in `:type` fails in Express's param decoding, before the route.
    if (req.method !== 'POST' || error?.name !== 'URIError' || res.headersSent) return next(error);
    send(res, v3Reply(404, 'unknown notify path'));
  });
}

function send(res: Response, reply: PayV3NotifyReply): void {
  res.status(reply.status);
  if (reply.ok) {
    res.end();
    return;
  }
  res.type(reply.contentType ?? 'application/json; charset=utf-8').send(reply.body);
}

type RawBody = Buffer | 'consumed' | 'too large' | 'failed';

/**
 * The exact bytes of the body. An app-level `express.raw()` / `express.text()` that ran first
 * left them (or their text) in `req.body`: fine. A JSON (or other) parser that ran first left an
 * object and an ended stream: the bytes are gone, and re-serialising the object would not
 * reproduce them — `consumed`, never a guess.
 */
function rawBody(req: Request): Promise<RawBody> {
  const parsed: unknown = req.body;
  if (Buffer.isBuffer(parsed)) return Promise.resolve(parsed.length > V3_NOTIFY_MAX_BYTES ? 'too large' : parsed);
  if (typeof parsed === 'string') return Promise.resolve(Buffer.byteLength(parsed) > V3_NOTIFY_MAX_BYTES ? 'too large' : Buffer.from(parsed, 'utf8'));
  const flagged = (req as { _body?: boolean })._body === true;
  const nonEmptyObject = !!parsed && typeof parsed === 'object' && Object.keys(parsed).length > 0;
  if (flagged || nonEmptyObject || req.readableEnded) return Promise.resolve('consumed');
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > V3_NOTIFY_MAX_BYTES) return Promise.resolve('too large');
  return new Promise<RawBody>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: RawBody) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > V3_NOTIFY_MAX_BYTES) {
        req.pause();
        finish('too large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(Buffer.concat(chunks, size)));
    req.once('error', () => finish('failed'));
    req.once('aborted', () => finish('failed'));
  });
}
