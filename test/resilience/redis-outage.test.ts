/**
 * Redis misbehaving under a fully configured router: not there at start, killed mid-run and
 * restarted empty (frozen-and-thawed is in redis-frozen.test.ts). The client is node-redis with
 * its default offline queue — the configuration most apps run.
 *
 * Documented behaviour under test (docs/readme/resilience.md):
 * - a request that needs the store answers 503 `store_error` within `commandTimeoutMs` (1 s),
 *   never hangs, and works again once Redis is back;
 * - requests that do not need the store keep working (mobile login with cookie storage,
 *   `/weixin-config.js` from a process-local fetch);
 * - a pay notify during the outage gets FAIL (WeChat delivers again); after recovery it is
 *   processed exactly once;
 * - a browser login needs no store until it completes (the pending state is in the browser's cookie).
 */
import request from 'supertest';
import { WxAuthError } from '../../lib';
import { RedisStore } from '../../lib/store';
import { SUCCESS_REPLY } from '../../lib/pay/notify';
import { MOBILE, MP, payNotifyXml } from './harness';
import { PREFIX, redisOutageSuite } from './redis-harness';

const s = redisOutageSuite('redis-outage');

describe('Redis not there when the app starts', () => {
  test('store routes answer 503 store_error (no hang), the others keep working; all recover when Redis starts', async () => {
    s.tally.cases++;
    const client = s.newClient();
    const connecting = client.connect(); // not awaited: the app starts while Redis is down
    const h = s.appOn(client);
    const notify = payNotifyXml();

    const [notifyDown, ...down] = await Promise.all([
      s.send(request(h.app).post('/wxpay/pay/callback').type('text/xml').send(notify.xml)),
      ...s.probes.map((p) => p.send(h)),
    ]);
    s.probes.forEach((p, i) => p.down(down[i]!));
    // FAIL: WeChat delivers the notify again later. Not handed to the app.
    expect(notifyDown!.status).toBe(503);
    expect(notifyDown!.text).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    expect(h.notified.size).toBe(0);
    expect(h.logger.text()).toContain('store_error');

    await s.redis.start();
    await connecting;
    await s.ready(client);
    const up = await Promise.all(s.probes.map((p) => p.send(h)));
    s.probes.forEach((p, i) => p.up(up[i]!));
    // WeChat's next delivery is processed, once; the one after is acknowledged without a rerun.
    for (let i = 0; i < 2; i++) {
      const res = await s.send(request(h.app).post('/wxpay/pay/callback').type('text/xml').send(notify.xml));
      expect([res.status, res.text]).toEqual([200, SUCCESS_REPLY]);
    }
    expect(h.notified.get(notify.transactionId)).toBe(1);
  });

  test('a store call queued while disconnected is dropped at its timeout, not run later', async () => {
    s.tally.cases++;
    const client = s.newClient();
    const connecting = client.connect();
    const store = new RedisStore(client, { prefix: PREFIX, commandTimeoutMs: 200 });
    await expect(store.set('queued', 'late', 60)).rejects.toMatchObject({ code: 'store_error', status: 503 });
    await expect(store.setIfAbsent('queued-nx', 'late', 60)).rejects.toBeInstanceOf(WxAuthError);
    await s.redis.start();
    await connecting;
    await s.ready(client);
    // node-redis removed them from its offline queue: nothing ran when the connection came back.
    expect(await client.exists([`${PREFIX}queued`, `${PREFIX}queued-nx`])).toBe(0);
    await store.set('now', 'ok', 60);
    expect(await store.get('now')).toBe('ok');
  });
});

describe('Redis killed mid-run and restarted empty (no persistence)', () => {
  test('a login caught by the outage completes (its pending state is in the browser, not in Redis); a new login works after the restart', async () => {
    s.tally.cases++;
    await s.redis.start();
    const client = s.newClient();
    await client.connect();
    const h = s.appOn(client);
    const agent = request.agent(h.app);
    const start = await s.send(agent.get('/oauth/wechat/login').query({ action: 'mp', next: '/me' }));
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const code = s.sim.sim.issueCode(MP.appid, { user: 'rita', scope: 'snsapi_base' });

    await s.redis.stop();
    const during = await s.send(agent.get('/oauth/wechat/callback').query({ code, state }));
    expect([during.status, during.headers.location]).toEqual([302, '/me']); // the state check and the cookie login need no store

    await s.redis.start();
    await s.ready(client);
    expect((await s.send(agent.get('/me'))).body).toEqual({ openid: s.sim.sim.openidOf(MP.appid, 'rita'), action: 'mp' });
    // Single use all the same: the entry left the cookie at the callback.
    const replay = await s.send(agent.get('/oauth/wechat/callback').query({ code, state }).set('Accept', 'application/json'));
    expect([replay.status, replay.body.error]).toEqual([400, 'state_error']);
    const again = await s.send(agent.get('/oauth/wechat/login').query({ action: 'mp', next: '/me' }));
    const state2 = new URL(again.headers.location!).searchParams.get('state')!;
    const done = await s.send(agent.get('/oauth/wechat/callback').query({ code: s.sim.sim.issueCode(MP.appid, { user: 'sam', scope: 'snsapi_base' }), state: state2 }));
    expect(done.status).toBe(302);
    expect((await s.send(agent.get('/me'))).body).toEqual({ openid: s.sim.sim.openidOf(MP.appid, 'sam'), action: 'mp' });
  });

  test('a pay notify during the outage gets FAIL; redelivered after the restart it runs once, even 10 at a time', async () => {
    s.tally.cases++;
    await s.redis.start();
    const client = s.newClient();
    await client.connect();
    const h = s.appOn(client);
    const notify = payNotifyXml();
    await s.redis.stop();
    const during = await Promise.all([1, 2, 3].map(() => s.send(request(h.app).post('/wxpay/pay/callback').type('text/xml').send(notify.xml))));
    for (const res of during) expect([res.status, res.text.includes('<return_code><![CDATA[FAIL]]></return_code>')]).toEqual([503, true]);
    expect(h.notified.size).toBe(0);
    expect(h.logger.text()).toContain('the store failed while processing a notify');

    await s.redis.start();
    await s.ready(client);
    const burst = await Promise.all(Array.from({ length: 10 }, () => s.send(request(h.app).post('/wxpay/pay/callback').type('text/xml').send(notify.xml))));
    // Every delivery is acknowledged (the losers waited for the winner's done mark) or told to come back.
    for (const res of burst) expect(res.status === 200 ? res.text : res.status).toBe(res.status === 200 ? SUCCESS_REPLY : 503);
    expect(burst.some((res) => res.status === 200)).toBe(true);
    expect(h.notified.get(notify.transactionId)).toBe(1);
    const late = await s.send(request(h.app).post('/wxpay/pay/callback').type('text/xml').send(notify.xml));
    expect([late.status, late.text]).toEqual([200, SUCCESS_REPLY]);
    expect(h.notified.get(notify.transactionId)).toBe(1);
  });

  test('JWT storage: a bearer request during the outage reaches the app error handler as store_error 503, and works after', async () => {
    s.tally.cases++;
    await s.redis.start();
    const client = s.newClient();
    await client.connect();
    const h = s.appOn(client, 'jwt');
    const login = await s.send(request(h.app).post('/oauth/wechat/mobile').send({ code: s.sim.sim.issueCode(MOBILE.appid, { user: 'jay' }) }));
    const token = login.body.token as string;
    expect(token).toEqual(expect.any(String));

    await s.redis.stop();
    // The deny-list (logged-out tokens) cannot be read: fail closed with a typed error, never "logged in".
    const during = await s.send(request(h.app).get('/me').set('Authorization', `Bearer ${token}`));
    expect([during.status, during.body.error]).toEqual([503, 'store_error']);
    expect(h.appErrors).toEqual([expect.objectContaining({ code: 'store_error' })]);

    await s.redis.start();
    await s.ready(client);
    const after = await s.send(request(h.app).get('/me').set('Authorization', `Bearer ${token}`));
    expect(after.body).toEqual({ openid: s.sim.sim.openidOf(MOBILE.appid, 'jay'), action: 'mobile' });
  });
});
