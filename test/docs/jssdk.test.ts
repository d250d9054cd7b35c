import path from 'node:path';
import { createClient, type RedisClientType } from 'redis';
import request from 'supertest';
import { signJssdk } from '../../lib';
import { createSimulator, type Simulator } from '../../lib/simulator';
import { redisUrl } from '../helpers/redis';
import { brokenLinks, linksOf, typecheckSnippets, type RunningProgram } from './snippets';
import { LIB, loadGuide } from './fixtures/guide-programs';

// docs/jssdk.md: every ts snippet type-checks under strict, and runs as written against the
// simulator over real HTTP and the real Redis at REDIS_URL: the quick start (two processes of it,
// which share one token and one ticket), the server-rendered page added to it, and the job script
// that sends a template message with the token the web processes hold. The SPA snippet is the
// page's own script (client-side). What the programs read is the environment the guide names.
// The programs use the default store prefix: their keys are this guide's own app's
// (`wxauth:*:<APPID>`), deleted before and after.
const guide = loadGuide('docs/jssdk.md');
const { snippets } = guide;
const APPID = 'wxdocsjssdk00001';
const SECRET = 'jssdk-guide-secret-0123456789';

describe('docs/jssdk.md: the snippets', () => {
  test('the quick start, the server-rendered page and the job run; only the page script is skipped, as client-side', () => {
    expect(snippets.filter((s) => s.mode === 'run').map((s) => s.name)).toEqual(['quickstart', 'server-rendered', 'job']);
    const skipped = snippets.filter((s) => s.mode === 'skip');
    expect(skipped.map((s) => [s.lang, s.reason])).toEqual([['js', expect.stringMatching(/^client-side: /)]]);
    expect(skipped[0]!.code).toMatch(/weixin-config\.json[\s\S]*wx\.config\(config\)/);
  });

  test('template messages point to the Messages guide; no first/remark or colours are taught here', () => {
    const section = guide.markdown.slice(guide.markdown.indexOf('## Template messages'), guide.markdown.indexOf('## How the cache works'));
    expect(section).toContain('auth.client.sendTemplate');
    expect(section).toContain('](messages.md)');
    expect(guide.markdown).not.toMatch(/tplData|remark|#173177|colou?r/);
  });

  test('every link lands: anchors in the guide, files and their headings in the repo', () => {
    const { broken } = brokenLinks(guide.markdown, guide.file, path.resolve(__dirname, '../..'));
    expect(linksOf(guide.markdown).length).toBeGreaterThan(2);
    expect(broken).toEqual([]);
  });

  test('every ts snippet type-checks under strict', () => {
    expect(typecheckSnippets(snippets, { dir: path.join(guide.cache, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});

let sim: Simulator;
let simUrl: string;
let closeSim: () => Promise<void>;
let redis: RedisClientType;
const programs: RunningProgram[] = [];

async function dropKeys(): Promise<void> {
  for await (const keys of redis.scanIterator({ MATCH: `wxauth:*${APPID}*`, COUNT: 500 })) {
    const batch = ([] as string[]).concat(keys as string | string[]);
    if (batch.length) await redis.del(batch);
  }
}
const env = () => ({ REDIS_URL: redisUrl(), WECHAT_SIMULATOR_URL: simUrl, WX_MP_APPID: APPID, WX_MP_SECRET: SECRET });

beforeAll(async () => {
  redis = createClient({ url: redisUrl() }) as RedisClientType;
  await redis.connect();
  await dropKeys();
  sim = createSimulator({ apps: [{ appid: APPID, secret: SECRET, type: 'mp', name: 'Tea Shop' }] });
  ({ url: simUrl, close: closeSim } = await sim.listen());
});
afterEach(() => {
  // No program printed a secret, a token or a ticket.
  const tickets = sim.ticketsOf(APPID);
  for (const p of programs) {
    expect(p.output()).not.toContain(SECRET);
    for (const ticket of tickets) expect(p.output()).not.toContain(ticket);
  }
});
afterAll(async () => {
  await Promise.all(programs.map((p) => p.stop()));
  await closeSim?.();
  await dropKeys();
  await redis?.quit();
});

/** `wx.config({...})` out of a script or a page. */
const configIn = (text: string) => JSON.parse(/wx\.config\((\{[\s\S]*?\})\)/.exec(text)![1]!) as Record<string, unknown>;
const signatureOf = (config: Record<string, unknown>, url: string) =>
  signJssdk({ ticket: sim.ticketsOf(APPID).at(-1)!, nonceStr: String(config.nonceStr), timestamp: Number(config.timestamp), url });

describe('docs/jssdk.md: the quick start, two processes on one Redis, with the server-rendered page', () => {
  let one: RunningProgram;
  let two: RunningProgram;
  beforeAll(async () => {
    [one, two] = await Promise.all([guide.start('quickstart-1', ['quickstart', 'server-rendered'], env()), guide.start('quickstart-2', ['quickstart'], env())]);
    programs.push(one, two);
  }, 60_000);

  test('cold /weixin-config.js requests to both processes at once: one token and one ticket fetched between them, each page signed with it', async () => {
    const pages = [`${one.url}/p/1?x=1`, `${two.url}/share`];
    const answers = await Promise.all([one, two, one, two].map((p, i) => request(p.url).get('/weixin-config.js').set('Referer', i % 2 ? pages[1]! : pages[0]!)));
    expect(sim.tokenFetches(APPID)).toBe(1);
    expect(sim.calls('/cgi-bin/ticket/getticket')).toBe(1);
    answers.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/javascript/);
      expect(res.headers['cache-control']).toBe('no-store');
      const config = configIn(res.text);
      expect(config).toMatchObject({ appId: APPID, debug: false, jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData', 'chooseImage'] });
      expect(config.signature).toBe(signatureOf(config, i % 2 ? pages[1]! : pages[0]!));
    });
  });

  test('/weixin-config.json for a single-page app: the same object, signed for ?url= without its fragment', async () => {
    const url = `${two.url}/app/orders?id=7`;
    const res = await request(two.url).get(`/weixin-config.json?url=${encodeURIComponent(`${url}#/detail`)}`);
    expect(res.status).toBe(200);
    expect(res.body.signature).toBe(signatureOf(res.body, url));
  });

  test('a page that is not on BASE_URL is not signed: 400 and a script that only logs why', async () => {
    const res = await request(one.url).get('/weixin-config.js').set('Referer', 'https://evil.example/');
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^console\.error\("express-wxauth: \/weixin-config\.js: /);
    expect(res.text).not.toContain('signature');
    const json = await request(one.url).get(`/weixin-config.json?url=${encodeURIComponent('https://evil.example/')}`);
    expect([json.status, json.body.error]).toEqual([400, 'url_not_allowed']);
  });

  test('the server-rendered page embeds its own wx.config, signed for its own URL, with no store or WeChat call on the warm path', async () => {
    const fetches = sim.tokenFetches(APPID) + sim.calls('/cgi-bin/ticket/getticket');
    const res = await request(one.url).get('/p/42?from=timeline');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('<script src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"></script>');
    const config = configIn(res.text);
    expect(config).toMatchObject({ appId: APPID, jsApiList: expect.arrayContaining(['chooseImage']) });
    expect(config.signature).toBe(signatureOf(config, `${one.url}/p/42?from=timeline`));
    expect(sim.tokenFetches(APPID) + sim.calls('/cgi-bin/ticket/getticket')).toBe(fetches);
  });

  test('the job script sends a template message with the token the web processes hold, fetching none', async () => {
    expect((await request(two.url).get('/weixin-config.js').set('Referer', `${two.url}/`)).status).toBe(200); // the web processes hold a token
    const fetches = sim.tokenFetches(APPID);
    expect(fetches).toBeGreaterThan(0);
    const openid = sim.openidOf(APPID, 'alice');
    const job = { ...env(), OPENID: openid, TEMPLATE_ID: 'tpl-order-shipped', BASE_URL: two.url, NODE_ENV: 'production' }; // it starts in production too
    const { code, output } = await guide.script('job', ['job'], job);
    expect([code, output]).toEqual([0, expect.stringMatching(/^sent template message \d{18,}\n$/)]);
    expect(sim.tokenFetches(APPID)).toBe(fetches);
    const sent = sim.sentTemplates.at(-1)!;
    expect(output).toContain(sent.msgid);
    expect(sent).toMatchObject({ appid: APPID, touser: openid, template_id: 'tpl-order-shipped', data: { thing1: { value: 'Your order shipped' }, character_string2: { value: 'A-42' } } });
  }, 60_000);
});
