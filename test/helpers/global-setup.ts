import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { buildIfChanged } from './ensure-build';

/**
 * Tests run against a real Redis at REDIS_URL (default redis://127.0.0.1:6379). When that is
 * unreachable and `redis-server` exists, start one on a free port for this run; otherwise fail
 * with a message that names REDIS_URL.
 */
export default async function globalSetup(): Promise<void> {
  buildIfChanged();
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await reachable(url)) {
    process.env.REDIS_URL = url;
    return;
  }
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? which('redis-server');
  if (!binary) {
    throw new Error(`Redis is not reachable at REDIS_URL=${url} and no redis-server binary was found. Start Redis or set REDIS_URL.`);
  }
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true });
  child.unref();
  (globalThis as { __wxauthRedisPid?: number }).__wxauthRedisPid = child.pid;
  const started = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await reachable(started)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await reachable(started))) throw new Error(`Could not start redis-server for the tests; set REDIS_URL to a running Redis.`);
  process.env.REDIS_URL = started;
  console.warn(`\n[tests] REDIS_URL ${url} unreachable: started redis-server on ${started}\n`);
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return undefined;
}

export function reachable(redisUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(redisUrl);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      socket.write('PING\r\n');
      socket.once('data', (d) => done(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH')));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
