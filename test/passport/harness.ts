import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { WxAuthStrategy, redirectToNext, type WxAuthProfile, type WxAuthStrategyOptions, type WxAuthVerifyCallback } from '../../lib/passport';
import { MP, QR, type SimHandle } from '../oauth/harness';
import { captureLogger, type CapturedLogger } from '../helpers/logs';

/**
 * A Passport app as users write one: express-session, passport.initialize() + session(),
 * serializeUser / deserializeUser, and the WeChat strategy against the simulator over HTTP.
 *
 * - `GET /auth/wechat` (and `/auth/wechat/callback`) → passport.authenticate('wechat',
 *   { failureRedirect: '/login-failed', failureMessage: true }), then redirectToNext()
 * - `GET /me` → req.user (the user stored by serializeUser) or null
 * - `GET /login-failed` → the failure messages Passport kept in the session
 * - the error handler answers `{ error: code, message }` with the error's status
 */
export interface PassportApp {
  url: string;
  logger: CapturedLogger;
  /** Every profile verify received. */
  profiles: WxAuthProfile[];
  /** Errors that reached the app's error handler. */
  errors: unknown[];
  close(): Promise<void>;
}

export type Verify = (profile: WxAuthProfile, done: WxAuthVerifyCallback) => void | Promise<void>;

export const defaultVerify: Verify = (profile, done) => done(null, { openid: profile.openid, unionid: profile.unionid, action: profile.action, scope: profile.scope, name: profile.displayName });

export async function startPassportApp(
  sim: SimHandle,
  options: Partial<WxAuthStrategyOptions> = {},
  setup: { verify?: Verify; authenticate?: Record<string, unknown>; passReqToCallback?: boolean; seenRequests?: Request[] } = {},
): Promise<PassportApp> {
  const logger = captureLogger();
  const profiles: WxAuthProfile[] = [];
  const errors: unknown[] = [];
  const verify = setup.verify ?? defaultVerify;
  const base = { mp: MP, qrcode: QR, endpoints: { open: sim.url, api: sim.url }, logger, ...options };
  const strategy = setup.passReqToCallback
    ? new WxAuthStrategy({ ...base, passReqToCallback: true }, (req, profile, done) => {
        setup.seenRequests?.push(req);
        profiles.push(profile);
        return verify(profile, done);
      })
    : new WxAuthStrategy({ ...base, passReqToCallback: false }, (profile, done) => {
        profiles.push(profile);
        return verify(profile, done);
      });

  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, JSON.stringify(user)));
  passport.deserializeUser((id: string, done) => done(null, JSON.parse(id) as Express.User));

  const app = express();
  app.use(session({ secret: 'session-secret-for-tests', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  const authenticate = passport.authenticate('wechat', { failureRedirect: '/login-failed', failureMessage: true, ...setup.authenticate });
  app.get(['/auth/wechat', '/auth/wechat/callback'], authenticate, redirectToNext());
  app.get('/me', (req, res) => res.json(req.user ?? null));
  app.get('/login-failed', (req, res) => res.status(401).json({ messages: (req.session as { messages?: string[] }).messages ?? [] }));
  app.use((error: { code?: string; status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    errors.push(error);
    res.status(error.status ?? 500).json({ error: error.code ?? 'error', message: error.message });
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    logger,
    profiles,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
