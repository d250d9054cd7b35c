import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { WxContext } from '../context';
import { WxAuthError } from '../errors';
import type { ResolvedOptions } from '../options';
import { createDenyList } from './deny-list';
import type { JwtAlgorithm, JwtOptions } from './jwt-options';
import type { IdentityStorage, LoginAction, WxIdentity } from './types';

const DEFAULT_EXPIRES_IN = '2h';
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const ACTIONS: ReadonlySet<string> = new Set<LoginAction>(['mp', 'qrcode', 'mobile', 'miniprogram', 'follow']);
// A compact JWS is three base64url segments; anything else never reaches the verifier.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 8192;
const DENY_PREFIX = 'jwt:deny:';

/** The claims of a wxauth token (besides `sub`, `iat`, `exp`, `jti`, and `iss`/`aud` when configured). */
export interface WxTokenClaims {
  openid: string;
  unionid?: string;
  appid: string;
  action: LoginAction;
  /** The id of the user `resolveUser` returned (its `id`, or the value itself when a string/number). */
  uid?: string | number;
}

/** `expiresIn` (`'2h'`, `'30m'`, `3600`) in seconds. */
export function parseExpiresIn(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)\s*([smhdw]?)$/.exec(value.trim());
  if (!match) throw new WxAuthError('config_error', '"jwt.expiresIn" must look like "2h" or a number of seconds', { field: 'jwt.expiresIn' });
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

/** The id `resolveUser`'s result carries, if any: `user.id`, or the value itself when it is a string/number. */
export function userIdOf(user: unknown): string | number | undefined {
  if (typeof user === 'string' && user) return user;
  if (typeof user === 'number' && Number.isFinite(user)) return user;
  if (user && typeof user === 'object') {
    const id = (user as { id?: unknown }).id;
    if ((typeof id === 'string' && id) || (typeof id === 'number' && Number.isFinite(id))) return id;
  }
  return undefined;
}

/** The token of `Authorization: Bearer <token>`, if the header has that shape. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const token = match?.[1];
  return token && token.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(token) ? token : undefined;
}

/**
 * `storage: 'jwt'`: the login is a signed token the client keeps and sends back as
 * `Authorization: Bearer …` (native apps, mini programs and SPAs have no cookie jar).
 *
 * Verification pins the one configured algorithm (`algorithms: [alg]`), so an `alg: none` token
 * or an HS256 token "signed" with our RSA public key is refused; it also checks the expiry, and
 * `iss` / `aud` when configured. Logging out puts the token's `jti` on a deny-list in the store
 * until the token would have expired anyway, so a logged-out token stops working everywhere.
 */
export function createJwtIdentity(ctx: WxContext, options: ResolvedOptions): IdentityStorage {
  const jwt = options.jwt;
  if (!jwt) throw new WxAuthError('config_error', '"jwt" is required when storage is "jwt"', { field: 'jwt' });
  const alg: JwtAlgorithm = jwt.alg ?? (jwt.secret ? 'HS256' : 'RS256');
  const { signKey, verifyKey } = loadKeys(jwt, alg);
  const ttlSeconds = parseExpiresIn(jwt.expiresIn ?? DEFAULT_EXPIRES_IN);
  const denied = createDenyList(ctx.store, DENY_PREFIX);

  async function verify(token: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, verifyKey, {
        algorithms: [alg],
        typ: 'JWT',
        currentDate: new Date(ctx.now()),
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        ...(jwt!.issuer ? { issuer: jwt!.issuer } : {}),
        ...(jwt!.audience ? { audience: jwt!.audience } : {}),
      });
      return payload;
    } catch {
      return undefined; // forged, tampered, expired, foreign: all simply "not logged in"
    }
  }

  return {
    kind: 'jwt',

    async login(_req, _res, identity) {
      const uid = userIdOf(identity.user);
      const claims: WxTokenClaims = {
        openid: identity.openid,
        ...(identity.unionid ? { unionid: identity.unionid } : {}),
        appid: identity.appid,
        action: identity.action,
        ...(uid === undefined ? {} : { uid }),
      };
      const iat = Math.floor(ctx.now() / 1000);
      // Times come from the injected clock, not jose's relative helpers (which read Date.now()).
      let builder = new SignJWT({ ...claims })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setSubject(String(uid ?? identity.openid))
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(ctx.randomHex(16));
      if (jwt.issuer) builder = builder.setIssuer(jwt.issuer);
      if (jwt.audience) builder = builder.setAudience(jwt.audience);
      return { token: await builder.sign(signKey) };
    },

    async read(req) {
      const token = bearerToken(req);
      if (!token) return undefined;
      const payload = await verify(token);
      const identity = payload && identityFrom(payload);
      if (!identity) return undefined;
      if (await denied.has(payload.jti!)) return undefined;
      return identity;
    },

    async logout(req) {
      const token = bearerToken(req);
      const payload = token ? await verify(token) : undefined;
      if (!payload?.jti || typeof payload.exp !== 'number') return;
      await denied.add(payload.jti, payload.exp, ctx.now());
    },
  };
}

function identityFrom(payload: JWTPayload): WxIdentity | undefined {
  const { openid, unionid, appid, action, uid } = payload as JWTPayload & Partial<Record<keyof WxTokenClaims, unknown>>;
  if (typeof openid !== 'string' || !openid || typeof appid !== 'string' || !ACTIONS.has(action as string)) return undefined;
  return {
    openid,
    ...(typeof unionid === 'string' && unionid ? { unionid } : {}),
    appid,
    action: action as LoginAction,
    // The token carries the user's id only; load the rest from your database when you need it.
    ...(typeof uid === 'string' || typeof uid === 'number' ? { user: { id: uid } } : {}),
  };
}

function loadKeys(jwt: JwtOptions, alg: JwtAlgorithm): { signKey: KeyObject | Uint8Array; verifyKey: KeyObject | Uint8Array } {
  if (alg.startsWith('HS')) {
    if (!jwt.secret) throw new WxAuthError('config_error', `"jwt.secret" is required for alg "${alg}"`, { field: 'jwt.secret' });
    const secret = new TextEncoder().encode(jwt.secret);
    return { signKey: secret, verifyKey: secret };
  }
  if (!jwt.privateKey || !jwt.publicKey) {
    throw new WxAuthError('config_error', `"jwt.privateKey" and "jwt.publicKey" are required for alg "${alg}"`, { field: 'jwt.privateKey' });
  }
  const signKey = parseKey(() => createPrivateKey(jwt.privateKey!), 'jwt.privateKey', 'a PEM private key');
  const verifyKey = parseKey(() => createPublicKey(jwt.publicKey!), 'jwt.publicKey', 'a PEM public key');
  if (verifyKey.type !== 'public') {
    throw new WxAuthError('config_error', '"jwt.publicKey" must be a public key (verification must not need the private key)', { field: 'jwt.publicKey' });
  }
  checkKeyType(signKey, alg, 'jwt.privateKey');
  const derived = createPublicKey(signKey).export({ type: 'spki', format: 'der' });
  if (!derived.equals(verifyKey.export({ type: 'spki', format: 'der' }))) {
    throw new WxAuthError('config_error', '"jwt.publicKey" does not match "jwt.privateKey"', { field: 'jwt.publicKey' });
  }
  return { signKey, verifyKey };
}

function parseKey(load: () => KeyObject, field: string, what: string): KeyObject {
  try {
    return load();
  } catch {
    // Never include the key or the parser's message (it may quote the input).
    throw new WxAuthError('config_error', `"${field}" must be ${what}`, { field });
  }
}

function checkKeyType(key: KeyObject, alg: JwtAlgorithm, field: string): void {
  const type = key.asymmetricKeyType;
  const ok =
    (alg === 'RS256' && type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) ||
    (alg === 'ES256' && type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') ||
    (alg === 'EdDSA' && (type === 'ed25519' || type === 'ed448'));
  if (!ok) throw new WxAuthError('config_error', `"${field}" is not a key for alg "${alg}"${alg === 'RS256' ? ' (an RSA key of at least 2048 bits)' : ''}`, { field });
}
