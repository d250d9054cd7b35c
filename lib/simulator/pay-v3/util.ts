import { randomInt } from 'node:crypto';
import { paramError } from './api';

/** `n` random decimal digits (transaction ids, refund ids, transfer bill numbers). */
export function digits(n: number): string {
  let out = '';
  while (out.length < n) out += String(randomInt(0, 1e9)).padStart(9, '0');
  return out.slice(0, n);
}

/** Beijing time as v3 writes it: RFC 3339 with `+08:00` (`2024-01-02T10:11:12+08:00`). */
export function rfc3339(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

/** `yyyy-MM-dd` of a moment in Beijing. */
export function beijingDate(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

/** `yyyyMMddHHmmss` in Beijing (inside prepay_ids, as WeChat's carry a timestamp). */
export function compactTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14);
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?([+-]\d\d:\d\d|Z)$/;

/** Milliseconds of an RFC 3339 time, or undefined. */
export function parseRfc3339(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

type Obj = Record<string, unknown>;

/** Body field readers that refuse like WeChat: PARAM_ERROR naming the field, never echoing its value. */
export function str(body: Obj, field: string, opts: { required?: boolean; max?: number; pattern?: RegExp } = {}): string | undefined {
  const value = field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), body);
  const path = field.replace(/\./g, '/');
  if (value === undefined) {
    if (opts.required) throw paramError(path, '必填性规则校验失败，此字段为必填项');
    return undefined;
  }
  if (typeof value !== 'string') throw paramError(path, '类型校验失败，应为字符串');
  if (opts.required && !value) throw paramError(path, '必填性规则校验失败，此字段为必填项');
  if (opts.max !== undefined && [...value].length > opts.max) throw paramError(path, `长度校验失败，最大长度为${opts.max}`);
  if (opts.pattern && !opts.pattern.test(value)) throw paramError(path, '格式校验失败');
  return value;
}

/** A positive integer amount in fen (`amount.total`, `transfer_amount`, …). */
export function fen(body: Obj, field: string, required = true): number | undefined {
  const value = field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), body);
  const path = field.replace(/\./g, '/');
  if (value === undefined) {
    if (required) throw paramError(path, '必填性规则校验失败，此字段为必填项');
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw paramError(path, '类型校验失败，应为整数（单位：分）');
  if (value < 1) throw paramError(path, '数值校验失败，应大于0');
  return value;
}

/** An object field (`amount`, `payer`, `scene_info`). */
export function obj(body: Obj, field: string, required = true): Obj | undefined {
  const value = body[field];
  if (value === undefined) {
    if (required) throw paramError(field, '必填性规则校验失败，此字段为必填项');
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw paramError(field, '类型校验失败，应为对象');
  return value as Obj;
}

/** WeChat forbids a query string in notify URLs (and the simulator needs http(s) to reach them). */
export const NOTIFY_URL = /^https?:\/\/[^\s?#]+$/;
