import express, { type Router } from 'express';
import type { SimState } from '../state';
import { fail } from '../state';
import { jsonBody, jsonRoute, noteAppid, param, rawBody } from '../http';
import type { SimWxa } from './wxa-state';

/**
 * The api host's `POST /wxa/business/getuserphonenumber {code}`, as WeChat answers it: the
 * mini program's basic token (an official account's is 48001), a phone code of that mini program
 * used once within 5 minutes (else 40029), and the paid quota (1400001 once used up). The number
 * comes with `watermark.appid` and `countryCode` as a number, as WeChat sends them.
 */
export function wxaPhoneRoutes(state: SimState, wxa: SimWxa): Router {
  const router = express.Router();

  router.post(
    '/wxa/business/getuserphonenumber',
    rawBody,
    jsonRoute((req, res) => {
      const appid = state.basicTokenApp(param(req.query, 'access_token'));
      noteAppid(state, res, appid);
      if (state.app(appid)?.type !== 'miniprogram') fail(48001);
      const body = jsonBody(req);
      const record = wxa.redeemPhoneCode(appid, body.code);
      const pure = record.purePhoneNumber;
      return {
        errcode: 0,
        errmsg: 'ok',
        phone_info: {
          phoneNumber: record.countryCode === '86' ? pure : `+${record.countryCode}${pure}`,
          purePhoneNumber: pure,
          countryCode: Number(record.countryCode),
          watermark: { timestamp: Math.floor(state.now() / 1000), appid },
        },
      };
    }),
  );

  return router;
}
