import { MemoryStore } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';
import { defaultRandomHex, type WxContext } from '../../lib/context';
import { consumeState, createState, STATE_TTL_SECONDS } from '../../lib/oauth/state';
import { captureLogger } from '../helpers/logs';
import { createTestRedis, type TestRedis } from '../helpers/redis';

let redis: TestRedis;
beforeAll(async () => {
  redis = await createTestRedis('oauth-state');
});
afterAll(() => redis.close());

const record = { action: 'mp' as const, scope: 'snsapi_base' as const, appid: 'wxmp000000000001', next: '/profile' };

describe.each([
  ['memory', () => new MemoryStore()],
  ['redis', () => redis.store],
])('OAuth state on the %s store', (_name, makeStore) => {
  let now = Date.UTC(2024, 0, 1);
  const ctx = (): WxContext => ({ http: new WechatClient(), store: makeStore(), now: () => now, randomHex: defaultRandomHex, logger: captureLogger() });

  test('a state is 128 bits of hex and returns its record once', async () => {
    const c = ctx();
    const state = await createState(c, { ...record, binding: 'b'.repeat(32) });
    expect(state).toMatch(/^[a-f0-9]{32}$/);
    await expect(consumeState(c, state, 'b'.repeat(32))).resolves.toMatchObject(record);
    await expect(consumeState(c, state, 'b'.repeat(32))).rejects.toMatchObject({ code: 'state_error' });
  });

  test('states are unique', async () => {
    const c = ctx();
    const states = await Promise.all(Array.from({ length: 50 }, () => createState(c, { ...record, binding: 'b'.repeat(32) })));
    expect(new Set(states).size).toBe(50);
  });

  test('a state from another browser is refused (and burnt)', async () => {
    const c = ctx();
    const state = await createState(c, { ...record, binding: 'a'.repeat(32) });
    await expect(consumeState(c, state, 'b'.repeat(32))).rejects.toMatchObject({ code: 'state_error' });
    await expect(consumeState(c, state, 'a'.repeat(32))).rejects.toMatchObject({ code: 'state_error' });
  });

  test('a state without a binding cookie is refused', async () => {
    const c = ctx();
    const state = await createState(c, { ...record, binding: 'a'.repeat(32) });
    await expect(consumeState(c, state, undefined)).rejects.toMatchObject({ code: 'state_error' });
  });

  test('a state older than 10 minutes is refused (injected clock)', async () => {
    const c = ctx();
    const state = await createState(c, { ...record, binding: 'a'.repeat(32) });
    now += STATE_TTL_SECONDS * 1000 + 1;
    await expect(consumeState(c, state, 'a'.repeat(32))).rejects.toMatchObject({ code: 'state_error' });
  });

  test('forged, missing and malformed states are refused', async () => {
    const c = ctx();
    for (const s of [undefined, '', 'STATE', 'f'.repeat(32), 'a b', '../x', ['a'], 'x'.repeat(200)]) {
      await expect(consumeState(c, s, 'a'.repeat(32))).rejects.toMatchObject({ code: 'state_error', status: 400 });
    }
  });
});

test('the state lives in Redis with a TTL of at most 10 minutes', async () => {
  const c: WxContext = { http: new WechatClient(), store: redis.store, now: Date.now, randomHex: defaultRandomHex, logger: captureLogger() };
  const state = await createState(c, { ...record, binding: 'a'.repeat(32) });
  const ttl = await redis.client.pTTL(`${redis.prefix}oauth:state:${state}`);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(600_000);
});
