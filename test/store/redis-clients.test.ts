/**
 * Which Redis client `RedisStore` takes for which family, and the clients it refuses at
 * construction. Real client objects, not connected (no command is sent here); the commands
 * themselves run against real topologies in topology-*.test.ts.
 */
import { Cluster, Redis } from 'ioredis';
import { createClient, createClientPool, createCluster, createSentinel } from 'redis';
import { wxauth, WxAuthError } from '../../lib';
import { createPay } from '../../lib/pay/pay';
import { redisClientKind } from '../../lib/store/redis-clients';
import { isRedisLikeClient, RedisStore, resolveStore } from '../../lib/store';
import { PAY } from '../pay/helpers';

const node = { host: '127.0.0.1', port: 1 };
const lazy: Array<{ disconnect?: () => void }> = [];
afterAll(() => {
  for (const c of lazy) c.disconnect?.();
});

function io<T extends { disconnect(): void }>(client: T): T {
  lazy.push(client);
  return client;
}

test.each([
  ['node-redis createClient()', 'node-redis', () => createClient()],
  ['node-redis createClientPool()', 'node-redis', () => createClientPool()],
  ['node-redis createCluster()', 'node-redis-cluster', () => createCluster({ rootNodes: [{ socket: node }] })],
  ['node-redis createSentinel()', 'node-redis-sentinel', () => createSentinel({ name: 'm', sentinelRootNodes: [node] })],
  ['ioredis Redis', 'ioredis', () => io(new Redis({ ...node, lazyConnect: true }))],
  ['ioredis Redis with sentinels', 'ioredis', () => io(new Redis({ sentinels: [node], name: 'm', lazyConnect: true }))],
  ['ioredis Cluster', 'ioredis-cluster', () => io(new Cluster([node], { lazyConnect: true }))],
])('%s is driven as %s', (_name, kind, make) => {
  const client = make();
  expect(redisClientKind(client)).toBe(kind);
  expect(isRedisLikeClient(client)).toBe(true);
  expect((resolveStore(client, 'p:') as RedisStore).clientKind).toBe(kind);
});

function configError(fn: () => unknown): WxAuthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WxAuthError);
    return error as WxAuthError;
  }
  throw new Error('expected a config_error');
}

test.each([
  ['a callback-style node-redis v3 client', { send_command: (): boolean => true, sendCommand: (): boolean => true, get: (): boolean => true }, /callback-style/],
  ['a node-redis v4 client in legacyMode', { sendCommand: (): boolean => true, options: { legacyMode: true } }, /legacyMode/],
  ['an object with a call method but no ioredis shape', { call: () => Promise.resolve('OK') }, /neither a node-redis client/],
])('%s is refused at construction: config_error naming "store" and what to pass', (_name, client, reason) => {
  for (const construct of [
    () => new RedisStore(client as never),
    () => wxauth({ mp: { appid: PAY.appid, secret: 'mp-secret' }, store: client as never, logger: { warn: () => undefined, error: () => undefined } }),
    () => createPay({ ...PAY, store: client as never }),
  ]) {
    const error = configError(construct);
    expect(error.code).toBe('config_error');
    expect(error.field).toBe('store');
    expect(error.message).toMatch(reason);
    expect(error.message).toContain('node-redis v4+ client, cluster or sentinel, an ioredis client or cluster, or a Store');
  }
});

test('something that is neither a client nor a Store is refused naming what to pass', () => {
  const error = configError(() => resolveStore({ get: () => undefined }));
  expect(error.code).toBe('config_error');
  expect(error.field).toBe('store');
  expect(error.message).toContain('an ioredis client or cluster, or a Store');
});

test('a client whose sendCommand answers without a Promise fails the call with store_error instead of hanging', async () => {
  const store = new RedisStore({ sendCommand: () => undefined } as never, { commandTimeoutMs: 0 });
  await expect(store.get('k')).rejects.toMatchObject({ code: 'store_error' });
});

test('each family gets the arguments its API takes: the key for Cluster routing, not read-only, the timeout', async () => {
  const seen: unknown[][] = [];
  const record = (...args: unknown[]) => {
    seen.push(args);
    return Promise.resolve(1);
  };
  const cluster = new RedisStore({ sendCommand: record, getSlotMaster: () => undefined } as never, { prefix: 'p:', commandTimeoutMs: 700 });
  await cluster.delIfEquals('lock', 'owner');
  expect(seen.pop()).toEqual(['p:lock', false, ['EVAL', expect.any(String), '1', 'p:lock', 'owner'], { timeout: 700 }]);
  const sentinel = new RedisStore({ sendCommand: record, getMasterNode: () => undefined, getSentinelNode: () => undefined } as never, { prefix: 'p:' });
  await sentinel.take('state');
  expect(seen.pop()).toEqual([false, ['GETDEL', 'p:state'], { timeout: 1000 }]);
  const client = new RedisStore({ sendCommand: record } as never, { prefix: 'p:', commandTimeoutMs: 0 });
  await client.set('k', 'v', 2);
  expect(seen.pop()).toEqual([['SET', 'p:k', 'v', 'PX', '2000']]);
  const ioredis = new RedisStore({ call: record, sendCommand: () => Promise.reject(new Error('takes a Command')), isCluster: false } as never, { prefix: 'p:' });
  await ioredis.setIfAbsent('nx', 'v', 1);
  expect(seen.pop()).toEqual(['SET', 'p:nx', 'v', 'PX', '1000', 'NX']);
});
