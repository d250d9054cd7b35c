import { WxAuthError } from '../errors';
import type { ClientCore } from './core';

/** Where the content was typed (WeChat's `scene`): 1 profile (资料), 2 comment (评论), 3 forum (论坛), 4 social log (社交日志). */
export type SecurityScene = 1 | 2 | 3 | 4;

/** WeChat's overall verdict: `pass` (publish), `review` (hold for a person), `risky` (refuse). */
export type SecuritySuggest = 'pass' | 'review' | 'risky';

export interface MsgSecCheckInput {
  /** The text to check (a nickname, a comment…), at most 2500 characters. */
  content: string;
  /** The author's openid in the mini program; WeChat wants a user who used it in the last two hours. */
  openid: string;
  /** Where the text is used: 1 for a nickname or profile field. */
  scene: SecurityScene;
  /** A title that goes with the text. */
  title?: string;
  /** The author's nickname. */
  nickname?: string;
  /** The author's signature (profile scene only). */
  signature?: string;
}

/** One strategy's finding in WeChat's `detail`. */
export interface MsgSecCheckDetail {
  strategy: string;
  errcode: number;
  suggest?: SecuritySuggest;
  label?: number;
  /** The model's confidence, 0–100. */
  prob?: number;
  /** The keyword that matched (keyword strategy). */
  keyword?: string;
  level?: number;
}

export interface MsgSecCheckResult {
  suggest: SecuritySuggest;
  /** 100 normal, 10001 advertising, 20001 politics, 20002 porn, 20003 abuse, 20006 crime, 20008 fraud, 20012 vulgar, 20013 copyright, 21000 other. */
  label: number;
  /** WeChat's id of this check (quote it to WeChat when appealing a verdict). */
  traceId: string;
  detail: MsgSecCheckDetail[];
}

export interface MediaCheckInput {
  /** A URL WeChat can fetch the image or audio from (at most 10 MB for images). */
  mediaUrl: string;
  mediaType: 'image' | 'audio';
  openid: string;
  scene: SecurityScene;
}

/** Content security (内容安全) of a mini program: text now, images and audio asynchronously. */
export interface SecurityApi {
  /**
   * `wxa/msg_sec_check` (version 2): is this user-typed text fit to publish? Resolves with the
   * verdict; check `suggest` (only `pass` should be saved as is). Default app: the mini program.
   */
  msgSecCheck(input: MsgSecCheckInput, appid?: string): Promise<MsgSecCheckResult>;
  /**
   * `wxa/media_check_async` (version 2): submit an image or audio URL; resolves with the
   * `traceId`. The verdict comes later (within 30 minutes) as the `wxa_media_check` event pushed to
   * the mini program's message server, carrying the same `trace_id` and `result.suggest`.
   */
  mediaCheckAsync(input: MediaCheckInput, appid?: string): Promise<{ traceId: string }>;
}

const MAX_CONTENT = 2500;
const SCENES: ReadonlySet<number> = new Set([1, 2, 3, 4]);
const SUGGESTS: ReadonlySet<string> = new Set(['pass', 'review', 'risky']);
const MEDIA_TYPES = { audio: 1, image: 2 } as const;

function args(field: string, message: string): WxAuthError {
  return new WxAuthError('args_error', `"${field}" ${message}`, { field });
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.trim()) throw args(field, 'must be a non-empty string');
  return value;
}

function requireScene(scene: unknown): SecurityScene {
  if (typeof scene !== 'number' || !SCENES.has(scene)) throw args('scene', 'must be 1 (profile), 2 (comment), 3 (forum) or 4 (social log)');
  return scene as SecurityScene;
}

/** The body msg_sec_check is sent, after the checks WeChat would otherwise answer with an errcode. */
export function msgSecCheckBody(input: MsgSecCheckInput): Record<string, unknown> {
  const content = requireText(input?.content, 'content');
  // Characters as WeChat counts them (a code point each), not UTF-16 units.
  if ([...content].length > MAX_CONTENT) throw args('content', `must be at most ${MAX_CONTENT} characters`);
  const body: Record<string, unknown> = { content, version: 2, scene: requireScene(input.scene), openid: requireText(input.openid, 'openid') };
  for (const field of ['title', 'nickname', 'signature'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw args(field, 'must be a string');
    body[field] = value;
  }
  return body;
}

export function mediaCheckBody(input: MediaCheckInput): Record<string, unknown> {
  const mediaUrl = requireText(input?.mediaUrl, 'mediaUrl');
  if (!/^https?:\/\//i.test(mediaUrl)) throw args('mediaUrl', 'must be an http(s) URL WeChat can fetch');
  const mediaType = MEDIA_TYPES[input.mediaType];
  if (!mediaType) throw args('mediaType', 'must be "image" or "audio"');
  return { media_url: mediaUrl, media_type: mediaType, version: 2, scene: requireScene(input.scene), openid: requireText(input.openid, 'openid') };
}

/** WeChat's v2 answer, typed; an answer without a verdict is an error, never a silent `pass`. */
export function msgSecCheckResult(answer: Record<string, unknown>): MsgSecCheckResult {
  const result = answer.result as Record<string, unknown> | undefined;
  const suggest = result?.suggest;
  if (typeof suggest !== 'string' || !SUGGESTS.has(suggest)) throw new WxAuthError('wechat_error', 'WeChat answered msg_sec_check without a verdict');
  const detail = Array.isArray(answer.detail) ? (answer.detail.filter((d) => d && typeof d === 'object') as MsgSecCheckDetail[]) : [];
  return {
    suggest: suggest as SecuritySuggest,
    label: typeof result?.label === 'number' ? result.label : Number(result?.label ?? 0),
    traceId: typeof answer.trace_id === 'string' ? answer.trace_id : '',
    detail,
  };
}

export function securityApi(core: ClientCore): SecurityApi {
  return {
    async msgSecCheck(input, appid) {
      const body = msgSecCheckBody(input);
      // A check changes nothing at WeChat: safe to resend on "busy".
      const answer = await core.post(core.miniprogramAppidOf(appid), '/wxa/msg_sec_check', body, { errorCode: 'wechat_error', idempotent: true });
      return msgSecCheckResult(answer);
    },
    async mediaCheckAsync(input, appid) {
      const body = mediaCheckBody(input);
      // Not resent on "busy": a second submission would be a second check with its own trace_id.
      const answer = await core.post(core.miniprogramAppidOf(appid), '/wxa/media_check_async', body, { errorCode: 'wechat_error', idempotent: false });
      const traceId = answer.trace_id;
      if (typeof traceId !== 'string' || !traceId) throw new WxAuthError('wechat_error', 'WeChat answered media_check_async without trace_id');
      return { traceId };
    },
  };
}
