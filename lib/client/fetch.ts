import { WxAuthError } from '../errors';
import type { AppCredentials } from '../options';
import type { WechatClient } from '../wechat/client';

/** A value fetched from WeChat with its lifetime, as `/cgi-bin/*` reports it. */
export interface Fetched {
  value: string;
  /** Seconds, from WeChat's `expires_in` (7200 for tokens and tickets). */
  expiresIn: number;
}

/** Which WeChat API issues the basic access token. */
export type TokenEndpoint = 'stable_token' | 'token';

/**
 * Fetch the basic access token of one app.
 *
 * `stable_token` (the default) answers the same token while it is valid, so a second fetch —
 * from a process that lost the lock race, or after Redis lost its data — cannot invalidate
 * the token every other process holds. The classic `token` issues a new one each time and the
 * old one dies 5 minutes later, which is why every fetch goes through the shared lock.
 * https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
 */
export async function fetchAccessToken(http: WechatClient, app: AppCredentials, endpoint: TokenEndpoint): Promise<Fetched> {
  const body =
    endpoint === 'stable_token'
      ? // The secret travels in the POST body, not the URL.
        await http.apiPost('/cgi-bin/stable_token', {}, { grant_type: 'client_credential', appid: app.appid, secret: app.secret, force_refresh: false }, {
          errorCode: 'token_error',
          idempotent: true,
        })
      : await http.apiGet('/cgi-bin/token', { grant_type: 'client_credential', appid: app.appid, secret: app.secret }, { errorCode: 'token_error', idempotent: true });
  return checked(body.access_token, body.expires_in, 'access_token');
}

/** Fetch the jsapi_ticket with a basic access token. */
export async function fetchJsapiTicket(http: WechatClient, accessToken: string): Promise<Fetched> {
  const body = await http.apiGet('/cgi-bin/ticket/getticket', { access_token: accessToken, type: 'jsapi' }, { errorCode: 'token_error', idempotent: true });
  return checked(body.ticket, body.expires_in, 'ticket');
}

function checked(value: unknown, expiresIn: unknown, field: string): Fetched {
  if (typeof value !== 'string' || !value) {
    throw new WxAuthError('token_error', `WeChat's answer has no ${field}`, { status: 502 });
  }
  const seconds = Number(expiresIn);
  // WeChat always sends expires_in; a missing one gets WeChat's documented 7200 s.
  return { value, expiresIn: Number.isFinite(seconds) && seconds > 0 ? seconds : 7200 };
}
