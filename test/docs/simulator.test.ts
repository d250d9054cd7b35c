import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleProgram, extractSnippets, programOf, snippetNamed } from './snippets';

// docs/simulator.md: the fault-injection program runs as written (bundled from the guide, run
// with node) and prints what its comments say each call gets. Its type-check under strict is in
// test/docs/guides.test.ts, with every guide's.
const ROOT = path.resolve(__dirname, '../..');
const GUIDE = 'docs/simulator.md';
const CACHE = path.join(ROOT, 'node_modules/.cache/express-wxauth/snippets/simulator');
const LIB = { 'express-wxauth': path.join(ROOT, 'lib/index.ts'), 'express-wxauth/simulator': path.join(ROOT, 'lib/simulator/index.ts') };
const snippets = extractSnippets(readFileSync(path.join(ROOT, GUIDE), 'utf8'), GUIDE);

/** Run a bundle to its end: exit code, stdout and stderr, and how long it took. */
function runToEnd(bundle: string, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--enable-source-maps', bundle], { cwd: path.dirname(bundle), env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${path.basename(bundle)} did not exit within ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('docs/simulator.md', () => {
  test('the fault-injection snippet is a run snippet, and the only one (a new run snippet needs its test here)', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name)).toEqual(['faults']);
    expect(snippets.filter((s) => s.mode === 'skip' && /Fault|faults\./.test(s.code))).toEqual([]);
  });

  test('fault injection: each injected fault answers as its comment says, in order, and close() does not wait for the late answer', async () => {
    const bundle = await bundleProgram('faults', programOf(snippetNamed(snippets, 'faults'), snippets), { dir: CACHE, alias: LIB });
    const { code, stdout, stderr, ms } = await runToEnd(bundle);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.trim().split('\n')).toEqual([
      '7 2',
      '-1',
      '-1',
      'a token',
      '502',
      '{"open',
      'TimeoutError',
      'fetch failed',
      '1',
    ]);
    // The 10 s delayed answer was cancelled by close(), not waited for.
    expect(ms).toBeLessThan(8_000);
  }, 30_000);
});
