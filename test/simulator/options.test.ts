import { createSimulator } from '../../lib/simulator';
import { WxAuthError } from '../../lib/errors';
import { MINI, MP, QR, startSim, type Harness } from './helpers';

describe('createSimulator options', () => {
  it('rejects a missing apps list, naming the field', () => {
    expect(() => createSimulator({} as never)).toThrow(/"simulator.apps" is required/);
  });

  it('rejects an unknown app type, naming the field', () => {
    expect(() => createSimulator({ apps: [{ ...MP, type: 'web' as never }] })).toThrow(/"simulator.apps.0.type"/);
  });

  it('suggests the nearest option for a typo', () => {
    expect(() => createSimulator({ apps: [], merchant: [] } as never)).toThrow(/did you mean "merchants"/);
  });

  it('rejects duplicate appids', () => {
    expect(() => createSimulator({ apps: [MP, { ...MP }] })).toThrow(/"simulator.apps.1.appid" is a duplicate/);
  });

  it('rejects a non-digit mchid and a non-function clock', () => {
    expect(() => createSimulator({ apps: [MP], merchants: [{ mchid: 'abc', key: 'k' }] })).toThrow(/"simulator.merchants.0.mchid" must be a string of digits/);
    expect(() => createSimulator({ apps: [MP], now: 5 as never })).toThrow(/"simulator.now"/);
  });

  it('never prints the secret in a validation error', () => {
    let error: unknown;
    try {
      createSimulator({ apps: [{ ...MP, secret: 'top-secret-value', type: 'bad' as never }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WxAuthError);
    expect((error as WxAuthError).code).toBe('config_error');
    expect(String((error as Error).message)).not.toContain('top-secret-value');
  });

  it('keeps extra merchant fields for the pay host', () => {
    const sim = createSimulator({ apps: [MP], merchants: [{ mchid: '1900000109', key: 'k'.repeat(32), appid: MP.appid, v3Key: 'x' }] });
    expect(sim.merchants[0]).toMatchObject({ mchid: '1900000109', v3Key: 'x' });
  });
});

describe('deterministic ids', () => {
  const sim = createSimulator({ apps: [MP, QR, MINI] });

  it('openid: 28 characters starting with "o", stable per (app, user), different per app', () => {
    const a = sim.openidOf(MP.appid, 'alice');
    expect(a).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(sim.openidOf(MP.appid, 'alice')).toBe(a);
    expect(createSimulator({ apps: [MP] }).openidOf(MP.appid, 'alice')).toBe(a);
    expect(sim.openidOf(QR.appid, 'alice')).not.toBe(a);
    expect(sim.openidOf(MP.appid, 'bob')).not.toBe(a);
  });

  it('unionid: the same for a person across apps, different per person', () => {
    expect(sim.unionidOf('alice')).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(sim.unionidOf('alice')).toBe(sim.unionidOf('alice'));
    expect(sim.unionidOf('bob')).not.toBe(sim.unionidOf('alice'));
  });

  it('userOf maps an openid back to the user it was handed out for', () => {
    expect(sim.userOf(MP.appid, sim.openidOf(MP.appid, 'carol'))).toBe('carol');
    expect(sim.userOf(QR.appid, sim.openidOf(MP.appid, 'carol'))).toBeUndefined();
  });

  it('sessionKeyOf: base64 of 16 bytes, stable until a new jscode2session', () => {
    const key = sim.sessionKeyOf(MINI.appid, 'alice');
    expect(Buffer.from(key, 'base64')).toHaveLength(16);
    expect(sim.sessionKeyOf(MINI.appid, 'alice')).toBe(key);
    expect(sim.sessionKeyOf(MINI.appid, 'bob')).not.toBe(key);
  });
});

describe('issueCode, reset and the clock', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startSim();
  });
  afterAll(() => h.close());

  it('issues distinct random codes and refuses an unknown appid', () => {
    const a = h.sim.issueCode(MP.appid);
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(h.sim.issueCode(MP.appid)).not.toBe(a);
    expect(() => h.sim.issueCode('wxnope')).toThrow(/unknown appid/);
  });

  it('now() is the injected clock', () => {
    const before = h.sim.now();
    h.advance(1234);
    expect(h.sim.now()).toBe(before + 1234);
  });

  it('reset() forgets codes, the log and faults, and runs onReset hooks', async () => {
    const code = h.sim.issueCode(MP.appid);
    await h.http.get('/');
    h.sim.faults.inject('/x', { errcode: -1 });
    let hooked = 0;
    h.sim.onReset(() => hooked++);
    h.sim.reset();
    expect(h.sim.log).toHaveLength(0);
    expect(h.sim.faults.pending()).toBe(0);
    expect(hooked).toBe(1);
    const res = await h.http.get('/sns/oauth2/access_token').query({ appid: MP.appid, secret: MP.secret, code, grant_type: 'authorization_code' });
    expect(res.body.errcode).toBe(40029);
  });

  it('url is set once listening', () => {
    expect(h.sim.url).toBe(h.url);
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
