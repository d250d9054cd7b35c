import { randomBytes } from 'node:crypto';

/** WeChat's usual errmsg for each errcode the simulator answers. */
const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40029: 'invalid code',
  40030: 'invalid refresh_token',
  40037: 'invalid template_id',
  40053: 'invalid action info, please check document',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40163: 'code been used',
  41001: 'access_token missing',
  41002: 'appid missing',
  41003: 'refresh_token missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41009: 'missing openid',
  42001: 'access_token expired',
  42002: 'refresh_token expired',
  44002: 'empty post data',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit',
  47001: 'data format error',
  48001: 'api unauthorized',
  40129: 'invalid scene',
  61010: 'user access record timeout',
  87014: 'risky content',
  1400001: 'reach the limit of phone number quota',
};

export function errmsgOf(errcode: number): string {
  return ERRMSG[errcode] ?? 'error';
}

/**
 * WeChat's error body. Like WeChat, the errmsg ends with a request id (`rid: …`) — clients must
 * not treat errmsg as a fixed string. It never echoes a request value (code, secret, token).
 */
export function wxError(errcode: number, errmsg = errmsgOf(errcode)): { errcode: number; errmsg: string } {
  const rid = randomBytes(12).toString('hex');
  return { errcode, errmsg: `${errmsg}, rid: ${rid.slice(0, 8)}-${rid.slice(8, 16)}-${rid.slice(16)}` };
}
