/**
 * Helpers for the side-by-side benchmarks (not a benchmark itself: `bench/run.js` skips files
 * starting with `_`). Peers are resolved from `bench/node_modules`, never from the package's own
 * dependencies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** `require` rooted at bench/: the peers (tenpay, passport-wechat, wechat-jssdk, autocannon). */
export const requireBench = createRequire(path.join(__dirname, 'package.json'));

/** A peer's installed version, for the tables (what was measured, not what package.json allows). */
export function peerVersion(name: string): string {
  return (requireBench(`${name}/package.json`) as { version: string }).version;
}

/** One line saying where the figures come from. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `Node ${process.version}, ${os.cpus().length} cores (${cpu}), load average ${os.loadavg()[0]!.toFixed(2)} at start`;
}

export interface Child {
  child: ChildProcess;
  /** The first line the child printed as `LISTENING <port>`, as a loopback URL. */
  url: string;
  stop(): void;
}

/**
 * Run `file` again in a child process (its own event loop and core) with `args`; resolves once
 * it prints `LISTENING <port>`. The child has an IPC channel for small questions (counts).
 * `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each child there (open it in Chrome DevTools).
 */
export function startChild(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(tsx, [...prof, file, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${args.join(' ')}: child exited (${code}) before listening`));
    child.once('exit', onExit);
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /LISTENING (\d+)/.exec(seen);
      if (!m) return;
      child.off('exit', onExit);
      resolve({ child, url: `http://127.0.0.1:${m[1]}`, stop: () => void child.kill('SIGTERM') });
    });
  });
}

/** In a child: announce the port the parent waits for, and exit cleanly on SIGTERM. */
export function announce(port: number): void {
  process.stdout.write(`LISTENING ${port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

/** CPU time (user + system) this process has used, µs: the cost of a request even on a busy machine. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Ask a child (over IPC) a question it answers with one message. */
export function ask<T>(child: ChildProcess, question: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(question);
  });
}

/** The q-quantile (0..1) of already sorted numbers (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** A markdown table, columns padded so it also reads well in a terminal. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, j) => cell.padEnd(widths[j]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** 1234567 → "1 234 567" (thin grouping that survives markdown). */
export function grouped(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** Delete a benchmark's keys (its own prefix) from Redis. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const { createClient } = await import('redis');
  const redis = createClient({ url });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    const batch = ([] as string[]).concat(keys as string | string[]);
    if (batch.length) await redis.del(batch);
  }
  await redis.quit();
}
