/**
 * The MemoryStore at its bound: expired entries are reclaimed, live ones are never dropped, and a
 * new key that does not fit is refused with store_error (fail closed).
 */
import fc from 'fast-check';
import { MemoryStore } from '../../lib/store/memory';
import { resolveStore } from '../../lib/store';
import { WxAuthError } from '../../lib/errors';

function quiet() {
  const lines: string[] = [];
  return { lines, warn: (message: string) => void lines.push(message) };
}

async function refusal(write: Promise<unknown>): Promise<WxAuthError> {
  try {
    await write;
  } catch (error) {
    return error as WxAuthError;
  }
  throw new Error('expected the write to be refused');
}

describe('MemoryStore at maxEntries', () => {
  test('full of unexpired entries: a new key is refused with store_error 503 and every old entry is still there', async () => {
    const clock = { now: 1_000_000 };
    const logger = quiet();
    const store = new MemoryStore({ maxEntries: 50, now: () => clock.now, logger });
    for (let i = 0; i < 25; i++) await store.set(`deny:${i}`, 'revoked', 3600);
    for (let i = 0; i < 25; i++) await store.set(`forever:${i}`, 'v'); // no TTL
    for (const write of [store.set('new', 'x', 60), store.set('new', 'x'), store.setIfAbsent('new', 'x', 60)]) {
      const error = await refusal(write);
      expect(error).toBeInstanceOf(WxAuthError);
      expect(error.code).toBe('store_error');
      expect(error.status).toBe(503);
    }
    expect(await store.get('new')).toBeUndefined();
    expect(store.size).toBe(50);
    for (let i = 0; i < 25; i++) {
      expect(await store.get(`deny:${i}`)).toBe('revoked');
      expect(await store.get(`forever:${i}`)).toBe('v');
    }
  });

  test('a flood past the default bound cannot push out a deny-list entry, a done mark or a session', async () => {
    const store = new MemoryStore({ logger: quiet() });
    await store.set('jwt:deny:abc', '1', 3600);
    await store.set('wxpay:1900000109:pay:4200001:once', 'done:1', 30 * 86400);
    await store.set('native:session:s1', '{"openid":"o1"}', 30 * 86400);
    let refused = 0;
    for (let i = 0; i < 101_000; i++) await store.set(`oauth:state:${i}`, 's', 600).catch(() => refused++);
    expect(refused).toBe(1003);
    expect(await store.get('jwt:deny:abc')).toBe('1');
    expect(await store.get('wxpay:1900000109:pay:4200001:once')).toBe('done:1');
    expect(await store.get('native:session:s1')).toBe('{"openid":"o1"}');
  });

  test('when full, expired entries are reclaimed and the write then succeeds', async () => {
    const clock = { now: 1_000_000 };
    const logger = quiet();
    const store = new MemoryStore({ maxEntries: 10, now: () => clock.now, logger });
    for (let i = 0; i < 5; i++) await store.set(`long:${i}`, 'v', 3600);
    for (let i = 0; i < 5; i++) await store.set(`short:${i}`, 'v', 10);
    await expect(store.set('new', 'x', 60)).rejects.toMatchObject({ code: 'store_error' });
    clock.now += 10_001; // the short ones have expired, the long ones have not
    await store.set('new', 'x', 60);
    expect(await store.get('new')).toBe('x');
    expect(store.size).toBe(6);
    for (let i = 0; i < 5; i++) expect(await store.get(`long:${i}`)).toBe('v');
    expect(await store.setIfAbsent('new2', 'y', 60)).toBe(true);
  });

  test('when full, overwriting a live key, compare-and-set, renewal and deletes still work', async () => {
    const store = new MemoryStore({ maxEntries: 3, logger: quiet() });
    await store.set('a', '1', 60);
    await store.set('b', '2', 60);
    await store.set('c', '3');
    await store.set('a', 'one', 60); // does not grow the map
    expect(await store.setIfEquals('b', '2', 'two', 60)).toBe(true);
    expect(await store.expireIfEquals('c', '3', 60)).toBe(true);
    expect(await store.setIfAbsent('a', 'x', 60)).toBe(false); // exists: false, not an error
    expect([await store.get('a'), await store.get('b'), await store.get('c')]).toEqual(['one', 'two', '3']);
    expect(await store.take('a')).toBe('one');
    await store.set('d', '4', 60); // room again
    await store.del('b');
    expect(await store.delIfEquals('c', '3')).toBe(true);
    await store.set('e', '5', 60);
    expect(store.size).toBe(2);
  });

  test('the refusal is logged once only, without keys or values', async () => {
    const logger = quiet();
    const store = new MemoryStore({ maxEntries: 2, logger });
    await store.set('secret-key-1', 'secret-value-1', 60);
    await store.set('secret-key-2', 'secret-value-2', 60);
    for (let i = 0; i < 5; i++) await store.set(`secret-key-new-${i}`, 'secret-value-new', 60).catch(() => undefined);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/full/);
    expect(logger.lines[0]).not.toMatch(/secret-/);
    const error = await refusal(store.set('secret-key-x', 'secret-value-x', 60));
    expect(error.message).not.toMatch(/secret-/);
  });

  test('the default logger is console.warn', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const store = new MemoryStore({ maxEntries: 1 });
      await store.set('a', '1');
      await store.set('b', '2').catch(() => undefined);
      await store.set('c', '3').catch(() => undefined);
      expect(warn.mock.calls.filter(([m]) => /store is full/.test(String(m)))).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });

  test("the default store of resolveStore tells the app's logger when it is full", async () => {
    const logger = quiet();
    const store = resolveStore(undefined, undefined, undefined, logger);
    for (let i = 0; i < 100_000; i++) await store.set(`k${i}`, 'v', 60);
    await expect(store.set('one-more', 'v', 60)).rejects.toMatchObject({ code: 'store_error' });
    expect(logger.lines).toHaveLength(1);
  });

  test.each([0, -1, 1.5, Number.NaN])('maxEntries %p is a config_error naming the option', (maxEntries) => {
    expect(() => new MemoryStore({ maxEntries })).toThrow(expect.objectContaining({ code: 'config_error', field: 'maxEntries' }));
  });

  test('property: the store answers like a map with expiry, refusing a new key only when that many live entries exist', async () => {
    type Op =
      | { op: 'set'; key: number; ttl: number | undefined }
      | { op: 'setIfAbsent'; key: number; ttl: number }
      | { op: 'expireIfEquals'; key: number; ttl: number }
      | { op: 'del' | 'take'; key: number }
      | { op: 'tick'; ms: number };
    const key = fc.integer({ min: 0, max: 12 });
    const ttl = fc.integer({ min: 1, max: 20 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key, ttl: fc.option(ttl, { nil: undefined }) }),
      fc.record({ op: fc.constant('setIfAbsent' as const), key, ttl }),
      fc.record({ op: fc.constant('expireIfEquals' as const), key, ttl }),
      fc.record({ op: fc.constantFrom('del' as const, 'take' as const), key }),
      fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 8000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 80 }), async (max, ops) => {
        const clock = { now: 0 };
        const store = new MemoryStore({ maxEntries: max, now: () => clock.now, logger: quiet() });
        const model = new Map<string, { value: string; expiresAt: number }>();
        const live = (k: string) => {
          const e = model.get(k);
          return e && e.expiresAt > clock.now ? e : undefined;
        };
        const liveCount = () => [...model.keys()].filter((k) => live(k)).length;
        const put = (k: string, value: string, seconds: number | undefined) =>
          model.set(k, { value, expiresAt: seconds ? clock.now + seconds * 1000 : Infinity });
        for (const [i, o] of ops.entries()) {
          if (o.op === 'tick') {
            clock.now += o.ms;
            continue;
          }
          const k = `k${o.key}`;
          const value = `v${i}`;
          const fits = !!live(k) || liveCount() < max;
          if (o.op === 'set') {
            if (fits) {
              await store.set(k, value, o.ttl);
              put(k, value, o.ttl);
            } else await expect(store.set(k, value, o.ttl)).rejects.toMatchObject({ code: 'store_error' });
          } else if (o.op === 'setIfAbsent') {
            if (live(k)) expect(await store.setIfAbsent(k, value, o.ttl)).toBe(false);
            else if (fits) {
              expect(await store.setIfAbsent(k, value, o.ttl)).toBe(true);
              put(k, value, o.ttl);
            } else await expect(store.setIfAbsent(k, value, o.ttl)).rejects.toMatchObject({ code: 'store_error' });
          } else if (o.op === 'expireIfEquals') {
            const current = live(k);
            expect(await store.expireIfEquals(k, current?.value ?? 'nope', o.ttl)).toBe(!!current);
            if (current) put(k, current.value, o.ttl);
          } else if (o.op === 'take') {
            expect(await store.take(k)).toBe(live(k)?.value);
            model.delete(k);
          } else {
            await store.del(k);
            model.delete(k);
          }
          for (let j = 0; j <= 12; j++) expect(await store.get(`k${j}`)).toBe(live(`k${j}`)?.value);
          expect(store.size).toBe(liveCount());
        }
      }),
      { numRuns: 300 },
    );
  });
});
