import fc from 'fast-check';
import request from 'supertest';
import { buildReplyXml } from '../../lib/messages/reply';
import { parseMessageXml } from '../../lib/messages/xml';
import type { Reply } from '../../lib';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { plainQuery, startMessageApp, textXml, type MessageApp } from './helpers';

/** Characters XML 1.0 can carry as they are (no C0 controls but tab and newline; \r is normalised by every parser). */
const xmlText = (s: string) => [...s].every((c) => { const code = c.codePointAt(0)!; return (code >= 0x20 || code === 0x09 || code === 0x0a) && code !== 0xfffe && code !== 0xffff; });

const to = { toUserName: 'oUSER', fromUserName: 'gh_acct', createTime: 1_700_000_000 };
const head = '<ToUserName><![CDATA[oUSER]]></ToUserName><FromUserName><![CDATA[gh_acct]]></FromUserName><CreateTime>1700000000</CreateTime>';

describe('typed passive replies, as WeChat documents each', () => {
  test.each<[string, Reply, string]>([
    ['text', { type: 'text', content: '你好' }, '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>'],
    ['a bare string (text)', 'hi', '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>'],
    ['image', { type: 'image', mediaId: 'M1' }, '<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[M1]]></MediaId></Image>'],
    ['voice', { type: 'voice', mediaId: 'V1' }, '<MsgType><![CDATA[voice]]></MsgType><Voice><MediaId><![CDATA[V1]]></MediaId></Voice>'],
    ['video', { type: 'video', mediaId: 'V2', title: 'T', description: 'D' }, '<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[V2]]></MediaId><Title><![CDATA[T]]></Title><Description><![CDATA[D]]></Description></Video>'],
    [
      'music',
      { type: 'music', title: 'Song', musicUrl: 'http://m/1.mp3', hqMusicUrl: 'http://m/1hq.mp3', thumbMediaId: 'TH' },
      '<MsgType><![CDATA[music]]></MsgType><Music><Title><![CDATA[Song]]></Title><MusicUrl><![CDATA[http://m/1.mp3]]></MusicUrl><HQMusicUrl><![CDATA[http://m/1hq.mp3]]></HQMusicUrl><ThumbMediaId><![CDATA[TH]]></ThumbMediaId></Music>',
    ],
    [
      'news',
      { type: 'news', articles: [{ title: 'A', description: 'a', picUrl: 'http://p/a.png', url: 'http://u/a' }, { title: 'B' }] },
      '<MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles><item><Title><![CDATA[A]]></Title><Description><![CDATA[a]]></Description><PicUrl><![CDATA[http://p/a.png]]></PicUrl><Url><![CDATA[http://u/a]]></Url></item><item><Title><![CDATA[B]]></Title></item></Articles>',
    ],
    ['transfer to customer service', { type: 'transfer_customer_service' }, '<MsgType><![CDATA[transfer_customer_service]]></MsgType>'],
    ['transfer to one agent', { type: 'transfer_customer_service', kfAccount: 'kf2001@acct' }, '<MsgType><![CDATA[transfer_customer_service]]></MsgType><TransInfo><KfAccount><![CDATA[kf2001@acct]]></KfAccount></TransInfo>'],
  ])('%s', (_name, reply, body) => {
    expect(buildReplyXml(reply, to)).toBe(`<xml>${head}${body}</xml>`);
  });

  test('a "]]>" in content is split across two CDATA sections: it cannot close the section or inject elements', () => {
    const xml = buildReplyXml({ type: 'text', content: 'a]]><MsgType>image</MsgType>' }, to);
    expect(xml).toContain('<Content><![CDATA[a]]]]><![CDATA[><MsgType>image</MsgType>]]></Content>');
    expect(parseMessageXml(xml)).toMatchObject({ MsgType: 'text', Content: 'a]]><MsgType>image</MsgType>' });
  });

  test('any text survives the round trip through the XML exactly (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }).filter(xmlText), (content) => {
        expect(parseMessageXml(buildReplyXml({ type: 'text', content }, to)).Content).toBe(content);
      }),
    );
  });

  test('an unknown reply type, a news reply without articles and a non-string content are refused', () => {
    expect(() => buildReplyXml({ type: 'fax' } as unknown as Reply, to)).toThrow(expect.objectContaining({ code: 'args_error' }));
    expect(() => buildReplyXml({ type: 'news', articles: [] }, to)).toThrow(expect.objectContaining({ code: 'args_error' }));
    expect(() => buildReplyXml({ type: 'text', content: 42 } as unknown as Reply, to)).toThrow(expect.objectContaining({ code: 'args_error' }));
  });

  test('an optional field that is not a string is refused, never turned into elements', () => {
    const injected = { 'a></Description><Url>https://evil.example</Url><x': 'y' };
    const replies = [
      { type: 'news', articles: [{ title: 't', description: injected }] },
      { type: 'music', thumbMediaId: 'm', title: injected },
      { type: 'video', mediaId: 'm', description: injected },
      { type: 'transfer_customer_service', kfAccount: injected },
    ];
    for (const reply of replies) expect(() => buildReplyXml(reply as unknown as Reply, to)).toThrow(expect.objectContaining({ code: 'args_error' }));
    expect(buildReplyXml({ type: 'news', articles: [{ title: 't', description: 'd', url: 'https://shop.example.com/a' }] }, to)).toContain('<Url><![CDATA[https://shop.example.com/a]]></Url>');
  });
});

describe('over HTTP: slow and failing handlers', () => {
  let redis: TestRedis;
  let app: MessageApp;
  const finished: string[] = [];

  beforeAll(async () => {
    redis = await createTestRedis('messages-replies');
    app = await startMessageApp(redis, { replyTimeoutMs: 300 });
    app.router.onMessage(async (m) => {
      const content = String(m.content);
      if (content === 'slow') {
        await new Promise((r) => setTimeout(r, 700));
        finished.push('slow');
        return 'too late';
      }
      if (content === 'slow fail') {
        await new Promise((r) => setTimeout(r, 700));
        throw new Error('late failure');
      }
      if (content === 'fail') throw new Error('boom: secret detail');
      if (content === 'bad reply') return { type: 'fax' } as unknown as Reply;
      return undefined;
    });
  });
  afterAll(async () => {
    await app.close();
    await redis.close();
  });

  const post = (content: string) => request(app.url).post('/wechat/message').query(plainQuery()).type('text/xml').send(textXml(content));

  test('a handler slower than replyTimeoutMs: "success" in time, the handler finishes, its late reply is logged as dropped', async () => {
    const started = Date.now();
    const res = await post('slow');
    expect(res.text).toBe('success');
    expect(Date.now() - started).toBeLessThan(650);
    expect(finished).toEqual([]);
    await new Promise((r) => setTimeout(r, 600));
    expect(finished).toEqual(['slow']);
    expect(app.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('sendCustomMessage') }));
  });

  test('a slow handler that then fails: its error is logged after the answer', async () => {
    expect((await post('slow fail')).text).toBe('success');
    await new Promise((r) => setTimeout(r, 600));
    expect(app.logs).toContainEqual({ level: 'error', message: expect.stringContaining('message handler failed'), meta: { msgType: 'text', error: 'Error' } });
  });

  test('a handler that throws: "success", and a log line without the message or the error text', async () => {
    expect((await post('fail')).text).toBe('success');
    const line = JSON.stringify(app.logs);
    expect(line).not.toContain('secret detail');
    expect(line).not.toContain('oUSER');
  });

  test('a reply of no known type: "success", logged', async () => {
    expect((await post('bad reply')).text).toBe('success');
    expect(app.logs).toContainEqual({ level: 'error', message: expect.stringContaining('message handler failed'), meta: { msgType: 'text', code: 'args_error' } });
  });
});
