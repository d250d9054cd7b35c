/**
 * `express-wxauth/passport`: WeChat login (mp, QR code) as a Passport strategy. Passport is an
 * optional peer dependency; this entry never loads it (the main entry does not load this one).
 */
export { WxAuthStrategy, WxAuthStrategy as Strategy, redirectToNext } from './strategy';
export type { WxAuthVerify, WxAuthVerifyWithRequest, WxAuthVerifyCallback, WxAuthenticateOptions, WxAuthInfo, PassportActions } from './strategy';
export type { WxAuthStrategyOptions } from './options';
export type { WxAuthProfile } from './profile';
export type { WechatUserinfo } from '../hooks';
export type { OAuthScope } from '../oauth/authorize-url';
export { WxAuthError, isWxAuthError, ErrorCodes, type ErrorCode } from '../errors';
