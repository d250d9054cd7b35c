/**
 * Run a TypeScript entry point (`example-app/start.ts`, `lib/simulator/cli.ts`) in a child node
 * with tsx's loader, as `npm start` / `npx tsx` would. The child carries its own kill timer: a
 * child that hangs is killed (SIGKILL) and the result says so (`signal`), no timing assertion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface ChildResult {
  code: number | null;
  /** Set when the kill timer (or `stop()`) ended the child. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Resolves with stdout once it matches `pattern`; rejects if the child exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit. */
  stop(): Promise<ChildResult>;
  done: Promise<ChildResult>;
}

/** A clean environment: nothing from the test run (REDIS_URL, NODE_ENV, …) leaks in unless given. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG'];
  return { ...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])), ...env };
}

export function start(script: string, args: string[], env: Record<string, string>, killAfterMs: number): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: killAfterMs,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const done = new Promise<ChildResult>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
      for (const w of waiters.splice(0)) w();
    });
  });
  let exited = false;
  void done.then(() => (exited = true));
  return {
    child,
    done,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(pattern);
          if (m) return resolve(m);
          if (exited || child.exitCode !== null || child.signalCode !== null) return reject(new Error(`child exited before printing ${pattern}: ${stderr || stdout}`));
          waiters.push(check);
        };
        check();
      });
    },
    stop() {
      if (!exited) child.kill('SIGTERM');
      return done;
    },
  };
}

/** Run to completion (or until the kill timer). */
export function run(script: string, args: string[], env: Record<string, string>, killAfterMs: number): Promise<ChildResult> {
  return start(script, args, env, killAfterMs).done;
}

/** stderr as lines, without blank ones. */
export const linesOf = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** What a Node stack trace looks like. */
export const STACK = /^\s+at .+[(:]\d+|TypeError|node:internal/m;
