/**
 * Redis frozen (SIGSTOP) and thawed: the connection stays open and nothing answers — the nastiest
 * outage, with no error to react to. Store routes must answer 503 within `commandTimeoutMs`,
 * commands that reach Redis late must not leave locks behind or make a notify run twice.
 */
import request from 'supertest';
import { RedisStore } from '../../lib/store';
import { SUCCESS_REPLY } from '../../lib/pay/notify';
import { MCHID, MINI, MOBILE, payNotifyXml } from './harness';
import { PREFIX, redisOutageSuite } from './redis-harness';

const s = redisOutageSuite('redis-frozen');

describe('Redis frozen (SIGSTOP) and thawed: connection open, no answer', () => {
  test('native refresh and mini-program decrypt with a live session id: 503 store_error while Redis is away', async () => {
    s.tally.cases++;
    await s.redis.start();
    const client = s.newClient();
    await client.connect();
    const h = s.appOn(client);
    const native = await s.send(request(h.app).post('/wx/oauth/login').set({ 'X-Client-Type': 'ios', 'X-App-Id': MOBILE.appid }).send({ code: s.sim.sim.issueCode(MOBILE.appid) }));
    const mini = await s.send(request(h.app).post('/wx/miniprogram/login').send({ code: s.sim.sim.issueCode(MINI.appid) }));
    s.redis.pause();
    const [refresh, decrypt] = await Promise.all([
      s.send(request(h.app).put('/wx/oauth/refresh').set({ 'X-App-Id': MOBILE.appid, 'X-Session-Id': native.body.sessionId })),
      s.send(request(h.app).post('/wx/miniprogram/decrypt').set('X-Session-Id', mini.body.sessionId).send({ encryptedData: 'AAAA', iv: 'AAAAAAAAAAAAAAAAAAAAAA==' })),
    ]);
    for (const res of [refresh, decrypt]) expect([res.status, res.body.error?.code]).toEqual([503, 'store_error']);
    s.redis.resume();
    const after = await s.send(request(h.app).put('/wx/oauth/refresh').set({ 'X-App-Id': MOBILE.appid, 'X-Session-Id': native.body.sessionId }));
    expect(after.status).toBe(204);
  });

  test('store routes answer 503 within the timeout, the rest keeps working, everything recovers on thaw', async () => {
    s.tally.cases++;
    await s.redis.start();
    const client = s.newClient();
    await client.connect();
    const h = s.appOn(client);
    s.redis.pause();
    const down = await Promise.all(s.probes.map((p) => p.send(h)));
    s.probes.forEach((p, i) => p.down(down[i]!));
    s.redis.resume();
    const up = await Promise.all(s.probes.map((p) => p.send(h)));
    s.probes.forEach((p, i) => p.up(up[i]!));
  });

  test('frozen while the notify handler runs: answered SUCCESS, and the late done mark keeps a redelivery from running it again', async () => {
    s.tally.cases++;
    await s.redis.start();
    const client = s.newClient();
    await client.connect();
    const h = s.appOn(client);
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    h.router.pay.onNotify(async () => {
      entered();
      await gate;
      runs++;
    });
    const notify = payNotifyXml();
    const first = s.send(request(h.app).post('/wxpay/pay/callback').type('text/xml').send(notify.xml));
    await inHandler;
    s.redis.pause();
    release();
    // The work is done; only the mark could not be written in time: SUCCESS (a FAIL would make
    // WeChat redeliver into a handler that already ran), and the operator is told.
    expect([(await first).status, (await first).text]).toEqual([200, SUCCESS_REPLY]);
    expect(h.logger.text()).toContain('done mark could not be stored');
    s.redis.resume();
    await s.ready(client);
    // The SET that timed out reached Redis and ran on thaw: WeChat's redelivery is recognised.
    const onceKey = `${PREFIX}wxpay:${MCHID}:pay:${notify.transactionId}:once`;
    for (let i = 0; i < 50 && !String(await client.get(onceKey)).startsWith('done:'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const again = await s.send(request(h.app).post('/wxpay/pay/callback').type('text/xml').send(notify.xml));
    expect([again.status, again.text]).toEqual([200, SUCCESS_REPLY]);
    expect(runs).toBe(1);
  });

  test('a SET NX that times out and then runs on thaw is taken back (no orphan lock)', async () => {
    s.tally.cases++;
    await s.redis.start();
    const client = s.newClient();
    await client.connect();
    const store = new RedisStore(client, { prefix: PREFIX, commandTimeoutMs: 200 });
    s.redis.pause();
    await expect(store.setIfAbsent('lock', 'owner-1', 120)).rejects.toMatchObject({ code: 'store_error' });
    await expect(store.get('lock')).rejects.toMatchObject({ code: 'store_error' });
    s.redis.resume();
    // On thaw Redis runs the queued SET NX (it was already on the wire), then our compare-and-delete.
    let left = 1;
    for (let i = 0; i < 50 && left; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = await client.exists(`${PREFIX}lock`);
    }
    expect(left).toBe(0);
    expect(await store.setIfAbsent('lock', 'owner-2', 120)).toBe(true);
  });
});
