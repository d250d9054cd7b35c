import request from 'supertest';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { AES_KEY, eventXml, openReply, plainQuery, safeRequest, sha1Sorted, startMessageApp, textXml, type MessageApp } from './helpers';

// Replays and WeChat's retries: the timestamp window, the nonce memory (written only for verified
// requests), and a message handled once across processes that share the store.
let redis: TestRedis;
let a: MessageApp;
let b: MessageApp;
const runs: string[] = [];

async function keys(): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of redis.client.scanIterator({ MATCH: `${redis.prefix}*` })) out.push(...([] as string[]).concat(batch));
  return out;
}

beforeAll(async () => {
  redis = await createTestRedis('messages-replay');
  // Two processes of one deployment: same store, same prefix.
  a = await startMessageApp(redis, { mode: 'safe', encodingAESKey: AES_KEY });
  b = await startMessageApp(redis, { mode: 'safe', encodingAESKey: AES_KEY });
  for (const app of [a, b]) {
    app.router.onMessage(async (m) => {
      runs.push(String(m.content));
      if (String(m.content).startsWith('slow')) await new Promise((r) => setTimeout(r, 300));
      return `handled ${String(m.content)}`;
    });
    app.router.onEvent('CLICK', (e) => void runs.push(`click ${String(e.eventKey)}`));
  }
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await redis.close();
});

const post = (app: MessageApp, req: { query: Record<string, string>; body: string }) => request(app.url).post('/wechat/message').query(req.query).type('text/xml').send(req.body);

test('unverified traffic writes nothing: forged, unsigned, stale and malformed requests leave the store empty', async () => {
  const before = await keys();
  const good = safeRequest(textXml('never'));
  await post(a, { query: { ...good.query, msg_signature: sha1Sorted('x', 'y', 'z', 'w') }, body: good.body });
  await post(a, { query: {}, body: good.body });
  await post(a, { query: plainQuery(), body: textXml('plain') });
  await post(a, safeRequest(textXml('stale'), { timestamp: String(Math.floor(Date.now() / 1000) - 301) }));
  await post(a, { query: good.query, body: '<xml><Encrypt>' });
  expect(await keys()).toEqual(before);
  expect(runs).not.toContain('never');
});

test('a timestamp outside ±300 s is refused (replay_error), in both directions', async () => {
  const now = Math.floor(Date.now() / 1000);
  for (const ts of [now - 301, now + 301]) {
    const res = await post(a, safeRequest(textXml(`ts ${ts}`), { timestamp: String(ts) }));
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/^replay_error/);
  }
  expect((await post(a, safeRequest(textXml('in window'), { timestamp: String(now - 290) }))).status).toBe(200);
});

test('the same signed request replayed (same timestamp and nonce) is refused, on any process', async () => {
  const req = safeRequest(textXml('replayed once'));
  expect((await post(a, req)).status).toBe(200);
  const again = await post(a, req);
  expect(again.status).toBe(403);
  expect(again.text).toMatch(/^replay_error/);
  expect((await post(b, req)).status).toBe(403);
  expect(runs.filter((r) => r === 'replayed once')).toHaveLength(1);
});

test("WeChat's 3 retries of one MsgId (each freshly signed) over two processes: the handler runs once, every answer carries the reply", async () => {
  const xml = textXml('slow retried', { msgId: '7000000000000000001' });
  // The first delivery and two retries while it is still running, on both processes at once.
  const answers = await Promise.all([post(a, safeRequest(xml)), post(b, safeRequest(xml)), post(a, safeRequest(xml))]);
  const late = await post(b, safeRequest(xml));
  expect(runs.filter((r) => r === 'slow retried')).toHaveLength(1);
  for (const res of [...answers, late]) expect(res.status).toBe(200);
  expect(openReply(late.text)).toContain('handled slow retried');
  expect(answers.map((r) => openReply(r.text)).every((t) => t.includes('handled slow retried'))).toBe(true);
});

test('an event is deduplicated by FromUserName + CreateTime: a retry does not click twice', async () => {
  const xml = eventXml('CLICK', { EventKey: 'ONCE' }, { createTime: 1_700_000_123 });
  for (let i = 0; i < 3; i++) expect((await post(i % 2 ? b : a, safeRequest(xml))).text).toBe('success');
  expect(runs.filter((r) => r === 'click ONCE')).toHaveLength(1);
  // Another user's click in the same second is another event.
  await post(a, safeRequest(eventXml('CLICK', { EventKey: 'ONCE' }, { createTime: 1_700_000_123, from: 'oUSER0000000000000000000bob1' })));
  expect(runs.filter((r) => r === 'click ONCE')).toHaveLength(2);
});

test('what a verified message leaves in the store: its nonce and once-only mark, with TTLs', async () => {
  const before = new Set(await keys());
  await post(a, safeRequest(textXml('footprint', { msgId: '7000000000000000002' })));
  const added = (await keys()).filter((k) => !before.has(k)).map((k) => k.slice(redis.prefix.length)).sort();
  expect(added).toEqual([expect.stringMatching(/^wxmsg:wxmsg000000000001:id:7000000000000000002:once$/), 'wxmsg:wxmsg000000000001:id:7000000000000000002:reply', expect.stringMatching(/^wxmsg:wxmsg000000000001:nonce:\d+:\w+$/)]);
  for (const key of added) expect(await redis.client.ttl(redis.prefix + key)).toBeGreaterThan(0);
});
