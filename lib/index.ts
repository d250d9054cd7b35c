/**
 * express-wxauth — WeChat login, JSSDK and WeChat Pay for Express.
 * This is the only public entry (plus `express-wxauth/simulator`).
 */
export { wxauth, type WxAuthRouter } from './wxauth';
export { WxAuthError, WxPayError, ErrorCodes, isWxAuthError, type ErrorCode } from './errors';
export type { WxAuthOptions, AppCredentials, CookieOptions, ResolveUserInput } from './options';
export type { WxIdentity, LoginAction, IdentityStorage } from './identity/types';
export type { SuccessHandler, ErrorHandler, SuccessContext, ErrorContext, OAuthAccess, WechatUserinfo } from './oauth/hooks';
export type { Logger } from './log';
export { MemoryStore, RedisStore, singleFlight, withLock, type Store, type RedisLikeClient, type MemoryStoreOptions, type RedisStoreOptions, type LockOptions } from './store';
export { DEFAULT_ENDPOINTS, type Endpoints } from './wechat/endpoints';
export type { ApiClient, TemplateMessage } from './client/types';
export type { JssdkOptions } from './jssdk/options';
export type { PayOptions, PayCertificate } from './pay/options';
export type { JwtOptions } from './identity/jwt-options';
// SURFACE EXPORTS — each surface adds its public helpers below this line.
