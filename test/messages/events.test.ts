import request from 'supertest';
import type { AnyMessage, LocationEvent, MediaCheckEvent, SubscribeMsgPopupEvent } from '../../lib';
import { toMessage } from '../../lib/messages/message';
import { parseMessageXml } from '../../lib/messages/xml';
import { createTestRedis, type TestRedis } from '../helpers/redis';
import { plainQuery, startMessageApp, type MessageApp } from './helpers';

// Typed events and messages, from WeChat's documented XML (Receiving_event_pushes, subscribe
// messages, the mini program media check), through the server over HTTP.
const head = (type: string, time = 1_700_000_000) =>
  `<ToUserName><![CDATA[gh_acct]]></ToUserName><FromUserName><![CDATA[oUSER]]></FromUserName><CreateTime>${time}</CreateTime><MsgType><![CDATA[${type}]]></MsgType>`;
const parse = (body: string): AnyMessage => toMessage(parseMessageXml(`<xml>${body}</xml>`));

describe('parsing', () => {
  test('subscribe from a parametric QR code: eventKey qrscene_…, ticket', () => {
    expect(parse(`${head('event')}<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_wxlogin_abc]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>`)).toMatchObject({
      msgType: 'event', event: 'subscribe', eventKey: 'qrscene_wxlogin_abc', ticket: 'TICKET', fromUserName: 'oUSER', createTime: 1_700_000_000,
    });
  });

  test('LOCATION: latitude, longitude and precision as numbers', () => {
    const e = parse(`${head('event')}<Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>`) as LocationEvent;
    expect(e).toMatchObject({ event: 'LOCATION', latitude: 23.137466, longitude: 113.352425, precision: 119.38504 });
  });

  test('TEMPLATESENDJOBFINISH: MsgID becomes msgId, kept as its digits', () => {
    expect(parse(`${head('event')}<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>271781022721654784</MsgID><Status><![CDATA[failed:user block]]></Status>`)).toMatchObject({
      event: 'TEMPLATESENDJOBFINISH', msgId: '271781022721654784', status: 'failed:user block',
    });
  });

  test('subscribe_msg_popup_event: the list, with one or several templates', () => {
    const one = parse(`${head('event')}<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List><TemplateId><![CDATA[T1]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent>`) as SubscribeMsgPopupEvent;
    expect(one.list).toEqual([{ templateId: 'T1', subscribeStatusString: 'accept', popupScene: '2' }]);
    const two = parse(
      `${head('event')}<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List><TemplateId><![CDATA[T1]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List><List><TemplateId><![CDATA[T2]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent>`,
    ) as SubscribeMsgPopupEvent;
    expect(two.list.map((i) => [i.templateId, i.subscribeStatusString])).toEqual([['T1', 'accept'], ['T2', 'reject']]);
  });

  test('subscribe_msg_change_event and subscribe_msg_sent_event', () => {
    expect(parse(`${head('event')}<Event><![CDATA[subscribe_msg_change_event]]></Event><SubscribeMsgChangeEvent><List><TemplateId><![CDATA[T1]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent>`)).toMatchObject({
      list: [{ templateId: 'T1', subscribeStatusString: 'reject' }],
    });
    expect(parse(`${head('event')}<Event><![CDATA[subscribe_msg_sent_event]]></Event><SubscribeMsgSentEvent><List><TemplateId><![CDATA[T1]]></TemplateId><MsgID><![CDATA[1700827132819554304]]></MsgID><ErrorCode><![CDATA[0]]></ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent>`)).toMatchObject({
      list: [{ templateId: 'T1', msgId: '1700827132819554304', errorCode: '0', errorStatus: 'success' }],
    });
  });

  test('wxa_media_check: the verdict of mediaCheckAsync, matched by traceId', () => {
    const e = parse(
      `${head('event')}<Event><![CDATA[wxa_media_check]]></Event><appid><![CDATA[wxmini0000000001]]></appid><trace_id><![CDATA[60ae120f-371d5872-7941a05b]]></trace_id><version>2</version><detail><strategy><![CDATA[content_model]]></strategy><errcode>0</errcode><suggest><![CDATA[pass]]></suggest><label>100</label><prob>90</prob></detail><errcode>0</errcode><errmsg><![CDATA[ok]]></errmsg><result><suggest><![CDATA[pass]]></suggest><label>100</label></result>`,
    ) as MediaCheckEvent;
    expect(e).toMatchObject({ event: 'wxa_media_check', appid: 'wxmini0000000001', traceId: '60ae120f-371d5872-7941a05b', version: '2', errcode: 0, errmsg: 'ok', result: { suggest: 'pass', label: '100' } });
    expect(e.detail).toEqual([{ strategy: 'content_model', errcode: '0', suggest: 'pass', label: '100', prob: '90' }]);
  });

  test('messages: location (numbers), voice with recognition, image', () => {
    expect(parse(`${head('location')}<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label><MsgId>1234567890123456</MsgId>`)).toMatchObject({
      msgType: 'location', locationX: 23.134521, locationY: 113.358803, scale: 20, label: '位置信息', msgId: '1234567890123456',
    });
    expect(parse(`${head('voice')}<MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1</MsgId>`)).toMatchObject({ format: 'amr', recognition: '腾讯微信团队' });
    expect(parse(`${head('image')}<PicUrl><![CDATA[http://p]]></PicUrl><MediaId><![CDATA[m]]></MediaId><MsgId>2</MsgId>`)).toMatchObject({ picUrl: 'http://p', mediaId: 'm' });
  });

  test('a message without the fields every message has is refused (args_error); a repeated field too (xml_error)', () => {
    expect(() => parse('<MsgType><![CDATA[text]]></MsgType>')).toThrow(expect.objectContaining({ code: 'args_error' }));
    expect(() => parse(`${head('text')}<Content>a</Content><Content>b</Content>`)).toThrow(expect.objectContaining({ code: 'xml_error' }));
  });
});

describe('dispatch over HTTP', () => {
  let redis: TestRedis;
  let app: MessageApp;
  const seen: string[] = [];

  beforeAll(async () => {
    redis = await createTestRedis('messages-events');
    app = await startMessageApp(redis);
    app.router
      // Registered first: answers only its own scenes, lets the rest through (the follow-login pattern).
      .onEvent('subscribe', (e) => (e.eventKey?.startsWith('qrscene_wxlogin_') ? '登录成功' : undefined))
      .onEvent('subscribe', (e) => void seen.push(`app subscribe ${e.eventKey ?? ''}`))
      .onEvent('SCAN', (e) => `scanned ${e.eventKey}`)
      .onEvent('*', (e) => void seen.push(`any ${e.event}`))
      .onEvent('unsubscribe', () => 'never shown');
  });
  afterAll(async () => {
    await app.close();
    await redis.close();
  });

  let time = 1_700_000_100;
  const post = (body: string) => request(app.url).post('/wechat/message').query(plainQuery()).type('text/xml').send(`<xml>${head('event', ++time)}${body}</xml>`);

  test('the first handler that replies ends the chain; one that returns nothing passes the event on', async () => {
    expect((await post('<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_wxlogin_1]]></EventKey>')).text).toContain('登录成功');
    expect(seen).not.toContain('app subscribe qrscene_wxlogin_1');
    expect((await post('<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_campaign]]></EventKey>')).text).toBe('success');
    expect(seen).toEqual(['app subscribe qrscene_campaign', 'any subscribe']);
  });

  test("an event's own handlers, then '*'", async () => {
    expect((await post('<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[s1]]></EventKey><Ticket><![CDATA[t]]></Ticket>')).text).toContain('<Content><![CDATA[scanned s1]]></Content>');
    expect((await post('<Event><![CDATA[MASSSENDJOBFINISH]]></Event>')).text).toBe('success');
    expect(seen).toContain('any MASSSENDJOBFINISH');
  });

  test('onEvent / onMessage refuse what is not a handler', () => {
    expect(() => app.router.onEvent('CLICK', 'nope' as never)).toThrow(TypeError);
    expect(() => app.router.onMessage(undefined as never)).toThrow(TypeError);
  });
});
