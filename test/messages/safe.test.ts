import request from 'supertest';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { AES_KEY, eventXml, openReply, plainQuery, safeRequest, sha1Sorted, startMessageApp, textXml, TOKEN, wechatEncrypt, type MessageApp } from './helpers';

// Safe mode (安全模式) and compatible mode (兼容模式) over HTTP.
let redis: TestRedis;
let safe: MessageApp;
let compat: MessageApp;
let official: MessageApp;
const contents: string[] = [];

beforeAll(async () => {
  redis = await createTestRedis('messages-safe');
  safe = await startMessageApp(redis, { mode: 'safe', encodingAESKey: AES_KEY });
  compat = await startMessageApp(redis, { mode: 'compat', encodingAESKey: AES_KEY, path: '/wx/compat' });
  // WeChat's official sample message (Python Sample.py): token spamtest, its appid, its clock.
  official = await startMessageApp(
    redis,
    { mode: 'compat', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', token: 'spamtest' },
    { mp: { appid: 'wx2c2769f8efd9abc2', secret: 's', messages: { mode: 'compat', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', token: 'spamtest' } }, now: () => 1409735669_000 },
  );
  for (const app of [safe, compat, official]) {
    app.router.onMessage((m) => {
      if (m.msgType !== 'text') return undefined;
      contents.push(String(m.content));
      return { type: 'text', content: `echo: ${String(m.content)}` };
    });
  }
});
afterAll(async () => {
  await Promise.all([safe.close(), compat.close(), official.close()]);
  await redis.close();
});

const post = (app: MessageApp, query: Record<string, string>, body: string, path = '/wechat/message') => request(app.url).post(path).query(query).type('text/xml').send(body);

describe('safe mode', () => {
  test('an encrypted message is decrypted, handled, and the reply comes back encrypted and signed', async () => {
    const { query, body } = safeRequest(textXml('safe hello'));
    const res = await post(safe, query, body);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><MsgSignature><!\[CDATA\[[0-9a-f]{40}\]\]><\/MsgSignature><TimeStamp>\d+<\/TimeStamp><Nonce><!\[CDATA\[\w+\]\]><\/Nonce><\/xml>$/);
    expect(res.text).not.toContain('safe hello');
    expect(openReply(res.text)).toContain('<Content><![CDATA[echo: safe hello]]></Content>');
  });

  test('an unencrypted message is refused, even correctly signed and with encrypt_type absent', async () => {
    const res = await post(safe, plainQuery(), textXml('plaintext in safe mode'));
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/^sign_error: safe mode: the message is not encrypted/);
    expect(contents).not.toContain('plaintext in safe mode');
  });

  test('a message encrypted for another appid is refused', async () => {
    const { query, body } = safeRequest(textXml('wrong appid'), { appid: 'wxother0000000001' });
    const res = await post(safe, query, body);
    expect(res.status).toBe(403);
    expect(res.text).toMatch(/^decrypt_error/);
    expect(contents).not.toContain('wrong appid');
  });

  test('re-signed: a valid `signature` with a forged msg_signature (or one over another Encrypt) is refused', async () => {
    const { query, body } = safeRequest(textXml('resigned'));
    const other = wechatEncrypt(textXml('other'));
    const forged = { ...query, msg_signature: sha1Sorted(TOKEN, query.timestamp!, query.nonce!, other) };
    expect((await post(safe, forged, body)).status).toBe(403);
    const noMsgSignature: Record<string, string> = { ...query };
    delete noMsgSignature.msg_signature;
    expect((await post(safe, noMsgSignature, body)).status).toBe(403);
    expect(contents).not.toContain('resigned');
  });

  test('a DOCTYPE is refused before parsing, outside and inside the envelope', async () => {
    const doctype = '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>';
    const outside = safeRequest(textXml('x'));
    const res1 = await post(safe, outside.query, doctype + outside.body);
    expect(res1.status).toBe(400);
    expect(res1.text).toMatch(/^xml_error: XML with a DOCTYPE/);
    const inside = safeRequest(doctype + textXml('&x;'));
    const res2 = await post(safe, inside.query, inside.body);
    expect(res2.status).toBe(400);
    expect(res2.text).toMatch(/^xml_error: XML with a DOCTYPE/);
  });

  test('an unsigned envelope that is not flat is refused before the full parser runs (no parser time for unsigned requests)', async () => {
    const { query } = safeRequest(textXml('x'));
    const nested = `<xml>${'<a><b>1</b></a>'.repeat(3000)}<Encrypt><![CDATA[AAAA]]></Encrypt></xml>`;
    const res = await post(safe, query, nested);
    expect(res.status).toBe(400);
    expect(res.text).toBe('xml_error: a safe-mode message is a flat <xml> envelope');
  });

  test('a body over 64 KiB is refused with 413 and a clear message', async () => {
    const { query, body } = safeRequest(textXml('x'.repeat(70 * 1024)));
    const res = await post(safe, query, body);
    expect(res.status).toBe(413);
    expect(res.text).toBe('xml_error: the body is larger than 65536 bytes');
  });

  test('the mode comes from configuration: encrypt_type=plain in the query changes nothing', async () => {
    const res = await post(safe, { ...plainQuery(), encrypt_type: 'raw' }, textXml('mode from query'));
    expect(res.status).toBe(403);
  });
});

describe('compatible mode', () => {
  test('a plaintext message is handled and answered in plaintext', async () => {
    const res = await post(compat, plainQuery(), textXml('compat plain'), '/wx/compat');
    expect(res.text).toContain('<Content><![CDATA[echo: compat plain]]></Content>');
  });

  test('an encrypted one (plaintext and Encrypt, as WeChat sends both) is read from Encrypt and answered encrypted', async () => {
    const { query, body } = safeRequest(textXml('compat secret'), { compat: true });
    const res = await post(compat, query, body.replace('compat secret', 'tampered plaintext'), '/wx/compat');
    expect(openReply(res.text)).toContain('<Content><![CDATA[echo: compat secret]]></Content>');
    expect(contents).not.toContain('tampered plaintext');
  });

  test('a body with Encrypt whose msg_signature fails is refused, never read as plaintext', async () => {
    const { query, body } = safeRequest(textXml('no fallback'), { compat: true });
    const res = await post(compat, { ...query, msg_signature: '0'.repeat(40) }, body, '/wx/compat');
    expect(res.status).toBe(403);
    expect(contents).not.toContain('no fallback');
  });

  test("WeChat's official sample message (msg_signature 5d197aaf…) is accepted and handled", async () => {
    const body =
      '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>';
    const res = await post(official, { timestamp: '1409735669', nonce: '1320562132', encrypt_type: 'aes', msg_signature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa' }, body);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^<xml><Encrypt>/);
    expect(contents).toContain('abcdteT');
  });
});

test('events arrive through safe mode too', async () => {
  const seen: string[] = [];
  safe.router.onEvent('subscribe', (e) => void seen.push(String(e.eventKey)));
  const { query, body } = safeRequest(eventXml('subscribe', { EventKey: 'qrscene_abc', Ticket: 't' }));
  const res = await post(safe, query, body);
  expect(res.text).toBe('success');
  expect(seen).toEqual(['qrscene_abc']);
});

