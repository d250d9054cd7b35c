/**
 * Type-level test of `express-wxauth/passport`, checked by `npm run typecheck` (never executed):
 * the strategy is a `passport.Strategy` for `passport.use()` (with @types/passport), verify's
 * arguments are typed by `passReqToCallback`, and the profile's fields have their types.
 */
import express, { type Request } from 'express';
import passport from 'passport';
import { WxAuthStrategy, redirectToNext, type WxAuthenticateOptions, type WxAuthProfile } from '../../lib/passport';

const mp = { appid: 'wx1234567890abcdef', secret: 's' };

passport.use(
  new WxAuthStrategy({ mp, qrcode: mp, baseUrl: 'https://shop.example.com', upgrade: (p) => p.scope === 'snsapi_base' }, (profile, done) => {
    const id: string = profile.id;
    const unionid: string | undefined = profile.unionid;
    const action: 'mp' | 'qrcode' = profile.action;
    const nickname: unknown = profile._json?.nickname;
    const photo: string | undefined = profile.photos?.[0]?.value;
    done(null, { id, unionid, action, nickname, photo });
  }),
);

passport.use(
  'wechat-req',
  new WxAuthStrategy({ mp, passReqToCallback: true }, (req: Request, profile: WxAuthProfile, done) => {
    done(null, { ip: req.ip, openid: profile.openid });
  }),
);

// @ts-expect-error with passReqToCallback, verify takes (req, profile, done)
new WxAuthStrategy({ mp, passReqToCallback: true }, (profile: WxAuthProfile, done: (e: unknown) => void) => done(profile));
// @ts-expect-error scope is snsapi_base or snsapi_userinfo
new WxAuthStrategy({ mp, scope: 'snsapi_login' }, (_p, done) => done(null, {}));
// @ts-expect-error an app needs its secret
new WxAuthStrategy({ mp: { appid: 'wx1234567890abcdef' } }, (_p, done) => done(null, {}));

const app = express();
const opts: WxAuthenticateOptions = { action: 'mp', scope: 'snsapi_userinfo', failureRedirect: '/login' };
app.get('/auth/wechat', passport.authenticate('wechat', opts), redirectToNext());
app.get('/auth/wechat/qr', passport.authenticate('wechat', { scope: 'snsapi_login', failureRedirect: '/login' }), redirectToNext());
