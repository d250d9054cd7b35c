import axios from 'axios';
import { MP, startSim, type Harness } from './helpers';

describe('fault injection', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSim();
  });
  afterEach(() => h.close());

  const token = () => h.http.get('/cgi-bin/token').query({ grant_type: 'client_credential', appid: MP.appid, secret: MP.secret });

  it('errcode: the next call answers WeChat’s JSON error, then the real thing', async () => {
    h.sim.faults.inject('/cgi-bin/token', { errcode: -1 });
    const first = await token();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ errcode: -1, errmsg: 'system error' });
    expect((await token()).body.access_token).toBeDefined();
  });

  it('times: applies to that many calls; custom errmsg', async () => {
    h.sim.faults.inject('/cgi-bin/token', { errcode: 45009, errmsg: 'quota', times: 2 });
    expect((await token()).body).toEqual({ errcode: 45009, errmsg: 'quota' });
    expect(h.sim.faults.pending('/cgi-bin/token')).toBe(1);
    expect((await token()).body.errcode).toBe(45009);
    expect((await token()).body.access_token).toBeDefined();
  });

  it('faults on one path queue up in order', async () => {
    h.sim.faults.inject('/cgi-bin/token', { errcode: 40001 });
    h.sim.faults.inject('/cgi-bin/token', { errcode: 42001 });
    expect((await token()).body.errcode).toBe(40001);
    expect((await token()).body.errcode).toBe(42001);
  });

  it('apply to the exact path only, whatever the query', async () => {
    h.sim.faults.inject('/cgi-bin/ticket/getticket', { errcode: 40001 });
    expect((await token()).body.access_token).toBeDefined();
    expect(h.sim.faults.pending()).toBe(1);
  });

  it('status: an HTML error page by default', async () => {
    h.sim.faults.inject('/cgi-bin/token', { status: 502 });
    const res = await token();
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('502');
  });

  it('status with a malformed JSON body and a content type', async () => {
    h.sim.faults.inject('/sns/oauth2/access_token', { status: 200, body: '{"access_token": ', contentType: 'application/json' });
    const res = await axios.get(`${h.url}/sns/oauth2/access_token`, { responseType: 'text', transformResponse: [(d) => d] });
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.data).toBe('{"access_token": ');
  });

  it('status with an object body answers JSON', async () => {
    h.sim.faults.inject('/cgi-bin/token', { status: 503, body: { oops: true } });
    const res = await token();
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ oops: true });
  });

  it('delayMs: answers late but normally', async () => {
    h.sim.faults.inject('/cgi-bin/token', { delayMs: 30 });
    expect((await token()).body.access_token).toBeDefined();
    expect(h.sim.faults.pending()).toBe(0);
  });

  it('delayMs with errcode: late, then the errcode', async () => {
    h.sim.faults.inject('/cgi-bin/token', { delayMs: 20, errcode: -1 });
    expect((await token()).body.errcode).toBe(-1);
  });

  it('delayMs longer than the client timeout makes the client time out', async () => {
    h.sim.faults.inject('/cgi-bin/token', { delayMs: 60_000 });
    await expect(axios.get(`${h.url}/cgi-bin/token`, { timeout: 100 })).rejects.toMatchObject({ code: 'ECONNABORTED' });
  });

  it('close() does not wait for a delayed answer', async () => {
    h.sim.faults.inject('/cgi-bin/token', { delayMs: 60_000 });
    const pending = axios.get(`${h.url}/cgi-bin/token`).catch((e: { code?: string }) => e.code);
    // Wait until the request reached the simulator (no timing: poll the log).
    while (h.sim.calls('/cgi-bin/token') === 0) await new Promise((r) => setImmediate(r));
    await h.close();
    expect(await pending).toBe('ECONNRESET');
  });

  it('destroy: cuts the connection', async () => {
    h.sim.faults.inject('/cgi-bin/token', { destroy: true });
    await expect(axios.get(`${h.url}/cgi-bin/token`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await token()).body.access_token).toBeDefined();
  });

  it('work on any host’s path, including ones no route answers', async () => {
    h.sim.faults.inject('/pay/unifiedorder', { status: 500 });
    h.sim.faults.inject('/connect/oauth2/authorize', { status: 503 });
    expect((await h.http.post('/pay/unifiedorder').send('<xml/>')).status).toBe(500);
    expect((await h.http.get('/connect/oauth2/authorize')).status).toBe(503);
  });

  it('clear() removes every pending fault', async () => {
    h.sim.faults.inject('/cgi-bin/token', { errcode: -1, times: 5 });
    h.sim.faults.clear();
    expect(h.sim.faults.pending()).toBe(0);
    expect((await token()).body.access_token).toBeDefined();
  });

  it('faulted requests still count in calls()', async () => {
    h.sim.faults.inject('/cgi-bin/token', { errcode: -1 });
    await token();
    await token();
    expect(h.sim.calls('/cgi-bin/token')).toBe(2);
  });

  it.each([
    ['a relative path', 'cgi-bin/token', { errcode: -1 }, /path must start with/],
    ['an empty spec', '/x', {}, /needs one of/],
    ['a bad status', '/x', { status: 42 }, /status/],
    ['a bad times', '/x', { errcode: 1, times: 0 }, /times/],
    ['a negative delay', '/x', { delayMs: -1 }, /delayMs/],
  ])('inject rejects %s', (_name, path, spec, message) => {
    expect(() => h.sim.faults.inject(path, spec)).toThrow(message);
  });
});
