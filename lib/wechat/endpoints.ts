/** WeChat's hosts. Configurable so tests, the simulator and proxies can stand in. */
export interface Endpoints {
  /** Browser redirects (authorize, qrconnect). */
  open: string;
  /** JSON APIs (`/sns/*`, `/cgi-bin/*`). */
  api: string;
  /** WeChat Pay. */
  pay: string;
}

export const DEFAULT_ENDPOINTS: Endpoints = {
  open: 'https://open.weixin.qq.com',
  api: 'https://api.weixin.qq.com',
  pay: 'https://api.mch.weixin.qq.com',
};

export function resolveEndpoints(partial: Partial<Endpoints> = {}): Endpoints {
  const strip = (u: string) => u.replace(/\/+$/, '');
  return {
    open: strip(partial.open ?? DEFAULT_ENDPOINTS.open),
    api: strip(partial.api ?? DEFAULT_ENDPOINTS.api),
    pay: strip(partial.pay ?? DEFAULT_ENDPOINTS.pay),
  };
}
