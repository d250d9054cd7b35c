import { WxAuthError } from '../errors';
import type { ClientCore } from './core';

/** WeChat's limits for a temporary string-scene QR code (带参数二维码, `QR_STR_SCENE`). */
export const QRCODE_MAX_EXPIRE_SECONDS = 2_592_000;
const SCENE_MAX_CHARS = 64;

export interface CreateQrcodeInput {
  /** `scene_str`: 1 to 64 characters, handed back in the scan event's `EventKey`. */
  scene: string;
  /** Lifetime in seconds, 60 to 2592000 (30 days). Default 300. */
  expireSeconds?: number;
}

/** A temporary parametric QR code. */
export interface Qrcode {
  /** WeChat's ticket: the image is fetched with it. */
  ticket: string;
  /** The URL the QR code encodes (`http://weixin.qq.com/q/…`): draw it yourself instead of loading `imageUrl`. */
  url: string;
  /** The lifetime WeChat granted, in seconds. */
  expireSeconds: number;
  /** The image: `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=…` (the `mp` endpoint). */
  imageUrl: string;
}

/** `/cgi-bin/user/info`: a user of the official account (WeChat no longer sends nickname or avatar here). */
export interface FollowerInfo {
  /** Whether the user follows the official account; when false WeChat sends nothing else but the openid. */
  subscribe: boolean;
  openid: string;
  /** Present when the account is bound to an open-platform account. */
  unionid?: string;
  /** Seconds since the epoch of the (last) follow. */
  subscribeTime?: number;
  /** How the user came: `ADD_SCENE_QR_CODE`, `ADD_SCENE_SEARCH`, … */
  subscribeScene?: string;
  /** The `scene_str` of the QR code the user followed through, if any. */
  qrSceneStr?: string;
  language?: string;
  remark?: string;
  tagidList?: number[];
}

/** Parametric QR codes and follower profiles of an official account. */
export interface QrcodeApi {
  /** `POST /cgi-bin/qrcode/create` with `QR_STR_SCENE` (a temporary code with a string scene). */
  createQrcode(input: CreateQrcodeInput, appid?: string): Promise<Qrcode>;
  /** `GET /cgi-bin/user/info`: whether `openid` follows, and its `unionid`. */
  getFollowerInfo(openid: string, appid?: string): Promise<FollowerInfo>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function qrcodeApi(core: ClientCore): QrcodeApi {
  return {
    async createQrcode({ scene, expireSeconds = 300 }, appid) {
      // Checked here, not left to WeChat: every refused call still counts against the daily quota.
      if (typeof scene !== 'string' || scene.length < 1 || scene.length > SCENE_MAX_CHARS) {
        throw new WxAuthError('args_error', `"scene" must be 1 to ${SCENE_MAX_CHARS} characters`);
      }
      if (!Number.isInteger(expireSeconds) || expireSeconds < 60 || expireSeconds > QRCODE_MAX_EXPIRE_SECONDS) {
        throw new WxAuthError('args_error', `"expireSeconds" must be an integer from 60 to ${QRCODE_MAX_EXPIRE_SECONDS}`);
      }
      const body = { expire_seconds: expireSeconds, action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: scene } } };
      // A second code for the same scene is harmless: -1 (busy) may be retried.
      const answer = await core.post(core.appidOf(appid), '/cgi-bin/qrcode/create', body, { errorCode: 'wechat_error', idempotent: true });
      const ticket = str(answer.ticket);
      const url = str(answer.url);
      if (!ticket || !url) throw new WxAuthError('wechat_error', 'qrcode/create answered without a ticket', { status: 502 });
      const granted = num(answer.expire_seconds) ?? expireSeconds;
      const imageUrl = `${core.ctx.http.endpoints.mp}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`;
      return { ticket, url, expireSeconds: granted, imageUrl };
    },

    async getFollowerInfo(openid, appid) {
      if (typeof openid !== 'string' || !openid) throw new WxAuthError('args_error', '"openid" is required');
      const id = core.appidOf(appid);
      const answer = await core.withToken(id, (token) =>
        core.ctx.http.apiGet('/cgi-bin/user/info', { access_token: token, openid, lang: 'zh_CN' }, { errorCode: 'wechat_error', idempotent: true }),
      );
      const info: FollowerInfo = { subscribe: answer.subscribe === 1, openid: str(answer.openid) ?? openid };
      const unionid = str(answer.unionid);
      if (unionid) info.unionid = unionid;
      const time = num(answer.subscribe_time);
      if (time !== undefined) info.subscribeTime = time;
      for (const [from, to] of [['subscribe_scene', 'subscribeScene'], ['qr_scene_str', 'qrSceneStr'], ['language', 'language'], ['remark', 'remark']] as const) {
        const value = str(answer[from]);
        if (value) info[to] = value;
      }
      if (Array.isArray(answer.tagid_list)) info.tagidList = answer.tagid_list.filter((t): t is number => typeof t === 'number');
      return info;
    },
  };
}
