/**
 * `npm start`: the example app on PORT (default 3000). Offline against the WeChat simulator
 * unless WX_MP_APPID / WX_MP_SECRET are set; Redis sessions when REDIS_URL is set.
 */
import type { AddressInfo } from 'node:net';
import { createExampleApp } from './app';

async function main(): Promise<void> {
  const example = await createExampleApp(process.env);
  const port = Number(process.env.PORT ?? 3000);
  const server = example.app.listen(port, () => {
    const { port: actual } = server.address() as AddressInfo;
    const url = process.env.BASE_URL ?? `http://localhost:${actual}`;
    console.log(`express-wxauth example: open ${url}`);
    if (example.context.simulatorUrl) console.log(`  WeChat simulator at ${example.context.simulatorUrl} (set WX_MP_APPID and WX_MP_SECRET to use the real WeChat)`);
    console.log(`  sessions: ${process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL}` : 'in memory (set REDIS_URL for Redis)'}`);
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `port ${port} is in use: set PORT to another one` : error.message);
    process.exit(1);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    example.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
