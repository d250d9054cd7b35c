import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { RedisStore } from '../../lib/store/redis';

export interface TestRedis {
  client: RedisClientType;
  /** This test file's own key prefix: tests in parallel never see each other's keys. */
  prefix: string;
  store: RedisStore;
  /** Delete this file's keys and disconnect. Call in afterAll. */
  close(): Promise<void>;
}

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A real Redis connection with a prefix unique to `name` and this run. */
export async function createTestRedis(name: string): Promise<TestRedis> {
  const client = createClient({ url: redisUrl() }) as RedisClientType;
  client.on('error', () => undefined); // reconnects are tested explicitly; keep jest output clean
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Cannot connect to Redis at REDIS_URL=${redisUrl()}: ${(error as Error).message}`, { cause: error });
  }
  const prefix = `wxauth-test:${name}:${randomBytes(4).toString('hex')}:`;
  return {
    client,
    prefix,
    store: new RedisStore(client, { prefix }),
    async close() {
      if (client.isOpen) {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          const batch = ([] as string[]).concat(keys as string | string[]);
          if (batch.length) await client.del(batch);
        }
        await client.quit().catch(() => undefined);
      }
    },
  };
}
