/**
 * `npm start` (example-app/start.ts) in a child process: a busy PORT or a dead REDIS_URL ends
 * it with one line that names the setting and exit status 1 (no stack trace, no hanging); a
 * normal start serves the home page and stops on SIGTERM. Each child has its own kill timer.
 */
import net from 'node:net';
import request from 'supertest';
import { createExampleApp } from '../../example-app/app';
import { linesOf, run, STACK, start } from './child';

const START = 'example-app/start.ts';
// Generous: tsx compiles the example on a busy machine. A child that hangs is killed at this mark.
const KILL_AFTER_MS = 25_000;
jest.setTimeout(60_000);

test('a busy PORT: one line naming PORT and what to do, exit status 1', async () => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, resolve));
  const port = (busy.address() as net.AddressInfo).port;
  try {
    const result = await run(START, [], { PORT: String(port) }, KILL_AFTER_MS);
    expect(result.signal).toBeNull(); // exited by itself, not killed by the timer
    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toEqual([expect.stringContaining(`PORT ${port} is in use`)]);
    expect(lines[0]).toMatch(/set PORT/);
    expect(result.stderr).not.toMatch(STACK);
  } finally {
    await new Promise((r) => busy.close(r));
  }
});

test('an unreachable REDIS_URL: one line naming REDIS_URL, exit status 1 (no endless reconnect)', async () => {
  const result = await run(START, [], { PORT: '0', REDIS_URL: 'redis://:hunter2-pass@127.0.0.1:1' }, KILL_AFTER_MS);
  expect(result.signal).toBeNull();
  expect(result.code).toBe(1);
  const lines = linesOf(result.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^REDIS_URL: cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 .*unset it/);
  expect(result.stderr + result.stdout).not.toContain('hunter2-pass'); // the password is never printed
  expect(result.stderr).not.toMatch(STACK);
});

test('a normal start serves /, says the shop pays with v3 (PAY_API=v2 for v2), and stops on SIGTERM', async () => {
  const child = start(START, [], { PORT: '0' }, KILL_AFTER_MS);
  try {
    const [, url] = await child.waitFor(/open (http:\/\/localhost:\d+)/);
    const [accountsLine] = await child.waitFor(/accounts: .*\n/);
    expect(accountsLine).toBe('  accounts: in memory, gone on restart (set DATABASE_URL for PostgreSQL)\n'.trimStart());
    const [payLine] = await child.waitFor(/pay: .*\n/);
    expect(payLine).toMatch(/pay: WeChat Pay v3 \(public-key mode\), the simulator's merchant; .*JSAPI.*Native QR.*\(PAY_API=v2 for APIv2\)/);
    const home = await request(url!.replace('localhost', '127.0.0.1')).get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('Log in with WeChat');
    expect((await request(url!.replace('localhost', '127.0.0.1')).get('/shop')).text).toContain('Payments: WeChat Pay v3');
  } finally {
    const result = await child.stop();
    expect(result.signal).toBeNull(); // its own SIGTERM handler exited, cleanly
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  }
});

test('PAY_API=v2: the banner says v2; PAY_API=v4: one line naming PAY_API, exit status 1', async () => {
  const child = start(START, [], { PORT: '0', PAY_API: 'v2' }, KILL_AFTER_MS);
  try {
    const [payLine] = await child.waitFor(/pay: .*\n/);
    expect(payLine).toMatch(/pay: WeChat Pay v2, the simulator's merchant; .*\(unset PAY_API for v3\)/);
  } finally {
    expect((await child.stop()).code).toBe(0);
  }
  const result = await run(START, [], { PORT: '0', PAY_API: 'v4' }, KILL_AFTER_MS);
  expect(result.code).toBe(1);
  expect(linesOf(result.stderr)).toEqual(['PAY_API must be "v3" (the default) or "v2" (got "v4")']);
});

describe('createExampleApp (in process)', () => {
  const saved = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = saved;
  });

  it('offline under NODE_ENV=production: refuses, saying to set the real WeChat credentials', async () => {
    process.env.NODE_ENV = 'production';
    await expect(createExampleApp({})).rejects.toThrow(/NODE_ENV=production .*WX_MP_APPID and WX_MP_SECRET/);
  });

  it('an unreachable REDIS_URL rejects with the REDIS_URL line', async () => {
    await expect(createExampleApp({ REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toMatchObject({
      name: 'StartError',
      message: expect.stringMatching(/^REDIS_URL: cannot connect/),
    });
  });

  it('a REDIS_URL that accepts but never answers (not Redis, or frozen) rejects after the connect timeout', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await expect(createExampleApp({ REDIS_URL: `redis://127.0.0.1:${port}` })).rejects.toThrow(/^REDIS_URL: cannot connect to Redis at .*\(no answer within 3 s\)/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('listen() on a busy port rejects with the PORT line, and close() still releases the rest', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const example = await createExampleApp({});
    try {
      await expect(example.listen(port, '127.0.0.1')).rejects.toThrow(`PORT ${port} is in use`);
    } finally {
      await example.close();
      await new Promise((r) => busy.close(r));
    }
  });
});
