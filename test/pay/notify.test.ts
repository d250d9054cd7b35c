import request from 'supertest';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { RedisStore, type Store } from '../../lib/store';
import type { PayNotifyOrder } from '../../lib/pay/types';
import { APPID, MCHID, payNotify, startPayApp, SUCCESS_XML } from './helpers';

let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('pay-notify');
});
afterAll(async () => {
  await redis.close();
});

type App = Awaited<ReturnType<typeof startPayApp>>;
const apps: App[] = [];
async function app(options: Parameters<typeof startPayApp>[0] = {}): Promise<App> {
  const started = await startPayApp({ store: redis.store, ...options });
  apps.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const post = (url: string, xml: string | Buffer, path = '/wxpay/pay/callback') =>
  request(url).post(path).set('Content-Type', 'text/xml').send(typeof xml === 'string' ? xml : xml.toString());

describe('payment notify: POST /wxpay/:type/callback', () => {
  test('a valid notify calls the handler once with the verified order and type, then answers the exact SUCCESS XML', async () => {
    const a = await app();
    const seen: Array<[PayNotifyOrder, string]> = [];
    a.api.onNotify(async (order, type) => void seen.push([order, type]));
    const { xml, fields } = payNotify({ total_fee: '2500' });
    const res = await post(a.url, xml, '/wxpay/vip/callback');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.text).toBe(SUCCESS_XML);
    expect(seen).toHaveLength(1);
    const [order, type] = seen[0]!;
    expect(type).toBe('vip');
    expect(order).toMatchObject({ transactionId: fields.transaction_id, outTradeNo: fields.out_trade_no, totalFee: 2500, openid: fields.openid, total_fee: '2500' });
  });

  test('the same notify 5 times in a row: handler once, SUCCESS every time', async () => {
    const a = await app();
    const handler = jest.fn();
    a.api.onNotify(handler);
    const { xml } = payNotify();
    for (let i = 0; i < 5; i++) expect((await post(a.url, xml)).text).toBe(SUCCESS_XML);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  test('the same notify 20 times at once across two processes sharing Redis: handler exactly once', async () => {
    // Two routers, two Redis connections, one key space: what two app servers behind a balancer see.
    const other = await createTestRedis('pay-notify-b');
    try {
      const a = await app();
      const b = await app({ store: new RedisStore(other.client, { prefix: redis.prefix }) });
      let calls = 0;
      const slowHandler = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 50)); // long enough for every repeat to arrive meanwhile
      };
      a.api.onNotify(slowHandler);
      b.api.onNotify(slowHandler);
      const { xml } = payNotify();
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? b.url : a.url, xml)));
      expect(calls).toBe(1);
      expect(replies.every((r) => r.text === SUCCESS_XML)).toBe(true);
      expect((await post(b.url, xml)).text).toBe(SUCCESS_XML);
      expect(calls).toBe(1);
    } finally {
      await other.close();
    }
  });

  test('distinct transactions are each processed', async () => {
    const a = await app();
    const handler = jest.fn();
    a.api.onNotify(handler);
    await Promise.all([post(a.url, payNotify().xml), post(a.url, payNotify().xml), post(a.url, payNotify().xml)]);
    expect(handler).toHaveBeenCalledTimes(3);
  });

  test('a handler that throws gets FAIL and no done mark; the next repeat runs it again', async () => {
    const logger = captureLogger();
    const a = await app({ logger });
    let attempts = 0;
    a.api.onNotify(async () => {
      if (++attempts === 1) throw new Error('database down');
    });
    const { xml } = payNotify();
    const first = await post(a.url, xml);
    expect(first.status).toBe(500);
    expect(first.text).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    const second = await post(a.url, xml);
    expect(second.text).toBe(SUCCESS_XML);
    expect((await post(a.url, xml)).text).toBe(SUCCESS_XML);
    expect(attempts).toBe(2);
    expect(logger.text()).toMatch(/handler failed/);
  });

  describe('refused with FAIL and the handler never called', () => {
    let a: App;
    let handler: jest.Mock;
    let logger: ReturnType<typeof captureLogger>;
    beforeEach(async () => {
      logger = captureLogger();
      a = await app({ logger });
      handler = jest.fn();
      a.api.onNotify(handler);
    });
    afterEach(() => {
      expect(handler).not.toHaveBeenCalled();
    });
    const expectFail = (res: request.Response, status = 400) => {
      expect(res.status).toBe(status);
      expect(res.text).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    };

    test('bad sign', async () => {
      expectFail(await post(a.url, payNotify({ sign: 'A'.repeat(32) }).xml));
    });
    test('signed with another key', async () => {
      expectFail(await post(a.url, payNotify({}, 'z'.repeat(32)).xml));
    });
    test('a field changed after signing', async () => {
      const { fields } = payNotify();
      const { xml } = payNotify({ ...fields, total_fee: '1', sign: fields.sign });
      expectFail(await post(a.url, xml));
    });
    test('wrong appid (validly signed with our key)', async () => {
      expectFail(await post(a.url, payNotify({ appid: 'wxother0000000001' }).xml));
    });
    test('wrong mch_id (validly signed with our key)', async () => {
      expectFail(await post(a.url, payNotify({ mch_id: '1234567890' }).xml));
    });
    test('DOCTYPE / XXE payload', async () => {
      const { fields } = payNotify();
      const body = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><appid>${APPID}</appid><mch_id>${MCHID}</mch_id><attach>&xxe;</attach><sign>${fields.sign}</sign></xml>`;
      expectFail(await post(a.url, body));
      expect(logger.text()).toMatch(/DOCTYPE/);
    });
    test('truncated XML', async () => {
      const { xml } = payNotify();
      expectFail(await post(a.url, xml.slice(0, xml.length - 20)));
    });
    test('empty body', async () => {
      expectFail(await request(a.url).post('/wxpay/pay/callback'));
    });
    test('a 1 MB body is cut off at the limit with 413', async () => {
      const huge = `<xml><appid>${APPID}</appid><attach>${'x'.repeat(1024 * 1024)}</attach></xml>`;
      expectFail(await post(a.url, huge), 413);
    });
    test('a validly signed notify over 16 KiB is 413, through the route and through handleNotify', async () => {
      const { xml } = payNotify({ attach: 'x'.repeat(17 * 1024) });
      expectFail(await post(a.url, xml), 413);
      const reply = await a.api.handleNotify(xml, 'pay');
      expect(reply).toMatchObject({ status: 413, ok: false });
      expect(reply.body).toContain('too large');
    });
    test('a validly signed notify with more than 100 fields', async () => {
      const extra = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`f${i}`, '1']));
      expectFail(await post(a.url, payNotify(extra).xml));
      expect(logger.text()).toMatch(/more than 100 fields/);
    });
    test('a validly signed notify with an XML declaration, a comment or a processing instruction', async () => {
      const { xml } = payNotify();
      expectFail(await post(a.url, `<?xml version="1.0" encoding="UTF-8"?>${xml}`));
      expectFail(await post(a.url, xml.replace('</xml>', '<!-- hi --></xml>')));
      expectFail(await post(a.url, xml.replace('</xml>', '<?pi x?></xml>')));
      expectFail(await post(a.url, `${xml}<xml></xml>`));
    });
    test('a repeated field (one value signed, another read)', async () => {
      const { xml } = payNotify();
      expectFail(await post(a.url, xml.replace('</xml>', '<total_fee><![CDATA[1]]></total_fee></xml>')));
    });
    test('return_code FAIL', async () => {
      expectFail(await post(a.url, payNotify({ return_code: 'FAIL' }).xml));
    });
    test('a type that is not a safe path segment', async () => {
      expectFail(await post(a.url, payNotify().xml, '/wxpay/a.b/callback'), 404);
    });
  });

  describe('amount checks', () => {
    test('amountOf runs before the handler: a mismatch is FAIL, logged, and the handler is not called', async () => {
      const logger = captureLogger();
      const a = await app({ logger });
      const handler = jest.fn();
      a.api.onNotify(handler, { amountOf: async () => 999 });
      const { xml, fields } = payNotify({ total_fee: '1' });
      const res = await post(a.url, xml);
      expect(res.status).toBe(400);
      expect(res.text).toContain('amount mismatch');
      expect(handler).not.toHaveBeenCalled();
      expect(logger.text()).toContain('does not match');
      expect(logger.text()).toContain(String(fields.out_trade_no));
    });

    test('amountOf matching: processed', async () => {
      const a = await app();
      const handler = jest.fn();
      const amountOf = jest.fn(async () => 100);
      a.api.onNotify(handler, { amountOf });
      const { xml, fields } = payNotify({ total_fee: '100' });
      expect((await post(a.url, xml, '/wxpay/shop/callback')).text).toBe(SUCCESS_XML);
      expect(amountOf).toHaveBeenCalledWith(fields.out_trade_no, 'shop');
      expect(handler).toHaveBeenCalledTimes(1);
    });

    test('an unknown order (amountOf → undefined) is refused', async () => {
      const a = await app();
      const handler = jest.fn();
      a.api.onNotify(handler, { amountOf: () => undefined });
      expect((await post(a.url, payNotify().xml)).status).toBe(400);
      expect(handler).not.toHaveBeenCalled();
    });

    test('redelivered 6 times: an amountOf mismatch never runs the handler; a handler that succeeded never runs again, whatever it returned', async () => {
      const refused = await app();
      const handler = jest.fn();
      const amountOf = jest.fn(async () => 500);
      refused.api.onNotify(handler, { amountOf });
      const mismatch = payNotify({ total_fee: '1' }).xml;
      for (let i = 0; i < 6; i++) {
        const res = await post(refused.url, mismatch);
        expect(res.status).toBe(400);
        expect(res.text).toContain('amount mismatch');
      }
      expect(amountOf).toHaveBeenCalledTimes(6);
      expect(handler).not.toHaveBeenCalled();

      const a = await app();
      let calls = 0;
      // A handler written for the removed post-handler check (plain JS, or cast): its side effects
      // are done, so nothing it returns may fail the notify and have WeChat run it again.
      const legacy = async () => {
        calls++;
        return { expectedTotalFee: 500 };
      };
      a.api.onNotify(legacy as unknown as () => Promise<void>);
      const { xml } = payNotify({ total_fee: '1' });
      for (let i = 0; i < 7; i++) expect((await post(a.url, xml)).text).toBe(SUCCESS_XML);
      expect(calls).toBe(1);
    });
  });

  describe('nothing after a handler that succeeded can have it run again', () => {
    /** Redis, except that writing the done mark fails: the work is done, the mark cannot be stored. */
    const markFails = (): Store => {
      const store = redis.store;
      const fail = () => Promise.reject(new Error('store down'));
      return Object.assign(Object.create(store) as Store, {
        set: (key: string, value: string, ttl?: number) => (value.startsWith('done:') ? fail() : store.set(key, value, ttl)),
        setIfEquals: fail, // only ever called to write the done mark
      });
    };

    test('the done mark cannot be stored: SUCCESS (FAIL would have WeChat run it again), logged, the lock kept — even when the logger throws', async () => {
      const logger = captureLogger();
      const throwing = { ...logger, error: (message: string, meta?: unknown) => { logger.error(message, meta as never); throw new Error('logger down'); } };
      const a = await app({ store: markFails(), logger: throwing, pay: { notify: { waitMs: 50 } } });
      const handler = jest.fn();
      a.api.onNotify(handler);
      const { xml } = payNotify();
      expect(await a.api.handleNotify(xml, 'pay')).toMatchObject({ ok: true, body: SUCCESS_XML });
      expect(logger.text()).toMatch(/handler succeeded but the done mark could not be stored/);
      // The lock was not released: a redelivery waits for it (busy) instead of running the handler.
      expect(await a.api.handleNotify(xml, 'pay')).toMatchObject({ ok: false, status: 503 });
      expect(handler).toHaveBeenCalledTimes(1);
    });
  });

  describe('sign_type: only the configured algorithm', () => {
    test('an HMAC-SHA256 merchant takes HMAC notifies (sign_type named or not) and refuses MD5-signed ones (named or not); the handler is not run for those', async () => {
      const logger = captureLogger();
      const a = await app({ logger, pay: { signType: 'HMAC-SHA256' } });
      const handler = jest.fn();
      a.api.onNotify(handler);
      for (const notify of [payNotify({ sign_type: 'MD5' }), payNotify()]) {
        const res = await post(a.url, notify.xml);
        expect(res.status).toBe(400);
        expect(res.text).toContain('<return_code><![CDATA[FAIL]]></return_code>');
        expect(res.text).toContain('invalid sign');
      }
      expect(handler).not.toHaveBeenCalled();
      expect(logger.text()).toContain('invalid sign');
      const unnamed = payNotify({ sign_type: undefined }, undefined, 'HMAC-SHA256');
      expect(unnamed.fields.sign_type).toBeUndefined();
      expect((await post(a.url, payNotify({}, undefined, 'HMAC-SHA256').xml)).text).toBe(SUCCESS_XML);
      expect((await post(a.url, unnamed.xml)).text).toBe(SUCCESS_XML);
      expect(handler).toHaveBeenCalledTimes(2);
    });

    test('an MD5 merchant refuses an HMAC-SHA256-signed notify that names its sign_type', async () => {
      const a = await app();
      const handler = jest.fn();
      a.api.onNotify(handler);
      const res = await post(a.url, payNotify({}, undefined, 'HMAC-SHA256').xml);
      expect(res.status).toBe(400);
      expect(res.text).toContain('invalid sign');
      expect(handler).not.toHaveBeenCalled();
    });

    test('router.pay.verify follows the same rule', async () => {
      const hmac = await app({ pay: { signType: 'HMAC-SHA256' } });
      const md5 = await app();
      const md5Signed = payNotify({ sign_type: 'MD5' }).fields;
      const hmacSigned = payNotify({}, undefined, 'HMAC-SHA256').fields;
      expect(hmac.api.verify(md5Signed)).toBe(false);
      expect(hmac.api.verify(hmacSigned)).toBe(true);
      expect(md5.api.verify(hmacSigned)).toBe(false);
      expect(md5.api.verify(md5Signed)).toBe(true);
    });
  });

  test('a notify for a failed payment (result_code FAIL) is acknowledged without calling the handler', async () => {
    const a = await app();
    const handler = jest.fn();
    a.api.onNotify(handler);
    const res = await post(a.url, payNotify({ result_code: 'FAIL', err_code: 'NOTENOUGH', transaction_id: undefined }).xml);
    expect(res.text).toBe(SUCCESS_XML);
    expect(handler).not.toHaveBeenCalled();
  });

  test('no handler registered yet: FAIL (WeChat retries), nothing marked', async () => {
    const logger = captureLogger();
    const a = await app({ logger });
    const { xml } = payNotify();
    expect((await post(a.url, xml)).status).toBe(500);
    const handler = jest.fn();
    a.api.onNotify(handler);
    expect((await post(a.url, xml)).text).toBe(SUCCESS_XML);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  test('logs never contain the API key or a signature', async () => {
    const logger = captureLogger();
    const a = await app({ logger });
    a.api.onNotify(async () => {
      throw new Error('boom');
    });
    const { xml, fields } = payNotify();
    await post(a.url, xml);
    await post(a.url, payNotify({ sign: 'B'.repeat(32) }).xml);
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.text()).not.toContain(String(fields.sign));
    expect(logger.text()).not.toContain('k3y0123456789');
  });

  test('/wxpay/refund/callback is the refund route, not a payment notify of type "refund" (Express 4 too)', async () => {
    for (const express4 of [false, true]) {
      const a = await app({ express4 });
      const handler = jest.fn();
      a.api.onNotify(handler);
      const res = await post(a.url, payNotify().xml, '/wxpay/refund/callback');
      expect(res.text).toContain('FAIL'); // a payment notify has no req_info
      expect(handler).not.toHaveBeenCalled();
      // …while other types work on the same Express version
      expect((await post(a.url, payNotify().xml, '/wxpay/book/callback')).text).toBe(SUCCESS_XML);
      expect(handler).toHaveBeenCalledWith(expect.anything(), 'book');
    }
  });

  test('handleNotify works without Express', async () => {
    const a = await app();
    const handler = jest.fn();
    a.api.onNotify(handler);
    const reply = await a.api.handleNotify(payNotify().xml, 'pay');
    expect(reply).toEqual({ status: 200, ok: true, body: SUCCESS_XML, contentType: 'application/xml; charset=utf-8' });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
