import { WxPayError, type ErrorCode, type WxAuthErrorOptions } from '../../errors';

/**
 * A WeChat Pay v3 failure. For an error answer whose signature verified, `code` is WeChat's own
 * (`ORDER_NOT_EXIST`, `ORDERPAID`, `PARAM_ERROR`, …, also in `errcode`) and `errmsg` its message;
 * an error answer WeChat did not sign (401 `SIGN_ERROR` is one: WeChat could not authenticate us)
 * has `code` `pay_error` with WeChat's claimed code in `errcode`. `requestId` is WeChat's
 * `Request-ID`, what its support asks for.
 */
export class PayV3Error extends WxPayError {
  /** WeChat's `Request-ID` header, when it sent one. */
  readonly requestId?: string;
  /** The HTTP status WeChat answered with. */
  readonly httpStatus?: number;
  /** WeChat's `detail` (e.g. the field at fault for `PARAM_ERROR`), when the answer verified. */
  readonly detail?: unknown;

  constructor(
    code: ErrorCode | (string & {}),
    message: string,
    options: WxAuthErrorOptions & { requestId?: string; httpStatus?: number; detail?: unknown } = {},
  ) {
    super(code, message, options);
    if (options.requestId !== undefined) this.requestId = options.requestId;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    if (options.detail !== undefined) this.detail = options.detail;
  }
}
