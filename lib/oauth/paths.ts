/** The OAuth surface's routes, relative to where the app mounts the router. */
export const PATHS = {
  login: '/oauth/wechat/login',
  callback: '/oauth/wechat/callback',
  script: '/weixin-login.js',
  /** The widget's same-origin JSON endpoint: `{ url }` of one QR login's iframe. */
  qrconnect: '/oauth/wechat/qrconnect',
  mobile: '/oauth/wechat/mobile',
  logout: '/oauth/wechat/logout',
} as const;
