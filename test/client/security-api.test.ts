/**
 * Content security (`router.client.msgSecCheck`, `mediaCheckAsync`) against the simulator's
 * `/wxa/msg_sec_check` and `/wxa/media_check_async` over HTTP, the token shared through real Redis.
 */
import fc from 'fast-check';
import { createApiClient } from '../../lib/client';
import { msgSecCheckBody } from '../../lib/client/security-api';
import type { ApiClient } from '../../lib/client/types';
import { RedisStore } from '../../lib/store/redis';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { contextFor, MINI, MP, startSimulator, type SimHarness } from './harness';

let redis: TestRedis;
let h: SimHarness;
let client: ApiClient;
let n = 0;
const CHECK = '/wxa/msg_sec_check';
const MEDIA = '/wxa/media_check_async';
const TRACE_ID = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

beforeAll(async () => {
  redis = await createTestRedis('security-api');
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
  await redis.close();
});
beforeEach(() => {
  h.sim.reset();
  client = createApiClient(contextFor(h.server.url, new RedisStore(redis.client, { prefix: `${redis.prefix}${++n}:` })), { mp: MP, miniprogram: MINI });
});

const alice = () => h.sim.openidOf(MINI.appid, 'alice');

describe('client.msgSecCheck (version 2)', () => {
  test('a harmless nickname passes: suggest "pass", label 100, WeChat\'s trace id; the mini program\'s token by default', async () => {
    const result = await client.msgSecCheck({ content: '小明的茶', openid: alice(), scene: 1 });
    expect(result).toEqual({ suggest: 'pass', label: 100, traceId: expect.stringMatching(TRACE_ID), detail: [expect.objectContaining({ strategy: 'content_model', suggest: 'pass' })] });
    expect(h.sim.wxa.textChecks).toEqual([expect.objectContaining({ appid: MINI.appid, openid: alice(), scene: 1, content: '小明的茶', traceId: result.traceId })]);
    expect(h.sim.tokenFetches(MINI.appid)).toBe(1);
    expect(h.sim.tokenFetches(MP.appid)).toBe(0);
  });

  test('a word of the risky list makes it "risky", with the keyword in detail; one of the review list "review"', async () => {
    const risky = await client.msgSecCheck({ content: 'buy forbidden tea', openid: alice(), scene: 2 });
    expect(risky.suggest).toBe('risky');
    expect(risky.label).not.toBe(100);
    expect(risky.detail).toContainEqual(expect.objectContaining({ strategy: 'keyword', keyword: 'forbidden', suggest: 'risky' }));
    const review = await client.msgSecCheck({ content: 'a borderline joke', openid: alice(), scene: 3 });
    expect(review.suggest).toBe('review');
  });

  test('the word lists are configurable, and the nickname and title are checked with the content', async () => {
    h.sim.wxa.riskyWords.push('oolong');
    expect((await client.msgSecCheck({ content: 'hello', nickname: 'Oolong fan', openid: alice(), scene: 1 })).suggest).toBe('risky');
    expect((await client.msgSecCheck({ content: 'hello', title: 'green tea', openid: alice(), scene: 4 })).suggest).toBe('pass');
  });

  test.each([
    ['an empty content', { content: '  ' }, 'content'],
    ['more than 2500 characters', { content: '字'.repeat(2501) }, 'content'],
    ['a scene outside 1–4', { scene: 5 }, 'scene'],
    ['no openid', { openid: '' }, 'openid'],
    ['a non-string title', { title: 7 }, 'title'],
  ])('%s is refused with args_error naming the field, before any call', async (_name, change, field) => {
    const input = { content: 'ok', openid: alice(), scene: 1, ...change } as never;
    await expect(client.msgSecCheck(input)).rejects.toMatchObject({ code: 'args_error', field });
    expect(h.sim.calls(CHECK)).toBe(0);
  });

  test('2500 characters counted as WeChat counts them (code points) are accepted', async () => {
    await expect(client.msgSecCheck({ content: '😀'.repeat(2500), openid: alice(), scene: 2 })).resolves.toMatchObject({ suggest: 'pass' });
  });

  test("an openid WeChat does not know for this mini program is WeChat's 40003, kept on the error", async () => {
    const error = await client.msgSecCheck({ content: 'hi', openid: h.sim.openidOf(MP.appid, 'alice'), scene: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'wechat_error', errcode: 40003 });
  });

  test('an official account\'s token is refused by WeChat (48001): config_error', async () => {
    await expect(client.msgSecCheck({ content: 'hi', openid: alice(), scene: 1 }, MP.appid)).rejects.toMatchObject({ code: 'config_error', errcode: 48001 });
  });

  test('an expired token (42001) is dropped, fetched again and the check retried once; "busy" (-1) is retried', async () => {
    h.sim.faults.inject(CHECK, { errcode: 42001 });
    await expect(client.msgSecCheck({ content: 'hi', openid: alice(), scene: 1 })).resolves.toMatchObject({ suggest: 'pass' });
    h.sim.faults.inject(CHECK, { errcode: -1 });
    await expect(client.msgSecCheck({ content: 'hi', openid: alice(), scene: 1 })).resolves.toMatchObject({ suggest: 'pass' });
    expect(h.sim.calls(CHECK)).toBe(4);
  });

  test('an answer without a verdict is an error, never a silent pass', async () => {
    h.sim.faults.inject(CHECK, { status: 200, body: { errcode: 0, errmsg: 'ok' }, contentType: 'application/json' });
    await expect(client.msgSecCheck({ content: 'hi', openid: alice(), scene: 1 })).rejects.toMatchObject({ code: 'wechat_error' });
  });
});

describe('client.mediaCheckAsync (version 2)', () => {
  test('resolves with the trace id; the verdict is what WeChat pushes later as the wxa_media_check event', async () => {
    const { traceId } = await client.mediaCheckAsync({ mediaUrl: 'https://cdn.example.com/avatar/1.png', mediaType: 'image', openid: alice(), scene: 1 });
    expect(traceId).toMatch(TRACE_ID);
    const [check] = h.sim.wxa.mediaChecks;
    expect(check).toMatchObject({ traceId, mediaType: 2, suggest: 'pass', openid: alice() });
    expect(check!.event).toMatchObject({ MsgType: 'event', Event: 'wxa_media_check', appid: MINI.appid, trace_id: traceId, version: 2, result: { suggest: 'pass', label: 100 } });
  });

  test('a URL holding a risky word gets a risky verdict; audio is media_type 1', async () => {
    await client.mediaCheckAsync({ mediaUrl: 'https://cdn.example.com/forbidden.mp3', mediaType: 'audio', openid: alice(), scene: 2 });
    expect(h.sim.wxa.mediaChecks[0]).toMatchObject({ mediaType: 1, suggest: 'risky' });
  });

  test('not resent on "busy" (-1): a second submission would be a second check', async () => {
    h.sim.faults.inject(MEDIA, { errcode: -1 });
    await expect(client.mediaCheckAsync({ mediaUrl: 'https://cdn.example.com/a.png', mediaType: 'image', openid: alice(), scene: 1 })).rejects.toMatchObject({ code: 'wechat_error', errcode: -1 });
    expect(h.sim.calls(MEDIA)).toBe(1);
  });

  test.each([
    ['a URL that is not http(s)', { mediaUrl: 'file:///etc/passwd' }, 'mediaUrl'],
    ['an unknown media type', { mediaType: 'video' }, 'mediaType'],
    ['scene 0', { scene: 0 }, 'scene'],
  ])('%s is refused with args_error before any call', async (_name, change, field) => {
    const input = { mediaUrl: 'https://cdn.example.com/a.png', mediaType: 'image', openid: alice(), scene: 1, ...change } as never;
    await expect(client.mediaCheckAsync(input)).rejects.toMatchObject({ code: 'args_error', field });
    expect(h.sim.calls(MEDIA)).toBe(0);
  });
});

describe('msgSecCheckBody (property)', () => {
  test('any text of 1–2500 code points that is not blank is sent as is, with version 2; one more code point is refused', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 2500 }), (piece, n) => {
        const points = [...piece.repeat(Math.ceil(2500 / [...piece].length))].slice(0, n);
        const content = points.join('');
        if (!content.trim()) return;
        expect(msgSecCheckBody({ content, openid: 'o', scene: 2 })).toEqual({ content, version: 2, scene: 2, openid: 'o' });
        const over = [...piece.repeat(Math.ceil(2501 / [...piece].length))].slice(0, 2501).join('');
        expect(() => msgSecCheckBody({ content: over, openid: 'o', scene: 2 })).toThrow(expect.objectContaining({ code: 'args_error', field: 'content' }));
      }),
      { numRuns: 200 },
    );
  });
});
