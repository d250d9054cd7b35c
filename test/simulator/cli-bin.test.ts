/**
 * The simulator's command line as it ships: package.json's `bin` names a file the build writes
 * (dist/, built by the global setup with `--if-changed`), executable with a node shebang, and
 * `express-wxauth-simulator --port 0` prints its URL and serves. The child has its own kill timer.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { assertBuilt } from '../helpers/ensure-build';

const ROOT = path.resolve(__dirname, '../..');
const KILL_AFTER_MS = 25_000;
const DESKTOP_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
const binPath = () => path.join(ROOT, pkg.bin?.['express-wxauth-simulator'] ?? 'missing-bin');

/** Run the bin file itself (its shebang picks node), until it prints its URL. */
function startBin(args: string[]) {
  const child = spawn(binPath(), args, {
    cwd: ROOT,
    // Only what a shell would give it: node on the PATH, no NODE_ENV from the test run.
    env: { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: KILL_AFTER_MS,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    void closed.then(() => reject(new Error(`the bin exited before printing its URL: ${stderr || stdout}`)));
  });
  return { url, stdout: () => stdout, stop: () => (child.kill('SIGTERM'), closed) };
}

test('package.json "bin" names dist/cli.js, which the build writes: executable, with a node shebang', () => {
  assertBuilt();
  expect(pkg.bin).toEqual({ 'express-wxauth-simulator': 'dist/cli.js' });
  expect(readFileSync(binPath(), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  expect(() => accessSync(binPath(), constants.X_OK)).not.toThrow();
  expect(readFileSync(path.join(ROOT, 'scripts/build.mjs'), 'utf8')).toContain("const CLI_OUT = 'dist/cli.js';");
});

test('express-wxauth-simulator --port 0 prints its URL and serves the home page, the codes page and the refusal outside WeChat', async () => {
  assertBuilt();
  const bin = startBin(['--port', '0']);
  try {
    const url = await bin.url;
    const home = await request(url).get('/');
    expect(home.text).toContain('href="/sim/codes"');
    expect(bin.stdout()).toContain(`${url}/sim/codes`);
    const codes = await request(url).get('/sim/codes');
    expect(codes.text).toContain('value="wxmo000000000001"');
    expect(codes.text).toContain('value="wxmini0000000001"');
    const mp = await request(url).get('/connect/oauth2/authorize').set('User-Agent', DESKTOP_UA).query({ appid: 'wxmp000000000001', redirect_uri: 'http://localhost:3000/cb', response_type: 'code', scope: 'snsapi_base', state: 's' });
    expect(mp.status).toBe(403);
    expect(mp.text).toContain('请在微信客户端打开链接');
  } finally {
    expect(await bin.stop()).toBe(0);
  }
});

test('--allow-mp-outside-wechat lets a desktop browser through', async () => {
  assertBuilt();
  const bin = startBin(['--port', '0', '--allow-mp-outside-wechat']);
  try {
    const url = await bin.url;
    const mp = await request(url).get('/connect/oauth2/authorize').set('User-Agent', DESKTOP_UA).query({ appid: 'wxmp000000000001', redirect_uri: 'http://localhost:3000/cb', response_type: 'code', scope: 'snsapi_base', state: 's' });
    expect(mp.status).toBe(302);
    expect(new URL(mp.headers.location!).searchParams.get('code')).toMatch(/\S/);
  } finally {
    await bin.stop();
  }
});
