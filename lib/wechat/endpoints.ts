/** WeChat's hosts. Configurable so tests, the simulator and proxies can stand in. */
export interface Endpoints {
  /** Browser redirects (authorize, qrconnect). */
  open: string;
  /** JSON APIs (`/sns/*`, `/cgi-bin/*`). */
  api: string;
  /** WeChat Pay. */
  pay: string;
  /**
   * The official account's browser-facing host: parametric QR images (`/cgi-bin/showqrcode`).
   * Default `https://mp.weixin.qq.com`, or the `open` host when that one is configured (both are
   * pages a browser loads, so a simulator or proxy that stands in for one stands in for both).
   */
  mp: string;
}

export const DEFAULT_ENDPOINTS: Endpoints = {
  open: 'https://open.weixin.qq.com',
  api: 'https://api.weixin.qq.com',
  pay: 'https://api.mch.weixin.qq.com',
  mp: 'https://mp.weixin.qq.com',
};

export function resolveEndpoints(partial: Partial<Endpoints> = {}): Endpoints {
  const strip = stripTrailingSlashes;
  return {
    open: strip(partial.open ?? DEFAULT_ENDPOINTS.open),
    api: strip(partial.api ?? DEFAULT_ENDPOINTS.api),
    pay: strip(partial.pay ?? DEFAULT_ENDPOINTS.pay),
    mp: strip(partial.mp ?? partial.open ?? DEFAULT_ENDPOINTS.mp),
  };
}

/**
 * `u` without its trailing slashes. A loop rather than `u.replace(/\/+$/, '')`, which backtracks
 * quadratically on a long run of slashes followed by anything else (100 KB of them: ~30 s).
 */
export function stripTrailingSlashes(u: string): string {
  let end = u.length;
  while (end > 0 && u.charCodeAt(end - 1) === 47 /* / */) end--;
  return end === u.length ? u : u.slice(0, end);
}
