import { z } from 'zod';
import { fields } from '../validate';

export interface JssdkOptions {
  /** App whose ticket signs the page; default `mp.appid`. Its secret comes from `mp` (or `getAccessToken`). */
  appid?: string;
  /** JS APIs the pages use, e.g. `['updateAppMessageShareData', 'chooseWXPay']`. */
  jsApiList: string[];
  /** Open tags, e.g. `['wx-open-launch-app']`. */
  openTagList?: string[];
  /** `wx.config({ debug })` default; `?debug=true` on the request turns it on for one page. */
  debug?: boolean;
}

export const jssdkOptionsSchema = z.strictObject({
  appid: fields.appid.optional(),
  jsApiList: z.array(z.string().regex(/^[A-Za-z0-9_]+$/, 'must list JS API names such as "chooseImage"'), { error: 'must be an array of JS API names' }),
  openTagList: z.array(z.string().regex(/^[a-z0-9-]+$/, 'must list tag names such as "wx-open-launch-app"')).optional(),
  debug: z.boolean().optional(),
});
