/**
 * What a flood of anonymous login starts costs the server: `FLOOD_REQUESTS` (default 101 000)
 * `GET /oauth/wechat/login` from clients that never come back, against an app on the default
 * in-memory store. Reports elapsed seconds, heap growth (MiB, after a full GC when run with
 * `--expose-gc`) and the store entries added. Not a jest test: a measurement.
 *
 *   npx tsx --expose-gc bench/anonymous-flood.ts
 *
 * The client runs in this process on keep-alive loopback connections, `FLOOD_CONCURRENCY`
 * (default 64) requests at a time; the count is bounded and the script stops by itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { wxauth } from '../lib';
import { MemoryStore } from '../lib/store';
import { machine } from './_shared';

const TOTAL = Number(process.env.FLOOD_REQUESTS ?? 101_000);
const CONCURRENCY = Number(process.env.FLOOD_CONCURRENCY ?? 64);
const MiB = 1024 * 1024;

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const router = wxauth({
    mp: { appid: 'wxmp000000000001', secret: 'mp-secret-0123456789abcdef' },
    qrcode: { appid: 'wxqr000000000001', secret: 'qr-secret-0123456789abcdef' },
    storage: 'cookie',
    cookie: { secret: 'bench-cookie-secret-0123456789abcdefgh' },
    logger: { warn: () => undefined, error: () => undefined },
  });
  const store = router.store;
  const entries = () => (store instanceof MemoryStore ? store.size : Number.NaN);
  const app = express();
  app.use(router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  const get = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/oauth/wechat/login?action=qrcode&next=%2Faccount', agent }, (res) => {
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
    });

  // A short warm-up (JIT, connection pool), not counted.
  for (let i = 0; i < 500; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, get));
  statuses.clear();
  const entriesBefore = entries();
  const heapBefore = heapUsed();
  const t0 = process.hrtime.bigint();
  let sent = 0;
  // CONCURRENCY workers, each sending its next request when the last one answered.
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < TOTAL) {
        sent++;
        await get();
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const heapAfter = heapUsed();
  const added = entries() - entriesBefore;
  agent.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));

  console.log(machine());
  console.log(`anonymous GET /oauth/wechat/login: ${TOTAL} requests, ${CONCURRENCY} at a time, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  console.log(`elapsed ${elapsed.toFixed(1)} s (${Math.round(TOTAL / elapsed)} req/s)`);
  console.log(`heap growth ${((heapAfter - heapBefore) / MiB).toFixed(1)} MiB${(globalThis as { gc?: unknown }).gc ? ' (after full GC)' : ' (no --expose-gc: includes garbage)'}`);
  console.log(`store entries added ${added} (${(Math.max(0, heapAfter - heapBefore) / Math.max(1, TOTAL)).toFixed(0)} heap bytes per request)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
