import { isWxAuthError, WxAuthError, WxPayError } from '../lib/errors';

/**
 * Errors are branded with `Symbol.for('express-wxauth.error')`, so a second copy of the package
 * (the CommonJS and ES-module builds side by side, or two versions) recognises them — with
 * `isWxAuthError` and with `instanceof`.
 */
const BRAND = Symbol.for('express-wxauth.error');

/** Another copy of lib/errors, as a second bundle would have: its own classes. */
function otherCopy(): typeof import('../lib/errors') {
  let copy!: typeof import('../lib/errors');
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    copy = require('../lib/errors') as typeof import('../lib/errors');
  });
  return copy;
}

describe('the brand', () => {
  test('is a non-enumerable property: not in keys, JSON or a spread', () => {
    const e = new WxAuthError('auth_error', 'no');
    expect((e as unknown as Record<symbol, unknown>)[BRAND]).toBe('WxAuthError');
    expect(Object.getOwnPropertyDescriptor(e, BRAND)).toMatchObject({ enumerable: false });
    expect(Object.keys(e)).not.toContain(BRAND);
    expect(Object.getOwnPropertySymbols({ ...e })).toEqual([]);
    expect(JSON.stringify(e)).toBe('{"error":"auth_error","message":"no"}');
    expect((new WxPayError('ORDERPAID', 'paid') as unknown as Record<symbol, unknown>)[BRAND]).toBe('WxPayError');
  });
});

describe('across copies of the package', () => {
  const other = otherCopy();

  test("an error from the other copy passes this copy's isWxAuthError and instanceof, and back", () => {
    expect(other.WxAuthError).not.toBe(WxAuthError); // really a copy with its own classes
    const theirs = new other.WxAuthError('token_error', 'no token', { errcode: 40001 });
    expect(isWxAuthError(theirs)).toBe(true);
    expect(theirs instanceof WxAuthError).toBe(true);
    expect(theirs instanceof WxPayError).toBe(false);
    const ours = new WxAuthError('auth_error', 'no');
    expect(other.isWxAuthError(ours)).toBe(true);
    expect(ours instanceof other.WxAuthError).toBe(true);
  });

  test('a WxPayError from the other copy is an instance of both of our classes', () => {
    const theirs = new other.WxPayError('ORDERPAID', 'paid', { response: { return_code: 'SUCCESS' } });
    expect(theirs instanceof WxPayError).toBe(true);
    expect(theirs instanceof WxAuthError).toBe(true);
    expect(isWxAuthError(theirs)).toBe(true);
    expect(new other.WxAuthError('pay_error', 'x') instanceof WxPayError).toBe(false);
    // And `instanceof` still narrows the type.
    const caught: unknown = theirs;
    if (!(caught instanceof WxPayError)) throw new Error('expected a WxPayError');
    expect(caught.response).toEqual({ return_code: 'SUCCESS' });
  });
});

describe('recognised by the brand, not by the class', () => {
  const other = otherCopy();

  class Foreign extends Error {
    readonly code = 'auth_error';
    readonly status = 400;
    constructor(brand: unknown) {
      super('from elsewhere');
      Object.defineProperty(this, BRAND, { value: brand });
    }
  }

  test('an object of another class with the brand is ours; without it, or with a value we never set, it is not', () => {
    const e = new Foreign('WxAuthError');
    expect(isWxAuthError(e)).toBe(true);
    expect(e instanceof WxAuthError).toBe(true);
    expect(e instanceof WxPayError).toBe(false);
    expect(new Foreign('WxPayError') instanceof WxPayError).toBe(true);
    for (const value of [new Error('x'), new Foreign(true), new Foreign('Other'), { code: 'auth_error', status: 400 }, null, undefined, 'auth_error', 42]) {
      expect(isWxAuthError(value)).toBe(false);
      expect(value instanceof WxAuthError).toBe(false);
    }
  });

  test('a hostile object (a throwing getter, a throwing Proxy) reads as not ours and never throws; a branded one behind a Proxy is ours', () => {
    const getter = Object.defineProperty({}, BRAND, {
      get() {
        throw new Error('boom');
      },
    });
    const proxy = new Proxy({}, {
      get() {
        throw new Error('boom');
      },
    });
    expect(isWxAuthError(getter)).toBe(false);
    expect(isWxAuthError(proxy)).toBe(false);
    expect(proxy instanceof WxAuthError).toBe(false);
    expect(isWxAuthError(new Proxy(new Foreign('WxAuthError'), {}))).toBe(true);
  });

  test('a subclass of your own: ours to the other copy, and keeps plain instanceof for itself', () => {
    class AppError extends WxAuthError {}
    const mine = new AppError('auth_error', 'x');
    expect(other.isWxAuthError(mine)).toBe(true);
    expect(mine instanceof other.WxAuthError).toBe(true);
    expect(mine instanceof AppError).toBe(true);
    expect(new WxAuthError('auth_error', 'x') instanceof AppError).toBe(false);
    expect(new Foreign('WxAuthError') instanceof AppError).toBe(false);
  });
});
