import { z } from 'zod';

/** How WeChat sends messages: the account's 消息加解密方式 setting, mirrored here. */
export type MessageMode = 'plain' | 'compat' | 'safe';

/** `mp.messages`: the official account's message server (服务器配置). */
export interface MessageServerOptions {
  /** The Token set in the account's server configuration: 3 to 32 letters or digits. */
  token: string;
  /** The EncodingAESKey (43 letters or digits); required in `compat` and `safe` mode. */
  encodingAESKey?: string;
  /**
   * `plain` (明文), `compat` (兼容: plaintext or encrypted, answered as it came) or `safe` (安全:
   * encrypted only; an unencrypted message is refused). Taken from here only, never from a request.
   */
  mode: MessageMode;
  /** Where `GET|POST` are mounted, under the router. Default `/wechat/message`. */
  path?: string;
  /**
   * A handler still running after this many ms gets no passive reply: WeChat is answered
   * `success` in time (it waits 5 s, then retries) and the handler finishes on its own. Default 4500.
   */
  replyTimeoutMs?: number;
  /** Bodies larger than this many bytes are refused (413). Default 65536. */
  maxBytes?: number;
}

export const DEFAULT_MESSAGE_PATH = '/wechat/message';
export const DEFAULT_REPLY_TIMEOUT_MS = 4500;

export const messageServerOptionsSchema = z
  .strictObject({
    token: z.string({ error: 'must be a string (the Token of the server configuration)' }).regex(/^[A-Za-z0-9]{3,32}$/, 'must be 3 to 32 letters or digits, as WeChat requires'),
    encodingAESKey: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9]{43}$/, 'must be 43 letters or digits, as WeChat generates it').optional(),
    mode: z.enum(['plain', 'compat', 'safe'], { error: 'must be one of "plain", "compat", "safe"' }),
    path: z
      .string({ error: 'must be a string' })
      .regex(/^(?:\/(?!\.\.?(?:\/|$))(?:[A-Za-z0-9._~!$&'+,;=@-]|%[0-9A-Fa-f]{2})+)+$/, "must be a path like '/wechat/message' (leading slash, no trailing slash)")
      .optional(),
    replyTimeoutMs: z.number({ error: 'must be a number' }).int('must be an integer').min(100, 'must be 100 or more').max(4900, 'must be at most 4900 (WeChat waits 5 s)').optional(),
    maxBytes: z.number({ error: 'must be a number' }).int('must be an integer').min(1024, 'must be 1024 or more').max(1024 * 1024, 'must be at most 1048576').optional(),
  })
  .superRefine((o, ctx) => {
    if (o.mode !== 'plain' && !o.encodingAESKey) ctx.addIssue({ code: 'custom', path: ['encodingAESKey'], message: `is required in "${o.mode}" mode` });
  });
