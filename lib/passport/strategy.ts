import type { Request, Response } from 'express';
import { defaultRandomHex, type WxContext } from '../context';
import { WxAuthError, isWxAuthError } from '../errors';
import { refuseSnapshotUser } from '../identity/complete-login';
import { consoleLogger } from '../log';
import type { ResolvedOptions } from '../options';
import { finishLogin, resolveAction, resolveScope, startLogin, type BrowserAction } from '../oauth/flow';
import { guardNext, PendingLogins, redirect, requestOrigin } from '../oauth/http';
import { createSealer } from '../oauth/sealed-cookie';
import { sealingSecrets, type StateRecord } from '../oauth/state';
import type { Store } from '../store/types';
import { stripTrailingSlashes } from '../wechat/endpoints';
import { WechatClient } from '../wechat/client';
import { resolveStrategyOptions, type WxAuthStrategyOptions } from './options';
import { toProfile, type WxAuthProfile } from './profile';

/**
 * A Passport strategy over our own browser login (mp, qrcode): the same cores as the router —
 * the sealed, single-use, browser-bound state in the pending-login cookie (nothing stored on the
 * server), the `next` guard, the code exchange, the unionid join and the snapshot-user refusal —
 * with Passport deciding what a login means (`verify`, `serializeUser`, redirects).
 *
 * Passport itself is never imported: `passport.use()` needs only `name` and `authenticate`, and
 * adds `success` / `fail` / `redirect` / `error` to a per-request copy of the strategy.
 */

/** Passport's `done` in `verify`: `done(err)`, `done(null, false, info)` (fail), or `done(null, user, info)`. */
export type WxAuthVerifyCallback = (error: unknown, user?: unknown, info?: object) => void;
export type WxAuthVerify = (profile: WxAuthProfile, done: WxAuthVerifyCallback) => void | Promise<void>;
export type WxAuthVerifyWithRequest = (req: Request, profile: WxAuthProfile, done: WxAuthVerifyCallback) => void | Promise<void>;

/** Options of `passport.authenticate('wechat', options)` this strategy reads (Passport's own pass through). */
export interface WxAuthenticateOptions {
  /** `mp` or `qrcode`. Default: `?action=`, then the strategy's `action`, then the User-Agent. */
  action?: 'mp' | 'qrcode';
  /** mp only. Default: `?scope=`, then the strategy's `scope`, then `snsapi_base`. */
  scope?: 'snsapi_base' | 'snsapi_userinfo' | ['snsapi_base' | 'snsapi_userinfo'];
  /** Where to go after login (`req.authInfo.next` on the callback). Default: `?next=`, then `/`. Checked by the `next` guard. */
  next?: string;
  /** Passport's options (`failureRedirect`, `session`, …) pass through. */
  [passportOption: string]: unknown;
}

/** `req.authInfo` after a login through this strategy (plus the `info` your `verify` passed). */
export interface WxAuthInfo {
  /** Where the login was asked to go, already checked (same origin or `allowedRedirects`; else `/`). */
  next: string;
  action: 'mp' | 'qrcode';
  scope: string;
}

/** What Passport adds to the strategy for one request. */
export interface PassportActions {
  success(user: unknown, info?: object): void;
  fail(challenge?: { message?: string; [key: string]: unknown } | string | number, status?: number): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  error(error: unknown): void;
}

/** Failures Passport reports as a failed login (`failureRedirect`); everything else is `this.error`. */
const FAILURES: ReadonlySet<string> = new Set(['state_error', 'args_error', 'snapshot_user']);

// The strategy writes nothing to a store: the pending login rides in its sealed cookie.
const NO_STORE = new Proxy({} as Store, {
  get: () => () => Promise.reject(new WxAuthError('store_error', 'the Passport strategy has no store')),
});

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class WxAuthStrategy {
  /** The name for `passport.authenticate()`: `wechat` unless `options.name` says otherwise. */
  name: string;
  private readonly options: WxAuthStrategyOptions;
  private readonly core: ResolvedOptions;
  private readonly ctx: WxContext;
  private readonly pending: PendingLogins;
  private readonly verify: WxAuthVerify | WxAuthVerifyWithRequest;

  /** Options are checked here: a bad one throws `config_error` naming the field. */
  constructor(options: WxAuthStrategyOptions & { passReqToCallback: true }, verify: WxAuthVerifyWithRequest);
  constructor(options: WxAuthStrategyOptions & { passReqToCallback?: false }, verify: WxAuthVerify);
  constructor(options: WxAuthStrategyOptions, verify: WxAuthVerify | WxAuthVerifyWithRequest) {
    const { options: o, core } = resolveStrategyOptions(options, verify);
    this.name = o.name ?? 'wechat';
    this.options = o;
    this.core = core;
    this.verify = verify;
    this.ctx = {
      http: new WechatClient({ ...(o.endpoints ? { endpoints: o.endpoints } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.axios ? { axios: o.axios } : {}) }),
      store: NO_STORE,
      now: o.now ?? Date.now,
      randomHex: defaultRandomHex,
      logger: o.logger ?? consoleLogger,
    };
    this.pending = new PendingLogins(this.ctx, core, createSealer(sealingSecrets(core)));
  }

  /** Passport calls this per request: a callback (`code` / `state` in the query) finishes a login, anything else starts one. */
  authenticate(this: WxAuthStrategy & PassportActions, req: Request, options: WxAuthenticateOptions = {}): void {
    const res = req.res;
    if (!res) {
      this.error(new WxAuthError('config_error', 'the WeChat strategy runs in Express (req.res is missing)'));
      return;
    }
    const query = (req.query ?? {}) as Record<string, unknown>;
    const step = query.code !== undefined || query.state !== undefined ? this.callback(req, res) : this.start(req, res, options);
    step.catch((error: unknown) => this.report(error));
  }

  private async start(this: WxAuthStrategy & PassportActions, req: Request, res: Response, o: WxAuthenticateOptions): Promise<void> {
    const query = req.query as Record<string, unknown>;
    const next = guardNext(req, this.core, o.next ?? query.next);
    const action = resolveAction(this.core, o.action ?? str(query.action) ?? this.options.action, req.get('User-Agent'));
    const scope = resolveScope(action, (Array.isArray(o.scope) && o.scope.length === 1 ? o.scope[0] : o.scope) ?? str(query.scope) ?? this.options.scope);
    this.redirectToWechat(req, res, action, scope, next);
  }

  private redirectToWechat(this: WxAuthStrategy & PassportActions, req: Request, res: Response, action: BrowserAction, scope: ReturnType<typeof resolveScope>, next: string): void {
    const { url, record } = startLogin(this.ctx, this.core, { action, scope, next, redirectUri: this.callbackUrl(req) });
    this.pending.add(req, res, record);
    this.ctx.logger.debug?.('login started', { action, scope, appid: record.appid });
    res.setHeader('Cache-Control', 'no-store');
    this.redirect(url, 302);
  }

  private async callback(this: WxAuthStrategy & PassportActions, req: Request, res: Response): Promise<void> {
    const query = req.query as Record<string, unknown>;
    // The state's pending login leaves this browser's cookie before anything else: single use,
    // this browser only, checked before the code is exchanged.
    const record: StateRecord = this.pending.take(req, res, query.state);
    const result = await finishLogin(this.ctx, this.core, { code: query.code, record });
    refuseSnapshotUser(result.isSnapshotUser);
    const profile = toProfile(result);
    const { action, scope, next } = record;
    if (action === 'mp' && scope === 'snsapi_base' && this.options.upgrade && (await this.options.upgrade(profile, req))) {
      this.redirectToWechat(req, res, 'mp', 'snsapi_userinfo', next); // round again for the profile, `next` kept
      return;
    }
    this.ctx.logger.info?.('login', { action, scope, appid: record.appid });
    res.setHeader('Cache-Control', 'no-store');
    const outcome = await this.runVerify(req, profile);
    if (outcome.error !== undefined && outcome.error !== null && outcome.error !== false) return this.error(outcome.error);
    if (!outcome.user) return this.fail(outcome.info as { message?: string } | undefined);
    const info: WxAuthInfo = { next, action, scope };
    this.success(outcome.user, { ...(outcome.info ?? {}), ...info }); // verify's info cannot change `next`
  }

  /** `verify(profile, done)` (or with `req`), settled by its first `done`, or by a throw / rejected promise. */
  private runVerify(req: Request, profile: WxAuthProfile): Promise<{ error?: unknown; user?: unknown; info?: object }> {
    return new Promise((resolve) => {
      const done: WxAuthVerifyCallback = (error, user, info) => resolve({ error, user, ...(info ? { info } : {}) }); // later calls change nothing
      const failed = (error: unknown) => resolve({ error: error ?? new Error('verify failed') });
      try {
        const out = this.options.passReqToCallback ? (this.verify as WxAuthVerifyWithRequest)(req, profile, done) : (this.verify as WxAuthVerify)(profile, done);
        // An async verify that throws before calling done would otherwise leave the request hanging.
        if (out && typeof (out as Promise<void>).then === 'function') (out as Promise<void>).then(undefined, failed);
      } catch (error) {
        failed(error);
      }
    });
  }

  /** Our errors: a refused state, a cancelled login or a snapshot user fail the login; WeChat / network / config errors are errors. */
  private report(this: WxAuthStrategy & PassportActions, error: unknown): void {
    if (!isWxAuthError(error)) return this.error(error);
    const meta = { code: error.code, ...(error.errcode === undefined ? {} : { errcode: error.errcode }) };
    if (error.status >= 500) this.ctx.logger.error('login failed', meta);
    else this.ctx.logger.warn('login failed', meta);
    if (FAILURES.has(error.code)) return this.fail({ message: error.message, code: error.code }, error.status);
    this.error(error);
  }

  /** `callbackURL` (absolute, or a path under `baseUrl` / the request's origin), else the path of this request. */
  private callbackUrl(req: Request): string {
    const configured = this.options.callbackURL;
    if (configured && !configured.startsWith('/')) return configured;
    const base = this.core.baseUrl ? stripTrailingSlashes(this.core.baseUrl) : requestOrigin(req, this.core);
    return base + (configured ?? new URL(req.originalUrl ?? req.url, 'http://localhost').pathname);
  }
}

/**
 * The handler after `passport.authenticate('wechat', …)` on the callback route: redirects to the
 * `next` the login started with (`req.authInfo.next`, checked by the `next` guard then), else `/`.
 */
export function redirectToNext(): (req: Request, res: Response) => void {
  return (req, res) => {
    const next = (req as Request & { authInfo?: { next?: unknown } }).authInfo?.next;
    res.setHeader('Cache-Control', 'no-store');
    redirect(res, 302, typeof next === 'string' && next ? next : '/');
  };
}
