/**
 * `router.requireLogin({ action: 'follow' })` on the app's own route: an anonymous request gets the
 * follow page (or its JSON) with the route as the destination, the scan logs the browser in, and
 * the same route then passes with `req.wxauth`. Over HTTP against the simulator, real Redis.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { wxauth } from '../../lib';
import type { Simulator } from '../../lib/simulator';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { clock, MESSAGES, MP, pollJson, pushScan, sceneOf, startSim, type Clock } from './harness';

let redis: TestRedis;
let c: Clock;
let sim: Simulator;
let closeSim: () => Promise<void>;
let server: Server;
let appUrl: string;

beforeAll(async () => {
  redis = await createTestRedis('follow-require-login');
  c = clock();
  let simUrl: string;
  ({ sim, url: simUrl, close: closeSim } = await startSim(c));
  const router = wxauth({ mp: { ...MP, messages: MESSAGES }, follow: { pollSeconds: 5 }, endpoints: { open: simUrl, api: simUrl }, store: redis.store, logger: captureLogger(), now: c.now });
  const app = express();
  app.use(session({ secret: 'session-secret-for-tests', resave: false, saveUninitialized: false }));
  app.use(router);
  app.get('/account', router.requireLogin({ action: 'follow' }), (req, res) => res.json({ openid: req.wxauth!.openid, action: req.wxauth!.action }));
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await closeSim?.();
  await redis?.close();
});

test('an anonymous browser gets the follow page with its QR code, not a redirect to WeChat', async () => {
  const res = await request(appUrl).get('/account');
  expect(res.status).toBe(200);
  expect(res.type).toBe('text/html');
  expect(res.text).toMatch(/<img[^>]+\/cgi-bin\/showqrcode\?ticket=/);
  expect(res.headers['set-cookie']?.[0]).toMatch(/_follow=/);
});

test('the scan logs the browser in and sends it back to the guarded route, which then passes', async () => {
  const a = request.agent(appUrl);
  const started = await a.get('/account').set('Accept', 'application/json');
  expect(started.status).toBe(200);
  const { qrcodeUrl, poll } = started.body as { qrcodeUrl: string; poll: string };
  const openid = sim.openidOf(MP.appid, 'carol');
  await pushScan(appUrl, c, { openid, event: 'SCAN', eventKey: sceneOf(sim, qrcodeUrl) });
  expect((await pollJson(a, poll)).body).toMatchObject({ status: 'done', next: '/account', openid });
  const again = await a.get('/account');
  expect([again.status, again.body]).toEqual([200, { openid, action: 'follow' }]);
});
