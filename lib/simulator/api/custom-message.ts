import express, { type Router } from 'express';
import { jsonBody, jsonRoute, rawBody } from '../http';
import type { SimState } from '../state';
import { appOfToken } from './token-app';
import { fail } from '../state';

/** WeChat lets an account write to a user for 48 hours after the user's last message or event. */
export const CUSTOM_MESSAGE_WINDOW_MS = 48 * 3600 * 1000;

const TYPES = new Set(['text', 'image', 'voice', 'video', 'music', 'news', 'mpnews', 'mpnewsarticle', 'msgmenu', 'wxcard', 'miniprogrampage']);

/** A customer-service message the api host accepted. */
export interface SentCustomMessage {
  appid: string;
  touser: string;
  msgtype: string;
  /** The whole body as sent (`{ touser, msgtype, text: { content } }`, …). */
  body: Record<string, unknown>;
  time: number;
}

/**
 * Customer-service messages (客服消息): who may be written to (a user who pushed a message or an
 * event in the last 48 hours, recorded by the phone's `pushMessage`) and what was sent.
 */
export class SimCustomMessages {
  readonly sent: SentCustomMessage[] = [];
  private lastSeen = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** The user wrote, clicked, followed or scanned: the 48-hour window opens again. */
  noteInteraction(appid: string, openid: string): void {
    this.lastSeen.set(`${appid}\0${openid}`, this.now());
  }

  mayWrite(appid: string, openid: string): boolean {
    const seen = this.lastSeen.get(`${appid}\0${openid}`);
    return seen !== undefined && this.now() - seen < CUSTOM_MESSAGE_WINDOW_MS;
  }

  reset(): void {
    this.sent.length = 0;
    this.lastSeen = new Map();
  }
}

/**
 * `/cgi-bin/message/custom/send` as WeChat answers it: 48001 for an app that is not an official
 * account, 40003 for an openid the app never saw, 40008 for an unknown msgtype, 44002 / 47001 for a
 * missing or malformed body, 45015 ("response out of time limit") outside the 48-hour window.
 */
export function customMessageRoutes(state: SimState, customs: SimCustomMessages): Router {
  const router = express.Router();
  router.post(
    '/cgi-bin/message/custom/send',
    rawBody,
    jsonRoute((req, res) => {
      const appid = appOfToken(state, req, res, 'mp');
      const body = jsonBody(req);
      const touser = typeof body.touser === 'string' ? body.touser : '';
      if (!touser || state.userOf(appid, touser) === undefined) fail(40003);
      const msgtype = typeof body.msgtype === 'string' ? body.msgtype : '';
      if (!TYPES.has(msgtype)) fail(40008);
      const content = body[msgtype];
      if (!content || typeof content !== 'object') fail(47001);
      if (msgtype === 'text' && typeof (content as { content?: unknown }).content !== 'string') fail(47001);
      if (!customs.mayWrite(appid, touser)) fail(45015);
      customs.sent.push({ appid, touser, msgtype, body, time: state.now() });
      return { errcode: 0, errmsg: 'ok' };
    }),
  );
  return router;
}
