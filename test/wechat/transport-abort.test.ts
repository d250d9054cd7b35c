import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AxiosError } from 'axios';
import { createKeepAliveAxios } from '../../lib/wechat/client';

/**
 * One AbortSignal shared by many requests in flight (a shutdown controller, an incoming request's
 * signal): the adapter adds one 'abort' listener to it, however many requests use it, an abort
 * cancels every one of them, and nothing stays on the signal once they are done.
 */

// Node ≥ 19.9 reads an EventTarget's listeners; older @types/node lack the typing.
const { getEventListeners } = jest.requireActual<{ getEventListeners(target: EventTarget, name: string): unknown[] }>('node:events');
const listenersOf = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

let server: http.Server;
let base: string;
/** Requests the server has received and not answered yet. */
const held: http.ServerResponse[] = [];
let arrived: () => void = () => undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    held.push(res);
    arrived();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  held.length = 0;
});

/** Resolves once the server holds `n` requests. */
function heldCount(n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (held.length >= n) resolve();
    };
    arrived = check;
    check();
  });
}

function answerAll(): void {
  for (const res of held.splice(0)) res.end('{}');
}

/** What a request settled with: its response status or its error code. */
const outcome = (p: Promise<{ status: number }>) =>
  p.then(
    (r) => `status ${r.status}`,
    (e: AxiosError) => `error ${e.code}`,
  );

describe('nodeHttpAdapter: an AbortSignal shared by many requests', () => {
  test('100 requests in flight on one signal add exactly one abort listener; an abort cancels all of them and removes it', async () => {
    const controller = new AbortController();
    const ax = createKeepAliveAxios(30_000);
    const pending = Array.from({ length: 100 }, (_, i) => outcome(ax.get(`${base}/${i}`, { signal: controller.signal })));
    // 64 sockets per agent: 64 reach the server, 36 wait in the agent's queue (in flight all the same).
    await heldCount(64);
    expect(listenersOf(controller.signal)).toBe(1);

    controller.abort();
    const results = await Promise.all(pending);
    expect(results).toEqual(Array.from({ length: 100 }, () => `error ${AxiosError.ERR_CANCELED}`));
    expect(listenersOf(controller.signal)).toBe(0);
    expect(held.length).toBeLessThanOrEqual(64); // the queued ones were never sent
  });

  test('requests that complete leave no listener behind; the last one to finish removes it', async () => {
    const controller = new AbortController();
    const ax = createKeepAliveAxios(30_000);
    const first = Array.from({ length: 30 }, (_, i) => outcome(ax.get(`${base}/a${i}`, { signal: controller.signal })));
    await heldCount(30);
    expect(listenersOf(controller.signal)).toBe(1);

    // All but one answered: the listener stays for the one still in flight.
    let settled = 0;
    for (const p of first) void p.then(() => settled++);
    for (const res of held.splice(0, 29)) res.end('{}');
    while (settled < 29) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(29);
    expect(listenersOf(controller.signal)).toBe(1);

    answerAll();
    expect(await Promise.all(first)).toEqual(Array.from({ length: 30 }, () => 'status 200'));
    expect(listenersOf(controller.signal)).toBe(0);

    // The signal can be used again: a new round adds one listener again, and an abort still cancels it.
    const again = outcome(ax.get(`${base}/b`, { signal: controller.signal }));
    await heldCount(1);
    expect(listenersOf(controller.signal)).toBe(1);
    controller.abort();
    expect(await again).toBe(`error ${AxiosError.ERR_CANCELED}`);
    expect(listenersOf(controller.signal)).toBe(0);
  });

  test('requests on different signals are cancelled by their own signal only', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const ax = createKeepAliveAxios(30_000);
    const onA = Array.from({ length: 5 }, (_, i) => outcome(ax.get(`${base}/a${i}`, { signal: a.signal })));
    const onB = Array.from({ length: 5 }, (_, i) => outcome(ax.get(`${base}/b${i}`, { signal: b.signal })));
    await heldCount(10);
    expect([listenersOf(a.signal), listenersOf(b.signal)]).toEqual([1, 1]);
    a.abort();
    expect(await Promise.all(onA)).toEqual(Array.from({ length: 5 }, () => `error ${AxiosError.ERR_CANCELED}`));
    expect(listenersOf(b.signal)).toBe(1);
    answerAll();
    expect(await Promise.all(onB)).toEqual(Array.from({ length: 5 }, () => 'status 200'));
    expect([listenersOf(a.signal), listenersOf(b.signal)]).toEqual([0, 0]);
  });

  test('an already aborted signal cancels before sending and adds no listener', async () => {
    const controller = new AbortController();
    controller.abort();
    const ax = createKeepAliveAxios(30_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(ax.get(`${base}/`, { signal: controller.signal }))));
    expect(new Set(results)).toEqual(new Set([`error ${AxiosError.ERR_CANCELED}`]));
    expect(listenersOf(controller.signal)).toBe(0);
    expect(held).toHaveLength(0);
  });
});
