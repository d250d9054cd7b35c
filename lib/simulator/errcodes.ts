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
  40008: 'invalid message type',
  43004: 'require subscribe',
  45015: 'response out of time limit or subscription is canceled',
  43101: 'user refuse to accept the msg',
  44002: 'empty post data',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit',
  47001: 'data format error',
  47003: 'argument invalid!',
  48001: 'api unauthorized',
  40129: 'invalid scene',
  61010: 'user access record timeout',
  87014: 'risky content',
  1400001: 'reach the limit of phone number quota',
  // Mini-program codes, links, shipping info (lib/simulator/api/wxacode.ts, links.ts, shipping.ts).
  40066: 'invalid url',
  40159: 'invalid length for path, or the data is not json string',
  40165: 'invalid weapp pagepath',
  40169: 'invalid length for scene, or the data is not json string',
  40212: 'invalid query',
  41030: 'invalid page',
  45029: 'qrcode count out of limit',
  85079: 'miniprogram has no online release',
  85096: 'not allow include scancode_time field',
  85401: 'time limit between 1min and 30days',
  85402: 'invalid env_version',
  10060001: '支付单不存在',
  10060002: '支付单已完成发货，无法继续发货',
  10060003: '支付单已使用重新发货机会',
  10060004: '支付单处于不可发货的状态',
  10060005: '物流类型有误',
  10060006: '非快递发货时不允许分拆发货',
  10060007: '分拆发货模式下必须填写 is_all_delivered 字段',
  10060008: '商品描述字段不能为空',
  10060009: '商品描述字段长度超过限制',
  10060014: '参数错误，根据错误提示填写参数',
  10060024: '物流信息列表过长',
  10060025: '物流公司编码过长',
  10060026: '物流单号过长',
  10060031: '该订单不属于该用户',
  268485195: '订单单号类型或单号参数不正确',
  268485216: '上传时间非法，请按照 RFC 3339 格式填写',
  268485224: '发货模式非法',
  268485228: '统一发货模式下，物流信息列表长度必须为 1',
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
