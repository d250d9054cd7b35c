import type { Request, Response } from 'express';
import { noteAppid, param } from '../http';
import type { SimState } from '../state';
import { fail } from '../state';

/**
 * The mini program whose basic access token the request carries (noted in the log). Another kind of
 * app's token is not authorized for a mini-program API: WeChat answers 48001.
 */
export function miniprogramOfToken(state: SimState, req: Request, res: Response): string {
  const appid = state.basicTokenApp(param(req.query, 'access_token'));
  noteAppid(state, res, appid);
  if (state.app(appid)?.type !== 'miniprogram') fail(48001);
  return appid;
}
