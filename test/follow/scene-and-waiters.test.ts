/**
 * Unit level: the scene format (fast-check: ours round-trip, nothing else is taken for ours), the
 * sealed pending follow (another purpose's seal, tampering, another key), and the waiters' bound:
 * a poll that sees no scan reads the store on the backed-off schedule only (fake timers: the
 * schedule, not a timing), and an in-process wake ends the wait at once.
 */
import fc from 'fast-check';
import { MemoryStore, type Store } from '../../lib';
import { createSealer } from '../../lib/oauth/sealed-cookie';
import { openFollow, sealFollow, sceneOfEvent, sceneString, scanKey, type PendingFollow } from '../../lib/follow/scene';
import { CHECK_DELAYS_MS, ScanWaiters } from '../../lib/follow/waiters';

const hex32 = fc.stringMatching(/^[a-f0-9]{32}$/);
const expMs = fc.integer({ min: 1_700_000_000, max: 4_000_000_000 }).map((s) => s * 1000);

describe('scenes', () => {
  test('a scene of ours comes back from subscribe (qrscene_) and SCAN (bare), within 64 characters', () => {
    fc.assert(
      fc.property(hex32, expMs, (id, exp) => {
        const scene = sceneString({ id, exp });
        expect(scene.length).toBeLessThanOrEqual(64);
        expect(sceneOfEvent('subscribe', `qrscene_${scene}`)).toEqual({ id, exp });
        expect(sceneOfEvent('SCAN', scene)).toEqual({ id, exp });
        // The other event's form is not ours.
        expect(sceneOfEvent('subscribe', scene)).toBeUndefined();
        expect(sceneOfEvent('SCAN', `qrscene_${scene}`)).toBeUndefined();
        expect(sceneOfEvent('CLICK', scene)).toBeUndefined();
      }),
    );
  });

  test('no other event key is taken for a login scene (and none throws)', () => {
    fc.assert(
      fc.property(fc.constantFrom('subscribe', 'SCAN'), fc.oneof(fc.string(), fc.string().map((s) => `wxlogin_${s}`), fc.string().map((s) => `qrscene_wxlogin_${s}`), fc.constant(undefined), fc.integer()), (event, key) => {
        const scene = sceneOfEvent(event, key);
        if (scene) expect(sceneString(scene)).toBe(event === 'subscribe' ? String(key).slice('qrscene_'.length) : key);
      }),
    );
  });
});

describe('the sealed pending follow', () => {
  const sealer = createSealer(['a-secret-of-at-least-thirty-two-chars']);
  const pending: PendingFollow = { scene: { id: 'a'.repeat(32), exp: 2_000_000_000_000 }, appid: 'wxmp000000000001', imageUrl: 'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQ%3D%3D', next: '/me' };

  test('opens as sealed; refuses another key, another purpose, a tampered value, and past the cookie grace', () => {
    const sealed = sealFollow(sealer, pending);
    expect(openFollow(sealer, sealed, pending.scene.exp - 1)).toEqual(pending);
    // Past the QR code's end it still opens (the poll then says expired, with next) …
    expect(openFollow(sealer, sealed, pending.scene.exp + 1)).toEqual(pending);
    // … until the grace is over.
    expect(openFollow(sealer, sealed, pending.scene.exp + 10 * 60_000 + 1)).toBeUndefined();
    expect(openFollow(createSealer(['another-secret-of-at-least-32-chars!']), sealed, 0)).toBeUndefined();
    expect(openFollow(sealer, sealer.seal('pending-login', ['a'.repeat(32), pending.scene.exp, 'x', 'y', '/'], pending.scene.exp), 0)).toBeUndefined();
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21);
    expect(openFollow(sealer, flipped, 0)).toBeUndefined();
  });
});

describe('waiting for the scan', () => {
  /** A store that counts reads of the scan key. */
  const counting = (inner: Store) => {
    let reads = 0;
    const store: Store = { ...inner, get: (key) => ((reads += key === scanKey('b'.repeat(32)) ? 1 : 0), inner.get(key)) };
    return { store, reads: () => reads };
  };

  afterEach(() => jest.useRealTimers());

  test('nothing scanned: a 25 s wait reads the store on the backed-off schedule only (at most 16 times) and answers undefined', async () => {
    jest.useFakeTimers();
    const { store, reads } = counting(new MemoryStore());
    const waiters = new ScanWaiters();
    const done = waiters.wait(store, 'b'.repeat(32), 25_000, new AbortController().signal);
    for (let i = 0; i < 40; i++) await jest.advanceTimersByTimeAsync(1000);
    await expect(done).resolves.toBeUndefined();
    // 0, 0.25, 0.75, 1.75, then every 2 s up to 23.75, and at 25 s.
    const expected = 1 + 3 + Math.floor((25_000 - CHECK_DELAYS_MS.slice(0, 3).reduce((a, b) => a + b, 0)) / 2000) + 1;
    expect(reads()).toBe(expected);
    expect(reads()).toBeLessThanOrEqual(16);
    expect(waiters.size).toBe(0);
  });

  test('a wake from this process ends the wait without waiting for the next read', async () => {
    jest.useFakeTimers();
    const inner = new MemoryStore();
    const { store, reads } = counting(inner);
    const waiters = new ScanWaiters();
    const id = 'b'.repeat(32);
    const done = waiters.wait(store, id, 25_000, new AbortController().signal);
    await jest.advanceTimersByTimeAsync(300); // parked in the 0.5 s pause after two reads
    expect(reads()).toBe(2);
    await inner.set(scanKey(id), '{"openid":"o1"}', 60);
    waiters.wake(id);
    await jest.advanceTimersByTimeAsync(0);
    await expect(done).resolves.toBe('{"openid":"o1"}');
    expect(reads()).toBe(3);
  });

  test('the browser going away (abort) ends the wait and leaves no waiter behind', async () => {
    jest.useFakeTimers();
    const waiters = new ScanWaiters();
    const abort = new AbortController();
    const done = waiters.wait(new MemoryStore(), 'c'.repeat(32), 25_000, abort.signal);
    await jest.advanceTimersByTimeAsync(100);
    expect(waiters.size).toBe(1);
    abort.abort();
    await jest.advanceTimersByTimeAsync(0);
    await expect(done).resolves.toBeUndefined();
    expect(waiters.size).toBe(0);
  });
});
