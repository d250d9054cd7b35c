/**
 * express-wxauth — WeChat login, JSSDK and WeChat Pay for Express.
 * This is the only public entry (plus `express-wxauth/simulator`).
 * Exports are grouped by WeChat surface; add a surface's public helpers under its heading.
 */

// ── Router and errors ───────────────────────────────────────────────────────
export { wxauth, type WxAuthRouter } from './wxauth';
export { WxAuthError, WxPayError, ErrorCodes, isWxAuthError, type ErrorCode } from './errors';
export type { WxAuthOptions, AppCredentials, MiniProgramOptions, CookieOptions, ResolveUserInput } from './options';
export type { SuccessHandler, ErrorHandler, SuccessContext, ErrorContext, OAuthAccess, WechatUserinfo } from './hooks';
export type { Logger } from './log';
export { DEFAULT_ENDPOINTS, type Endpoints } from './wechat/endpoints';

// ── Store ───────────────────────────────────────────────────────────────────
export { MemoryStore, RedisStore, singleFlight, withLock, type Store, type RedisLikeClient, type MemoryStoreOptions, type RedisStoreOptions, type LockOptions } from './store';

// ── Login and identity ──────────────────────────────────────────────────────
export type { WxIdentity, LoginAction, IdentityStorage } from './identity/types';
export type { AuthStartOptions, RequireLoginOptions } from './oauth/router';
export { buildAuthorizeUrl, buildQrconnectUrl, type OAuthScope } from './oauth/authorize-url';
export { safeNextUrl, type NextUrlPolicy } from './oauth/next-url';
export type { JwtOptions, JwtAlgorithm } from './identity/jwt-options';
export type { WxTokenClaims } from './identity/jwt';
export type { FollowOptions } from './follow/options';
export type { FollowStartOptions, FollowPollAnswer } from './follow/router';
export type { QrcodeApi, CreateQrcodeInput, Qrcode, FollowerInfo } from './client/qrcode-api';

// ── JSSDK ───────────────────────────────────────────────────────────────────
export type { JssdkOptions } from './jssdk/options';
export { signJssdk, type JssdkSignInput } from './jssdk/sign';
export type { JssdkApi, JssdkSignature } from './jssdk/signer';
export type { WxConfig } from './jssdk/script';

// ── Server APIs (client) ────────────────────────────────────────────────────
export type { ApiClient, TemplateMessage } from './client/types';
export { tplData, type TemplateField, type TplDataOptions } from './client/template';
export type { SubscribeApi, SubscribeMessage, SubscribeNotice, MiniprogramState, SubscribeLang } from './client/subscribe-api';
export { VALUE_RULES as MESSAGE_VALUE_RULES, valueTypeOf as messageValueTypeOf, type ValueType as MessageValueType, type ValueRule as MessageValueRule, type MessageValue } from './client/message-values';

// ── Mini program and native ─────────────────────────────────────────────────
export { decryptMiniProgramData, checkRawDataSignature, type MiniProgramEncrypted, type MiniProgramData } from './miniprogram/crypto';
export type { PhoneNumber } from './miniprogram/phone';
export type { PhoneApi } from './client/phone-api';
export type { SecurityApi, SecurityScene, SecuritySuggest, MsgSecCheckInput, MsgSecCheckResult, MsgSecCheckDetail, MediaCheckInput } from './client/security-api';
export type { ApiSessionBody } from './native/api-login';
export type { WxacodeApi, WxacodeInput, WxacodeForPathInput, WxacodeStyle } from './client/wxacode-api';
export type { EnvVersion } from './client/api-args';
export type { LinksApi, LinkExpiry, LinkTarget, UrlLinkInput, UrlSchemeInput, ShortLinkInput } from './client/links-api';
export type {
  ShippingApi, ShippingUploadInput, ShippingItem, ShippingOrderRef, ShippingOrder, ShippingOrderState, ShippingListInput, ShippingListResult,
  LogisticsType, DeliveryMode,
} from './client/shipping-api';

// ── WeChat Pay v3 ───────────────────────────────────────────────────────────
export { signPayV3, verifyPayV3, decryptPayV3Resource, encryptPayV3Sensitive, type PayV3Key, type PayV3Resource } from './pay/v3/crypto';
export { PayV3Error } from './pay/v3/errors';
export type { PayV3Api } from './pay/v3/pay';
export type { PayV3Options } from './pay/v3/options';
export type { AutoShipVirtualGoodsOptions } from './pay/v3/auto-ship';
export type {
  PayV3TradeType, PayV3Json, PayV3PrepayInput, PayV3PrepayResult, PayV3JsapiParams, PayV3AppParams, PayV3OrderRef, PayV3RefundInput,
  PayV3TradeBillInput, PayV3FundFlowBillInput, PayV3SceneReportInfo, PayV3TransferInput, PayV3NotifyReply, PayV3Transaction,
  PayV3RefundNotice, PayV3TransferNotice, PayV3NotifyHandler, PayV3RefundHandler, PayV3TransferHandler, PayV3OnNotifyOptions,
  PayV3NotifyRequest,
} from './pay/v3/types';

// ── WeChat Pay v2 ───────────────────────────────────────────────────────────
export { createPay, type PayApi, type CreatePayConfig } from './pay/pay';
export type { PayOptions, PayCertificate, PayConfig, PayNotifyOptions } from './pay/options';
export { signPay, verifyPay, stringToSign, type PaySignType, type PayParams } from './pay/sign';
export { buildPayXml, parsePayXml, type ParseXmlOptions } from './pay/xml';
export { decryptRefundInfo } from './pay/crypto';
export { SUCCESS_REPLY as PAY_NOTIFY_SUCCESS_REPLY } from './pay/notify';
export { settleMarks } from './pay/once';
export type {
  PrepayInput, PrepayResponse, JsapiPayParams, AppPayParams, OrderRef, OrderQueryResponse, RefundInput, RefundResponse,
  RefundQueryInput, RefundQueryResponse, RefundQueryItem, RedPackInput, RedPackResponse, PayNotifyOrder, RefundNotifyInfo,
  PayNotifyHandler, RefundNotifyHandler, OnNotifyOptions, NotifyReply, PayFields, TradeType,
} from './pay/types';

// ── Messages ────────────────────────────────────────────────────────────────
export { createMessageServer, type MessageServer, type MessageServerIo, type MessageServerOptions, type MessageMode } from './messages';
export type {
  AnyMessage, IncomingMessage, TextMessage, ImageMessage, VoiceMessage, VideoMessage, LocationMessage, LinkMessage, MessageBase, RawMessage,
  WechatEvent, EventType, EventOf, SubscribeEvent, UnsubscribeEvent, ScanEvent, LocationEvent, ClickEvent, ViewEvent, TemplateSendJobFinishEvent,
  SubscribeMsgItem, SubscribeMsgPopupEvent, SubscribeMsgChangeEvent, SubscribeMsgSentEvent, MediaCheckEvent, Reply, NewsArticle, MessageHandler, MessageRegistry,
} from './messages/types';
export type { MpOptions } from './options';
export type { CustomApi, CustomMessage } from './client/custom-api';
