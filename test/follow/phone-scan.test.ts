/**
 * The whole follow login as a person does it, over real sockets: the desktop start, the QR image
 * (decoded like a camera would), the simulator's phone page, the safe-mode (encrypted) event from
 * the simulator's push to the app's message server, the chat reply, and the desktop poll.
 */
import request from 'supertest';
import { MemoryStore } from '../../lib';
import type { Simulator } from '../../lib/simulator';
import { decodeQrPng } from './decode-qr';
import { browser, clock, MP, pollJson, startFollow, startFollowApp, startSim, type Clock, type FollowApp } from './harness';

const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const SAFE = { token: 'followtoken', mode: 'safe' as const, encodingAESKey: AES_KEY };

let c: Clock;
let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let app: FollowApp;

beforeEach(async () => {
  c = clock();
  ({ sim, url: simUrl, close: closeSim } = await startSim(c));
  app = await startFollowApp(simUrl, c, { mp: { ...MP, messages: SAFE } }, new MemoryStore());
  sim.connectMessages(MP.appid, { url: `${app.url}/wechat/message`, ...SAFE });
});
afterEach(async () => {
  await app.close();
  await closeSim();
});

/** What a phone camera reads from the QR image the desktop page shows. */
async function scanImage(imageUrl: string): Promise<string> {
  const res = await request(simUrl)
    .get(new URL(imageUrl).pathname + new URL(imageUrl).search)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (chunk: Buffer) => chunks.push(chunk));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  return decodeQrPng(res.body as Buffer);
}

test('desktop QR → phone page → follow → the chat says 登录成功 → the desktop poll is done as that user', async () => {
  const desktop = browser(app.url);
  const started = await startFollow(desktop, '/account');
  const scanned = new URL(await scanImage(started.qrcodeUrl));
  expect(scanned.origin + scanned.pathname).toBe(`${simUrl}/sim/phone/scan`);
  const phone = request.agent(simUrl);
  const page = await phone.get(scanned.pathname + scanned.search);
  expect(page.status).toBe(200);
  expect(page.text).toContain('Follow Shop');
  const ticket = scanned.searchParams.get('ticket')!;
  const polled = pollJson(desktop, started.poll);
  const result = await phone.post('/sim/phone/scan').type('form').send({ ticket, user: 'bob', as: 'follow' });
  expect(result.text).toMatch(/<p id="reply" class="bubble">登录成功<\/p>/);
  expect((await polled).body).toEqual({ status: 'done', next: '/account', openid: sim.openidOf(MP.appid, 'bob'), unionid: sim.unionidOf('bob') });
  expect((await desktop.get('/me')).body).toMatchObject({ action: 'follow', openid: sim.openidOf(MP.appid, 'bob') });
});

test('"already following" sends SCAN with the bare scene; the app sees none of our events', async () => {
  const desktop = browser(app.url);
  const started = await startFollow(desktop);
  const ticket = new URL(started.qrcodeUrl).searchParams.get('ticket')!;
  const pushed = await sim.scanQrcode({ ticket, user: 'carol', as: 'already' });
  expect(pushed.outcome).toBe('replied');
  expect(pushed.reply).toMatchObject({ MsgType: 'text', Content: '登录成功' });
  expect(pushed.xml).toContain('<Event><![CDATA[SCAN]]></Event>');
  expect(pushed.xml).toContain(`<EventKey><![CDATA[${sim.qrcodes.valid(ticket)!.scene}]]></EventKey>`);
  expect((await pollJson(desktop, started.poll)).body).toMatchObject({ status: 'done', openid: sim.openidOf(MP.appid, 'carol') });
  expect(app.appEvents).toEqual([]);
});

test('the phone page refuses an expired code, and without a ticket lists the codes valid now', async () => {
  const desktop = browser(app.url);
  const started = await startFollow(desktop);
  const ticket = new URL(started.qrcodeUrl).searchParams.get('ticket')!;
  const list = await request(simUrl).get('/sim/phone/scan');
  expect(list.text).toContain(`/sim/phone/scan?ticket=${encodeURIComponent(ticket)}`);
  c.ms += 301_000;
  const expired = await request(simUrl).get(`/sim/phone/scan?ticket=${encodeURIComponent(ticket)}`);
  expect([expired.status, expired.text.includes('二维码已过期')]).toEqual([404, true]);
  expect((await request(simUrl).get('/sim/phone/scan')).text).toContain('id="none"');
});
