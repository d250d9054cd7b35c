import { createHash } from 'node:crypto';
import express, { type Express } from 'express';
import { wxauth, type WxAuthOptions, type WxAuthRouter } from '../../lib';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { captureLogger, type CapturedLogger } from '../helpers/logs';
import type { TestRedis } from '../helpers/redis';

export const MOBILE = { appid: 'wxmo000000000001', secret: 'mobile-secret-0123456789ab' };
export const MOBILE2 = { appid: 'wxmo000000000002', secret: 'mobile2-secret-0123456789a' };
export const WEB = { appid: 'wxqr000000000001', secret: 'qr-secret-0123456789abcdef' };
export const MINI = { appid: 'wxmini0000000001', secret: 'mini-secret-0123456789abc' };
export const SECRETS = [MOBILE.secret, MOBILE2.secret, WEB.secret, MINI.secret];
export const JWT_SECRET = 'jwt-secret-for-native-tests-0123456789';
export const T0 = Date.UTC(2024, 5, 1, 9, 30, 15, 250);

/** A clock shared by our app and the simulator, moved by tests. */
export const clock = { now: T0 };

export interface SimHandle {
  sim: Simulator;
  url: string;
  close(): Promise<void>;
}

export async function startSimulator(): Promise<SimHandle> {
  const sim = createSimulator({
    apps: [
      { ...MOBILE, type: 'mobile' },
      { ...MOBILE2, type: 'mobile' },
      { ...WEB, type: 'qrcode' },
      { ...MINI, type: 'miniprogram' },
    ],
    users: { ghost: { isSnapshotUser: true } },
    now: () => clock.now,
  });
  const { url, close } = await sim.listen();
  return { sim, url, close };
}

export interface AppHandle {
  app: Express;
  router: WxAuthRouter;
  logger: CapturedLogger;
}

/**
 * An API backend: the wxauth router (no express-session, as a native-only backend would have),
 * `/api/me` behind `requireLogin`, and `/api/logout`.
 */
export function startApp(sim: SimHandle, redis: TestRedis, options: Partial<WxAuthOptions> = {}): AppHandle {
  const logger = captureLogger();
  const router = wxauth({
    qrcode: WEB,
    mobile: [MOBILE, MOBILE2],
    miniprogram: MINI,
    endpoints: { open: sim.url, api: sim.url, pay: sim.url },
    store: redis.store,
    now: () => clock.now,
    logger,
    webCallbackUrl: 'https://www.example.com/wx/callback?from=api',
    ...options,
  });
  const app = express();
  app.use(router);
  app.get('/api/me', router.requireLogin({ action: 'qrcode' }), (req, res) => res.json(req.wxauth));
  app.post('/api/logout', async (req, res) => {
    await router.logout(req, res);
    res.status(204).end();
  });
  return { app, router, logger };
}

/** The record our store keeps for a session id (to look at the server-side tokens). */
export async function storedRecord(redis: TestRedis, namespace: string, sessionId: string): Promise<Record<string, unknown> | undefined> {
  const raw = await redis.store.get(`${namespace}:${createHash('sha256').update(sessionId).digest('hex')}`);
  return raw === undefined ? undefined : (JSON.parse(raw) as Record<string, unknown>);
}

export async function storedTtl(redis: TestRedis, namespace: string, sessionId: string): Promise<number> {
  return redis.client.ttl(`${redis.prefix}${namespace}:${createHash('sha256').update(sessionId).digest('hex')}`);
}
