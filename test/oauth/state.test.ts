import { createCipheriv, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { wxauth } from '../../lib';
import { MemoryStore } from '../../lib/store';
import { WechatClient } from '../../lib/wechat/client';
import { defaultRandomHex, type WxContext } from '../../lib/context';
import { createSealer, purposeLabel } from '../../lib/oauth/sealed-cookie';
import {
  addPending,
  MAX_PENDING,
  MAX_SEALED_CHARS,
  newStateRecord,
  openPending,
  PENDING_PURPOSE,
  sealingSecrets,
  sealPending,
  STATE_TTL_SECONDS,
  takePending,
  type StateRecord,
} from '../../lib/oauth/state';
import { captureLogger } from '../helpers/logs';

const SECRET = 'an-explicit-secret-of-at-least-32-chars';
const t0 = Date.UTC(2024, 0, 1);
const input = { action: 'mp' as const, scope: 'snsapi_base' as const, appid: 'wxmp000000000001', next: '/profile' };

function ctxAt(now: () => number): WxContext {
  return { http: new WechatClient(), store: new MemoryStore(), now, randomHex: defaultRandomHex, logger: captureLogger() };
}

describe('sealed cookie values (AES-256-GCM, HKDF key per purpose)', () => {
  const sealer = createSealer([SECRET]);

  test('seal then open returns the payload until the sealed expiry, then nothing', () => {
    const sealed = sealer.seal('pending-login', { a: 1, s: 'x' }, t0 + 1000);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealer.open('pending-login', sealed, t0)).toEqual({ a: 1, s: 'x' });
    expect(sealer.open('pending-login', sealed, t0 + 1000)).toBeUndefined();
  });

  test('the payload is encrypted: the value shows none of it', () => {
    const sealed = sealer.seal('pending-login', { next: '/orders/secret-path' }, t0 + 1000);
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('secret-path');
  });

  test('a value sealed for one purpose does not open as another', () => {
    const sealed = sealer.seal('qr-scene', { a: 1 }, t0 + 1000);
    expect(sealer.open('qr-scene', sealed, t0)).toEqual({ a: 1 });
    expect(sealer.open('pending-login', sealed, t0)).toBeUndefined();
  });

  test('a value sealed with another secret does not open', () => {
    const other = createSealer(['another-secret-of-at-least-32-characters']);
    expect(sealer.open('pending-login', other.seal('pending-login', { a: 1 }, t0 + 1000), t0)).toBeUndefined();
  });

  test('the raw secret is not the key; the key is HKDF-SHA256 with the purpose label as info', () => {
    // Sealed by hand with the documented derivation: opens. Sealed with the raw secret as key: does not.
    const seal = (key: Buffer) => {
      const iv = Buffer.alloc(12, 7);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(purposeLabel('pending-login')));
      const body = Buffer.concat([c.update(JSON.stringify({ e: t0 + 1000, p: 'hi' })), c.final()]);
      return Buffer.concat([Buffer.of(1), iv, body, c.getAuthTag()]).toString('base64url');
    };
    expect(purposeLabel('pending-login')).toBe('express-wxauth pending-login v1');
    const derived = Buffer.from(hkdfSync('sha256', Buffer.from(JSON.stringify([SECRET])), 'express-wxauth sealed-cookie', 'express-wxauth pending-login v1', 32));
    expect(sealer.open('pending-login', seal(derived), t0)).toBe('hi');
    expect(sealer.open('pending-login', seal(Buffer.from(SECRET.padEnd(32, '\0').slice(0, 32))), t0)).toBeUndefined();
  });

  test('property: any change to a sealed value makes it unreadable', () => {
    const sealed = sealer.seal('pending-login', [['a'.repeat(32), 'mp', 'snsapi_base', 'wx', '/', t0, t0 + 1000]], t0 + 1000);
    const raw = Buffer.from(sealed, 'base64url');
    fc.assert(
      fc.property(fc.nat(raw.length - 1), fc.integer({ min: 1, max: 255 }), (pos, flip) => {
        const tampered = Buffer.from(raw);
        tampered[pos]! ^= flip;
        expect(sealer.open('pending-login', tampered.toString('base64url'), t0)).toBeUndefined();
      }),
    );
  });

  test('junk opens as nothing, without throwing', () => {
    for (const v of [undefined, '', 'a', '!!!', 'AQ', 'x'.repeat(5000), Buffer.alloc(40).toString('base64url')]) {
      expect(sealer.open('pending-login', v, t0)).toBeUndefined();
    }
  });

  test('a sealer needs key material', () => {
    expect(() => createSealer([])).toThrow(expect.objectContaining({ code: 'config_error' }));
  });
});

describe('the key material of the pending-login cookie', () => {
  test('the "secret" option when given, else the configured app secrets', () => {
    const mp = { appid: 'wxmp000000000001', secret: 'mp-secret-0123456789abcdef' };
    const qrcode = { appid: 'wxqr000000000001', secret: 'qr-secret-0123456789abcdef' };
    expect(sealingSecrets({ mp, qrcode, secret: SECRET })).toEqual([SECRET]);
    expect(sealingSecrets({ mp, qrcode })).toEqual([mp.secret, qrcode.secret]);
  });

  test('"secret" shorter than 32 characters is refused at start-up, naming the option', () => {
    expect(() => wxauth({ mp: { appid: 'wxmp000000000001', secret: 's' }, secret: 'short', logger: captureLogger() })).toThrow(
      expect.objectContaining({ code: 'config_error', message: '"secret" must be at least 32 characters' }),
    );
    expect(() => wxauth({ mp: { appid: 'wxmp000000000001', secret: 's' }, secret: 42 as unknown as string, logger: captureLogger() })).toThrow(/"secret" must be a string/);
  });
});

describe('pending logins (the list sealed in the cookie)', () => {
  let now = t0;
  const c = ctxAt(() => now);
  const sealer = createSealer([SECRET]);
  beforeEach(() => {
    now = t0;
  });

  test('a state is 128 bits of hex, issued now, valid for 10 minutes; states are unique', () => {
    const r = newStateRecord(c, input);
    expect(r.state).toMatch(/^[a-f0-9]{32}$/);
    expect([r.iat, r.exp]).toEqual([t0, t0 + STATE_TTL_SECONDS * 1000]);
    expect(new Set(Array.from({ length: 200 }, () => newStateRecord(c, input).state)).size).toBe(200);
  });

  test('sealed, opened and taken once: the state names its own entry and leaves the rest', () => {
    const a = newStateRecord(c, input);
    const b = newStateRecord(c, { ...input, action: 'qrcode', scope: 'snsapi_login', next: '/cart' });
    const list = openPending(sealer, sealPending(sealer, addPending(addPending([], a, now), b, now)), now);
    expect(list).toEqual([a, b]);
    const { record, rest } = takePending(list, a.state, now);
    expect(record).toEqual(a);
    expect(rest).toEqual([b]);
    expect(() => takePending(rest, a.state, now)).toThrow(expect.objectContaining({ code: 'state_error' }));
  });

  test(`at most ${MAX_PENDING} logins pending: a new one drops the oldest`, () => {
    let list: StateRecord[] = [];
    const records = Array.from({ length: MAX_PENDING + 2 }, () => newStateRecord(c, input));
    for (const r of records) list = openPending(sealer, sealPending(sealer, addPending(list, r, now)), now);
    expect(list.map((r) => r.state)).toEqual(records.slice(-MAX_PENDING).map((r) => r.state));
    expect(() => takePending(list, records[0]!.state, now)).toThrow(expect.objectContaining({ code: 'state_error' }));
  });

  test('the sealed value stays small: 4 pending logins with long next URLs fit in one cookie', () => {
    let list: StateRecord[] = [];
    for (let i = 0; i < MAX_PENDING; i++) list = addPending(list, newStateRecord(c, { ...input, next: `/orders/${'x'.repeat(100)}?page=${i}` }), now);
    expect(sealPending(sealer, list)!.length).toBeLessThan(1500);
    // A next of the longest length the guard lets through: older entries go, the newest stays.
    list = addPending(list, newStateRecord(c, { ...input, next: `/${'y'.repeat(2047)}` }), now);
    const sealed = sealPending(sealer, list)!;
    expect(sealed.length).toBeLessThanOrEqual(MAX_SEALED_CHARS);
    expect(openPending(sealer, sealed, now).map((r) => r.next)).toEqual([`/${'y'.repeat(2047)}`]);
  });

  test('an entry older than 10 minutes is refused by its sealed expiry (injected clock)', () => {
    const r = newStateRecord(c, input);
    const list = [r];
    now += STATE_TTL_SECONDS * 1000 + 1;
    expect(() => takePending(list, r.state, now)).toThrow(expect.objectContaining({ code: 'state_error' }));
    expect(openPending(sealer, sealPending(sealer, list), now)).toEqual([]);
  });

  test('forged, missing and malformed states are refused with one uniform state_error', () => {
    const list = [newStateRecord(c, input)];
    const messages = new Set<string>();
    for (const s of [undefined, '', 'STATE', 'f'.repeat(32), 'A'.repeat(32), 'a b', '../x', ['a'], 'x'.repeat(200)]) {
      try {
        takePending(list, s, now);
        throw new Error('accepted');
      } catch (error) {
        expect(error).toMatchObject({ code: 'state_error', status: 400 });
        messages.add((error as Error).message);
      }
    }
    expect(() => takePending([], list[0]!.state, now)).toThrow(expect.objectContaining({ code: 'state_error' }));
    expect(messages.size).toBe(1);
  });

  test('entries that are not ours inside a validly sealed value are ignored', () => {
    const good = newStateRecord(c, input);
    const sealed = sealer.seal(PENDING_PURPOSE, [['nothex', 'mp', 'snsapi_base', 'wx', '/', t0, t0 + 1000], ['a'.repeat(32), 'admin', 'snsapi_base', 'wx', '/', t0, t0 + 1000], 'x', [good.state, good.action, good.scope, good.appid, good.next, good.iat, good.exp]], t0 + 1000);
    expect(openPending(sealer, sealed, now)).toEqual([good]);
  });
});
