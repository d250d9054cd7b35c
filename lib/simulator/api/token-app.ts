import type { Request, Response } from 'express';
import { noteAppid, param } from '../http';
import type { SimAppType } from '../types';
import type { SimState } from '../state';
import { fail } from '../state';

/**
 * The app whose basic access token the request carries (noted in the log), when it is of `type`:
 * another kind of app's token is not authorized for the API, and WeChat answers 48001.
 */
export function appOfToken(state: SimState, req: Request, res: Response, type: SimAppType): string {
  const appid = state.basicTokenApp(param(req.query, 'access_token'));
  noteAppid(state, res, appid);
  if (state.app(appid)?.type !== type) fail(48001);
  return appid;
}

/** `appOfToken` for the mini-program APIs (codes, links, shipping). */
export function miniprogramOfToken(state: SimState, req: Request, res: Response): string {
  return appOfToken(state, req, res, 'miniprogram');
}
