import { WxAuthError } from '../errors';
import { MESSAGE_ERRCODES } from '../wechat/errcodes';

/** Where WeChat's 47003 errmsg names the value it refused: `argument invalid! data.thing1.value invalid`. */
const REFUSED_KEY = /\bdata\.([A-Za-z_]+\d*)\.value\b/;

const HINTS: Readonly<Record<number, string>> = {
  43101: 'the user has not subscribed to this template (never asked, refused, or a one-time subscription already used): ask again with wx.requestSubscribeMessage',
  43004: 'the user does not follow the official account',
  47003: 'a value breaks its key type’s rule (see the value rules) or a required key is missing',
  40037: 'the template id is not one of this app’s templates',
  41030: 'the page is not a page of the published mini program',
};

/**
 * Run a template / subscribe send, turning the errcodes an app acts on (MESSAGE_ERRCODES) into
 * their own codes: `not_subscribed` (43101, 43004), `args_error` naming the field (47003 with
 * the key WeChat named, 40037, 41030). `errcode` and `errmsg` are kept; anything else unchanged.
 */
export async function messageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const errcode = error instanceof WxAuthError ? Number(error.errcode) : NaN;
    const mapped = MESSAGE_ERRCODES[errcode];
    if (!(error instanceof WxAuthError) || !mapped) throw error;
    const key = errcode === 47003 ? REFUSED_KEY.exec(error.errmsg ?? '')?.[1] : undefined;
    const field = key ? `data.${key}` : mapped.field;
    throw new WxAuthError(mapped.code, `${error.message}: ${HINTS[errcode] ?? 'refused'}${key ? ` (${field})` : ''}`, {
      errcode: error.errcode!,
      ...(error.errmsg !== undefined ? { errmsg: error.errmsg } : {}),
      ...(field ? { field } : {}),
      cause: error,
    });
  }
}
