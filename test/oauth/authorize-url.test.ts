import { buildAuthorizeUrl, buildQrconnectUrl } from '../../lib/oauth/authorize-url';

describe('authorize URLs', () => {
  const input = { open: 'https://open.weixin.qq.com', appid: 'wx520c15f417810387', redirectUri: 'https://shop.example.com/oauth/wechat/callback?x=1&y=2', state: 'abc123' };

  test('mp: /connect/oauth2/authorize with parameters in WeChat order and #wechat_redirect', () => {
    expect(buildAuthorizeUrl({ ...input, scope: 'snsapi_base' })).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387&redirect_uri=https%3A%2F%2Fshop.example.com%2Foauth%2Fwechat%2Fcallback%3Fx%3D1%26y%3D2&response_type=code&scope=snsapi_base&state=abc123#wechat_redirect',
    );
  });

  test('mp: snsapi_userinfo scope', () => {
    expect(buildAuthorizeUrl({ ...input, scope: 'snsapi_userinfo' })).toContain('&response_type=code&scope=snsapi_userinfo&state=abc123#wechat_redirect');
  });

  test('qrcode: /connect/qrconnect with snsapi_login', () => {
    const url = buildQrconnectUrl(input);
    expect(url.startsWith('https://open.weixin.qq.com/connect/qrconnect?appid=wx520c15f417810387&redirect_uri=')).toBe(true);
    expect(url.endsWith('&response_type=code&scope=snsapi_login&state=abc123#wechat_redirect')).toBe(true);
  });

  test('the parameter order is appid, redirect_uri, response_type, scope, state', () => {
    const url = new URL(buildAuthorizeUrl({ ...input, scope: 'snsapi_base' }));
    expect([...url.searchParams.keys()]).toEqual(['appid', 'redirect_uri', 'response_type', 'scope', 'state']);
    expect(url.searchParams.get('redirect_uri')).toBe(input.redirectUri);
    expect(url.hash).toBe('#wechat_redirect');
  });
});
