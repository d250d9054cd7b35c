/**
 * Type-level checks of the public message API, run by `npm run typecheck` (tsc over test/):
 * each `@ts-expect-error` line must fail to compile, the others must compile.
 */
import { tplData, type MessageValueType, type SubscribeMessage, type SubscribeNotice, type WxAuthRouter } from '../../lib';

declare const router: WxAuthRouter;

export async function typeChecks(): Promise<void> {
  // The msgid is a string (64-bit), for all three sends.
  const a: { msgid: string } = await router.client.sendSubscribe({ touser: 'o', templateId: 't', data: { thing1: 'Tea', number2: 2, amount3: { value: '¥1.00' } } });
  const b: { msgid: string } = await router.client.sendSubscribeNotice({ touser: 'o', templateId: 't', data: {}, miniprogram: { appid: 'wx', pagepath: 'pages/a' } }, 'wxmp');
  const c: { msgid: string } = await router.client.sendTemplate({ touser: 'o', templateId: 't', data: tplData({ character_string1: 'A-42' }) });
  void [a, b, c];

  // @ts-expect-error a msgid is never a number (it would round past 2^53)
  const rounded: { msgid: number } = await router.client.sendSubscribe({ touser: 'o', templateId: 't', data: {} });
  void rounded;

  const state: SubscribeMessage = { touser: 'o', templateId: 't', data: {}, miniprogramState: 'trial', lang: 'zh_TW' };
  // @ts-expect-error miniprogramState is one of developer / trial / formal
  const badState: SubscribeMessage = { touser: 'o', templateId: 't', data: {}, miniprogramState: 'beta' };
  // @ts-expect-error lang is one of WeChat's four
  const badLang: SubscribeMessage = { touser: 'o', templateId: 't', data: {}, lang: 'fr' };
  // @ts-expect-error a notice has no miniprogramState (its jump is `miniprogram`)
  const noticeState: SubscribeNotice = { touser: 'o', templateId: 't', data: {}, miniprogramState: 'trial' };
  // @ts-expect-error miniprogram needs its pagepath
  const noPath: SubscribeNotice = { touser: 'o', templateId: 't', data: {}, miniprogram: { appid: 'wx' } };
  void [state, badState, badLang, noticeState, noPath];

  // @ts-expect-error tplData takes no colour (WeChat shows none since 2023-05-04)
  tplData({ thing1: 'x' }, { color: '#173177' });
  // @ts-expect-error nor a colour per field
  tplData({ thing1: { value: 'x', color: '#173177' } });

  const type: MessageValueType = 'character_string';
  // @ts-expect-error not one of WeChat's types
  const notAType: MessageValueType = 'keyword';
  void [type, notAType];
}
