import type { Request, Response, Router } from 'express';
import type { SurfaceDeps } from '../deps';
import { WxAuthError, isWxAuthError } from '../errors';
import { completeLogin } from '../identity/complete-login';
import { DEFAULT_COOKIE_NAME } from '../identity/cookie';
import { hostCookieName, readCookie } from '../identity/cookie-jar';
import { requireSession } from '../identity/session';
import { pageLanguage } from '../oauth/error-page';
import { guardNext, routerPrefix, sendDefaultError, wantsJson } from '../oauth/http';
import { createSealer } from '../oauth/sealed-cookie';
import { sealingSecrets } from '../oauth/state';
import { isUsedScan, parseScan, scanEventHandler, USED_SCAN, type ScanEventLike } from './events';
import { followSettings, type FollowSettings } from './options';
import { followPageCsp, renderFollowPage } from './page';
import { QrcodeBudget } from './budget';
import { FOLLOW_COOKIE_GRACE_MS, openFollow, sceneString, scanKey, sealFollow, SCENE_BYTES, type PendingFollow } from './scene';
import { ScanWaiters } from './waiters';

export const FOLLOW_PATHS = { start: '/oauth/wechat/follow', poll: '/oauth/wechat/follow/poll' } as const;

/** Options of `router.auth(req, res, { action: 'follow' })`. */
export interface FollowStartOptions {
  action: 'follow';
  /** Where to go after login; checked like every `next`. Default: the current URL. */
  next?: string;
}

/** A still-valid QR code in the browser's cookie is shown again on reload when it has this much life left. */
const REUSE_MIN_MS = 60_000;

/** One poll's answer: `next` is where the browser goes now (the destination, or a new QR code). */
export interface FollowPollAnswer {
  status: 'pending' | 'expired' | 'done';
  next?: string;
  openid?: string;
  unionid?: string;
  token?: string;
}

/**
 * Follow the official account to log in (公众号扫码关注登录), desktop browsers:
 * `GET /oauth/wechat/follow` shows a temporary parametric QR code whose random scene is sealed
 * into this browser's cookie (nothing stored); the message server's verified `subscribe` / `SCAN`
 * event records "scene → openid"; `GET /oauth/wechat/follow/poll` waits for it (long poll, or
 * server-sent events) and completes the login in its own response.
 */
export function mountFollow(router: Router, deps: SurfaceDeps) {
  const { ctx, options, identity, hooks, client } = deps;
  const mp = options.mp;
  if (!mp) throw new WxAuthError('config_error', '"follow" needs "mp" (the official account whose QR codes users scan)', { field: 'follow' });
  const settings: FollowSettings = followSettings(options.follow);
  const sealer = createSealer(sealingSecrets(options));
  const waiters = new ScanWaiters();
  const budget = new QrcodeBudget(settings.maxQrcodesPerMinute);
  let mountPath = options.mountPath ?? '';
  router.use((req, _res, next) => {
    if (options.mountPath === undefined) mountPath = req.baseUrl;
    next();
  });

  const secure = (req: Request) => options.cookie?.secure ?? req.secure;
  const cookieName = (req: Request) => hostCookieName(`${options.cookie?.name ?? DEFAULT_COOKIE_NAME}_follow`, secure(req));
  const attributes = (req: Request) => ({ httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/' }) as const;
  const prefix = (absolute: boolean) => routerPrefix(options, mountPath, absolute);
  const restartUrl = (next: string) => `${prefix(false)}${FOLLOW_PATHS.start}?${new URLSearchParams({ next })}`;

  const pendingOf = (req: Request): PendingFollow | undefined => {
    const p = openFollow(sealer, readCookie(req, cookieName(req), ctx.logger), ctx.now());
    return p && p.appid === mp.appid ? p : undefined;
  };

  /** This browser's QR code: the one in its cookie while it has a minute left, else a new one from WeChat. */
  async function qrcodeFor(req: Request, res: Response, next: string): Promise<PendingFollow> {
    const current = pendingOf(req);
    let pending: PendingFollow;
    if (current && current.scene.exp - ctx.now() >= REUSE_MIN_MS) {
      pending = { ...current, next }; // a reload: same code, no call to WeChat
    } else {
      budget.take(ctx.now());
      // Whole seconds: the scene carries the expiry in seconds, the cookie the same instant.
      const exp = Math.ceil((ctx.now() + settings.expireSeconds * 1000) / 1000) * 1000;
      const scene = { id: ctx.randomHex(SCENE_BYTES), exp };
      const code = await client.createQrcode({ scene: sceneString(scene), expireSeconds: settings.expireSeconds }, mp!.appid);
      pending = { scene, appid: mp!.appid, imageUrl: code.imageUrl, next };
    }
    res.cookie(cookieName(req), sealFollow(sealer, pending), { ...attributes(req), maxAge: Math.max(1000, pending.scene.exp + FOLLOW_COOKIE_GRACE_MS - ctx.now()) });
    return pending;
  }

  async function start(req: Request, res: Response, o: { next?: string } = {}): Promise<void> {
    let next = '/';
    try {
      next = guardNext(req, options, o.next ?? req.query.next ?? '/');
      if (identity.kind === 'session') requireSession(req); // before the WeChat call, not after the scan
      const pending = await qrcodeFor(req, res, next);
      const expiresIn = Math.max(0, Math.floor((pending.scene.exp - ctx.now()) / 1000));
      res.set('Cache-Control', 'no-store');
      if (wantsJson(req) || req.query.format === 'json') {
        res.json({ qrcodeUrl: pending.imageUrl, expiresIn, poll: `${prefix(true)}${FOLLOW_PATHS.poll}` });
        return;
      }
      const html = renderFollowPage({ lang: pageLanguage(req.get('Accept-Language')), imageUrl: pending.imageUrl, poll: `${prefix(false)}${FOLLOW_PATHS.poll}`, restart: restartUrl(next) });
      res.set({ 'Content-Security-Policy': followPageCsp(new URL(ctx.http.endpoints.mp).origin), 'Referrer-Policy': 'no-referrer' }).type('html').send(html);
    } catch (error) {
      await fail(req, res, error, next);
    }
  }

  async function fail(req: Request, res: Response, error: unknown, next: string): Promise<void> {
    if (!isWxAuthError(error)) throw error; // the app's own code (resolveUser, a hook): its error handler decides
    const e = error;
    (e.status >= 500 ? ctx.logger.error : ctx.logger.warn).call(ctx.logger, 'login failed', { code: e.code, action: 'follow', ...(e.errcode === undefined ? {} : { errcode: e.errcode }) });
    if (hooks.error) await hooks.error(req, res, { error: e, action: 'follow', next, cause: e.cause });
    if (!res.headersSent) sendDefaultError(req, res, e, { retry: restartUrl(next) });
  }

  /** Answer a poll: JSON, or one server-sent event (the stream then ends; EventSource reconnects for `pending`). */
  function answer(req: Request, res: Response, body: FollowPollAnswer, sse: boolean): void {
    if (res.headersSent) return;
    res.set('Cache-Control', 'no-store');
    if (!sse) {
      res.json(body);
      return;
    }
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
    res.end(`retry: 1000\ndata: ${JSON.stringify(body)}\n\n`);
  }

  const clearCookie = (req: Request, res: Response) => res.clearCookie(cookieName(req), attributes(req));

  async function poll(req: Request, res: Response): Promise<void> {
    const sse = /\btext\/event-stream\b/i.test(req.get('Accept') ?? '');
    const pending = pendingOf(req);
    try {
      await waitAndComplete(req, res, pending, sse);
    } catch (error) {
      // A store that failed while waiting, user/info refused, resolveUser's own error, …
      await fail(req, res, error, pending?.next ?? '/');
    }
  }

  async function waitAndComplete(req: Request, res: Response, pending: PendingFollow | undefined, sse: boolean): Promise<void> {
    // No pending login in this browser: none started here, used already, or past its QR code's life.
    if (!pending) return answer(req, res, { status: 'expired', next: restartUrl('/') }, sse);
    // A login completes only while its QR code is valid (the scan record lives no longer either).
    if (!(pending.scene.exp > ctx.now())) {
      clearCookie(req, res);
      return answer(req, res, { status: 'expired', next: restartUrl(pending.next) }, sse);
    }
    // Headers wait until there is an answer: the login's Set-Cookie must go out with them (for SSE too).
    const aborted = new AbortController();
    res.once('close', () => aborted.abort());
    const budgetMs = Math.max(0, Math.min(settings.pollMs, pending.scene.exp - ctx.now()));
    const value = await waiters.wait(ctx.store, pending.scene.id, budgetMs, aborted.signal);
    if (aborted.signal.aborted) return;
    if (isUsedScan(value)) {
      clearCookie(req, res);
      return answer(req, res, { status: 'expired', next: restartUrl(pending.next) }, sse);
    }
    const scan = parseScan(value);
    if (!scan || !(pending.scene.exp > ctx.now())) {
      if (pending.scene.exp > ctx.now()) return answer(req, res, { status: 'pending' }, sse);
      clearCookie(req, res);
      return answer(req, res, { status: 'expired', next: restartUrl(pending.next) }, sse);
    }
    await complete(req, res, pending, scan.openid, sse);
  }

  /** The scan is there: unionid, take the scene (single use), the login, the hook, `done`. */
  async function complete(req: Request, res: Response, pending: PendingFollow, openid: string, sse: boolean): Promise<void> {
    if (identity.kind === 'session') requireSession(req);
    // Before the scene is spent: a failed user/info leaves it for the next poll.
    const unionid = settings.unionid ? (await client.getFollowerInfo(openid, pending.appid)).unionid : undefined;
    // Single use, across processes: whoever takes the record completes the login.
    const key = scanKey(pending.scene.id);
    const taken = parseScan(await ctx.store.take(key));
    clearCookie(req, res);
    // The login is for whoever the taken record names: the one read before user/info must still be it.
    if (!taken || taken.openid !== openid) return answer(req, res, { status: 'expired', next: restartUrl(pending.next) }, sse);
    const left = Math.ceil((pending.scene.exp - ctx.now()) / 1000);
    if (left > 0) await ctx.store.set(key, USED_SCAN, left);
    const { identity: who, token } = await completeLogin(deps, req, res, { openid, ...(unionid ? { unionid } : {}), appid: pending.appid, action: 'follow' });
    ctx.logger.info?.('login', { action: 'follow', appid: pending.appid });
    if (hooks.success) {
      // No OAuth round in this login: no tokens, no profile.
      const access = { openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), scope: '', access_token: '', refresh_token: '', expires_in: 0 };
      await hooks.success(req, res, { action: 'follow', scope: '', access, next: pending.next, identity: who });
    }
    answer(req, res, { status: 'done', next: pending.next, openid: who.openid, ...(who.unionid ? { unionid: who.unionid } : {}), ...(token ? { token } : {}) }, sse);
  }

  router.get(FOLLOW_PATHS.start, (req, res, nextFn) => {
    start(req, res).catch(nextFn);
  });
  router.get(FOLLOW_PATHS.poll, (req, res, nextFn) => {
    poll(req, res).catch(nextFn);
  });

  const onScan = scanEventHandler(ctx, settings, waiters);
  return {
    /** `router.auth(req, res, { action: 'follow' })`. */
    start: (req: Request, res: Response, o: FollowStartOptions) => start(req, res, { next: o.next ?? req.originalUrl }),
    /** The `subscribe` / `SCAN` handler for the message server (registered before the app's own). */
    onScan: (message: ScanEventLike) => onScan(message),
    /** Polls waiting in this process (tests). */
    waiting: () => waiters.size,
  };
}

export type FollowSurface = ReturnType<typeof mountFollow>;
