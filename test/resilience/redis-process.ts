import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { reachable } from '../helpers/global-setup';

const BINARY = '/usr/bin/redis-server';

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server.address() as AddressInfo);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A redis-server of this test file's own, on a free port, without persistence (a restart loses
 * everything, as a crashed cache would): start, kill, restart, or freeze it (SIGSTOP: the socket
 * stays open and nothing answers — the nastiest outage, no error to react to).
 */
export class RedisProcess {
  private child: ChildProcess | undefined;
  private paused = false;

  private constructor(readonly port: number) {}

  static async create(): Promise<RedisProcess> {
    return new RedisProcess(await freePort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('redis-server already running');
    this.child = spawn(BINARY, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (await reachable(this.url)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`redis-server did not start on ${this.url}`);
  }

  /** Kill it (SIGKILL: no goodbye to clients) and wait until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (this.paused) child.kill('SIGCONT');
    this.paused = false;
    child.kill('SIGKILL');
    await exited;
  }

  /** Freeze it: connections stay open, nothing is answered. */
  pause(): void {
    if (!this.child) throw new Error('redis-server is not running');
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.child || !this.paused) return;
    this.child.kill('SIGCONT');
    this.paused = false;
  }
}
