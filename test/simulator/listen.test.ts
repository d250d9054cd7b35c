/**
 * Where the simulator listens and when it refuses to start: 127.0.0.1 unless a host is given,
 * and never under NODE_ENV=production unless forced (it logs anyone in and accepts any payment).
 * Also the CLI's flags, in a child process with its own kill timer.
 */
import net from 'node:net';
import request from 'supertest';
import { createSimulator, type SimServer } from '../../lib/simulator';
import { WxAuthError } from '../../lib/errors';
import { linesOf, run, STACK, start } from '../wxauth/child';
import { MP } from './helpers';

const CLI = 'lib/simulator/cli.ts';
const KILL_AFTER_MS = 25_000;

const addressOf = (s: SimServer) => s.server!.address() as net.AddressInfo;

describe('listen()', () => {
  it('binds 127.0.0.1 by default', async () => {
    const s = await createSimulator({ apps: [MP] }).listen();
    try {
      expect(addressOf(s).address).toBe('127.0.0.1');
      expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    } finally {
      await s.close();
    }
  });

  it('binds the `host` option when given (0.0.0.0 to reach it from a phone), and still advertises a usable URL', async () => {
    const sim = createSimulator({ apps: [MP], host: '0.0.0.0' });
    const s = await sim.listen();
    try {
      expect(addressOf(s).address).toBe('0.0.0.0');
      expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
      expect((await request(s.url).get('/')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('a host passed to listen() wins over the option', async () => {
    const s = await createSimulator({ apps: [MP], host: '0.0.0.0' }).listen(0, '127.0.0.1');
    try {
      expect(addressOf(s).address).toBe('127.0.0.1');
    } finally {
      await s.close();
    }
  });

  it('rejects an empty host option, naming the field', () => {
    expect(() => createSimulator({ apps: [MP], host: '' })).toThrow(/"simulator.host" must not be empty/);
  });
});

describe('NODE_ENV=production', () => {
  const saved = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = saved;
  });

  it('refuses to start, naming NODE_ENV and the allowProduction option', () => {
    process.env.NODE_ENV = 'production';
    let error: unknown;
    try {
      createSimulator({ apps: [MP] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WxAuthError);
    expect(error).toMatchObject({ code: 'config_error', field: 'simulator.allowProduction' });
    expect((error as Error).message).toMatch(/NODE_ENV=production/);
    expect((error as Error).message).toMatch(/allowProduction: true/);
    expect((error as Error).message).toMatch(/--allow-production/);
  });

  it('starts when forced with allowProduction: true', async () => {
    process.env.NODE_ENV = 'production';
    const s = await createSimulator({ apps: [MP], allowProduction: true }).listen();
    try {
      expect((await request(s.url).get('/')).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('the CLI', () => {
  jest.setTimeout(60_000);

  it('under NODE_ENV=production: one line naming NODE_ENV and --allow-production, exit status 1', async () => {
    const result = await run(CLI, ['--port', '0'], { NODE_ENV: 'production' }, KILL_AFTER_MS);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/NODE_ENV=production.*--allow-production/);
    expect(result.stderr).not.toMatch(STACK);
    expect(result.stdout).not.toContain('listening');
  });

  it('--allow-production starts it anyway, on 127.0.0.1', async () => {
    const child = start(CLI, ['--port', '0', '--allow-production'], { NODE_ENV: 'production' }, KILL_AFTER_MS);
    try {
      const [, url] = await child.waitFor(/listening on (http:\/\/[^\s]+)/);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await request(url!).get('/')).status).toBe(200);
    } finally {
      const result = await child.stop();
      expect(result.code).toBe(0);
    }
  });

  it('a busy --port: one line naming the port and --port, exit status 1', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const result = await run(CLI, ['--port', String(port)], {}, KILL_AFTER_MS);
      expect(result.signal).toBeNull();
      expect(result.code).toBe(1);
      expect(linesOf(result.stderr)).toEqual([`port ${port} is in use: pass --port (or set PORT) to another one`]);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});
