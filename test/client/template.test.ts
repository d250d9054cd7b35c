import { templateBody, tplData } from '../../lib/client/template';

describe('tplData', () => {
  test('turns plain values into { value, color } fields, with one colour for all', () => {
    expect(tplData({ first: 'Order paid', keyword1: 'A123', keyword2: 12.5, remark: 'Thanks' }, { color: '#173177' })).toEqual({
      first: { value: 'Order paid', color: '#173177' },
      keyword1: { value: 'A123', color: '#173177' },
      keyword2: { value: '12.5', color: '#173177' },
      remark: { value: 'Thanks', color: '#173177' },
    });
  });

  test('a field may set its own colour; no colour means none is sent; undefined fields are skipped', () => {
    expect(tplData({ first: { value: 'Alert', color: '#FF0000' }, keyword1: 'x', remark: undefined })).toEqual({
      first: { value: 'Alert', color: '#FF0000' },
      keyword1: { value: 'x' },
    });
  });

  test('refuses a colour that is not #RRGGBB', () => {
    expect(() => tplData({ first: 'x' }, { color: 'red' })).toThrow(expect.objectContaining({ code: 'args_error', field: 'color' }));
    expect(() => tplData({ first: { value: 'x', color: 'javascript:' } })).toThrow(expect.objectContaining({ code: 'args_error' }));
  });
});

describe('templateBody', () => {
  test('maps our camelCase message to WeChat body fields', () => {
    expect(
      templateBody({ touser: 'o-alice', templateId: 'tpl-1', data: { first: { value: 'hi' } }, url: 'https://shop.example.com/o/1', miniprogram: { appid: 'wxmini', pagepath: 'pages/o' } }),
    ).toEqual({
      touser: 'o-alice',
      template_id: 'tpl-1',
      url: 'https://shop.example.com/o/1',
      miniprogram: { appid: 'wxmini', pagepath: 'pages/o' },
      data: { first: { value: 'hi' } },
    });
  });

  test('refuses a message without recipient, template or data', () => {
    expect(() => templateBody({ touser: '', templateId: 't', data: {} })).toThrow(expect.objectContaining({ field: 'touser' }));
    expect(() => templateBody({ touser: 'o', templateId: '', data: {} })).toThrow(expect.objectContaining({ field: 'templateId' }));
    expect(() => templateBody({ touser: 'o', templateId: 't' } as never)).toThrow(expect.objectContaining({ field: 'data' }));
  });
});
