import { RETIRED_TEMPLATE_KEYS, templateBody, tplData, unseenParts } from '../../lib/client/template';

describe('tplData (category templates)', () => {
  test('turns plain values into WeChat’s { key: { value } }, numbers as text, undefined fields skipped', () => {
    expect(tplData({ character_string1: 'A-42', thing2: 'Green tea', amount3: '¥12.50', number4: 3, thing5: undefined })).toEqual({
      character_string1: { value: 'A-42' },
      thing2: { value: 'Green tea' },
      amount3: { value: '¥12.50' },
      number4: { value: '3' },
    });
  });

  test('takes WeChat’s own { value } too, and leaves untyped keys (keyword1) unchecked', () => {
    expect(tplData({ keyword1: { value: 'anything at all, however long it is, is not checked' }, time2: { value: '2026-12-01 12:30' } })).toEqual({
      keyword1: { value: 'anything at all, however long it is, is not checked' },
      time2: { value: '2026-12-01 12:30' },
    });
  });

  test('refuses a colour, for all fields or one, saying WeChat shows none since 2023-05-04', () => {
    expect(() => tplData({ thing1: 'x' }, { color: '#173177' } as never)).toThrow(expect.objectContaining({ code: 'args_error', field: 'color', message: expect.stringContaining('2023-05-04') }));
    expect(() => tplData({ thing1: { value: 'x', color: '#FF0000' } as never })).toThrow(expect.objectContaining({ code: 'args_error', field: 'thing1.color' }));
  });

  test.each([...RETIRED_TEMPLATE_KEYS])('refuses "%s": no category template shows it', (key) => {
    expect(() => tplData({ [key]: 'Your order has shipped', thing1: 'Tea' })).toThrow(expect.objectContaining({ code: 'args_error', field: key, message: expect.stringMatching(/2023-05-04.*thing1/) }));
  });

  test('checks each typed key against its rule, naming the field, the rule and the length', () => {
    expect(() => tplData({ thing1: '一二三四五六七八九十一二三四五六七八九十一' })).toThrow(
      expect.objectContaining({ code: 'args_error', field: 'data.thing1', message: '"data.thing1" (thing) must be at most 20 characters: Chinese, letters, digits or symbols; it has 21 characters' }),
    );
    expect(() => tplData({ character_string3: '订单A42' })).toThrow(expect.objectContaining({ field: 'data.character_string3', message: expect.stringContaining('no Chinese') }));
    expect(() => tplData({ amount4: '12.505' })).toThrow(expect.objectContaining({ field: 'data.amount4' }));
  });
});

describe('templateBody', () => {
  test('maps our camelCase message to WeChat body fields', () => {
    expect(
      templateBody({ touser: 'o-alice', templateId: 'tpl-1', data: { thing1: { value: 'hi' } }, url: 'https://shop.example.com/o/1', miniprogram: { appid: 'wxmini', pagepath: 'pages/o' } }),
    ).toEqual({
      touser: 'o-alice',
      template_id: 'tpl-1',
      url: 'https://shop.example.com/o/1',
      miniprogram: { appid: 'wxmini', pagepath: 'pages/o' },
      data: { thing1: { value: 'hi' } },
    });
  });

  test('refuses a message without recipient, template or data', () => {
    expect(() => templateBody({ touser: '', templateId: 't', data: {} })).toThrow(expect.objectContaining({ field: 'touser' }));
    expect(() => templateBody({ touser: 'o', templateId: '', data: {} })).toThrow(expect.objectContaining({ field: 'templateId' }));
    expect(() => templateBody({ touser: 'o', templateId: 't' } as never)).toThrow(expect.objectContaining({ field: 'data' }));
  });

  test('checks typed values before the call', () => {
    expect(() => templateBody({ touser: 'o', templateId: 't', data: { phrase2: { value: '已发货了吗还没有' } } })).toThrow(expect.objectContaining({ code: 'args_error', field: 'data.phrase2' }));
  });

  test('sends first / remark / colours from older code as given (WeChat ignores them), and names them as unseen', () => {
    const data = { first: { value: 'Paid' }, thing1: { value: 'Tea', color: '#173177' }, remark: { value: 'Thanks' } };
    expect(templateBody({ touser: 'o', templateId: 't', data }).data).toBe(data);
    expect(unseenParts(data)).toEqual(['first', 'thing1.color', 'remark']);
    expect(unseenParts({ thing1: { value: 'Tea' } })).toEqual([]);
  });
});
