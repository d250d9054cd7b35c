import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SurfaceDeps } from '../deps';
import { stripTrailingSlashes } from '../wechat/endpoints';
import { NOTIFY_MAX_BYTES } from './notify';
import { createPayApi, type PayApi } from './pay';
import { mountPayV3 } from './v3/router';
import type { NotifyReply } from './types';
import type { ShippingUploadInput } from '../client/shipping';
import { buildPayXml } from './xml';

export type { PayApi } from './pay';

/**
 * The notify routes: `POST /wxpay/refund/callback` and `POST /wxpay/:type/callback`. Raw body,
 * `NOTIFY_MAX_BYTES` (16 KiB) at most; the routes only read the body and send what the core decides.
 * `refund` is registered first, so it is never taken for an order `type` (the core refuses that
 * type too), under Express 4 and 5 alike.
 */
export function mountPay(router: Router, deps: SurfaceDeps): PayApi {
  // Default notify URLs need the full public path: origin, any proxy prefix, and where we are mounted.
  const { baseUrl, mountPath = '' } = deps.options;
  // pay.v3.autoShipVirtualGoods uploads through the mini program's shared token (router.client).
  const mini = deps.options.miniprogram?.appid;
  const shipping = mini ? { miniprogramAppid: mini, upload: (input: ShippingUploadInput) => deps.client.shipping.upload(input, mini) } : undefined;
  const api = createPayApi(deps.ctx, deps.options.pay!, baseUrl ? stripTrailingSlashes(baseUrl) + mountPath : undefined, shipping);
  // v3 notifies (`/wxpay/v3/…`): their own routes, reading the raw body themselves.
  if (deps.options.pay!.v3) mountPayV3(router, api.v3, deps.ctx.logger);
  const raw = express.raw({ type: () => true, limit: NOTIFY_MAX_BYTES });
  router.post('/wxpay/refund/callback', raw, async (req: Request, res: Response) => {
    send(res, await api.handleRefundNotify(bodyOf(req)));
  }, bodyError);
  router.post('/wxpay/:type/callback', raw, async (req: Request, res: Response) => {
    send(res, await api.handleNotify(bodyOf(req), String(req.params.type)));
  }, bodyError);
  // A `:type` with malformed percent-encoding (`/wxpay/%/callback`) fails in Express's own param
  // decoding, before the route and its `bodyError`: without this it reached the app's error
  // handler as a URIError (Express's default one prints the stack outside production). Found by
  // test/resilience/fuzz.test.ts.
  router.use('/wxpay', (error: { status?: number; name?: string }, req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || error?.name !== 'URIError' || res.headersSent) return next(error);
    // As the core answers any other `type` it does not accept.
    res.status(404).type('application/xml; charset=utf-8').send(buildPayXml({ return_code: 'FAIL', return_msg: 'unknown notify path' }));
  });
  return api;
}

/** The body as the parser left it; an app-level text/raw parser that ran first is fine too. */
function bodyOf(req: Request): string | Buffer {
  const body: unknown = req.body;
  if (Buffer.isBuffer(body) || typeof body === 'string') return body;
  // An XML parser mounted before us turned the body into an object: the exact bytes (and so the
  // signature) are gone. Refuse rather than guess.
  return '';
}

function send(res: Response, reply: NotifyReply): void {
  res.status(reply.status).type(reply.contentType).send(reply.body);
}

/** Body parser failures (too large, aborted) still answer in WeChat's format. */
function bodyError(error: { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  const status = error?.status === 413 || error?.type === 'entity.too.large' ? 413 : 400;
  res.status(status).type('application/xml; charset=utf-8').send(buildPayXml({ return_code: 'FAIL', return_msg: status === 413 ? 'too large' : 'invalid body' }));
}
