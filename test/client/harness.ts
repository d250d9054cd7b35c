import { defaultRandomHex, type WxContext } from '../../lib/context';
import type { Store } from '../../lib/store/types';
import { createSimulator, type SimServer, type Simulator } from '../../lib/simulator';
import { WechatClient } from '../../lib/wechat/client';
import { captureLogger, type CapturedLogger } from '../helpers/logs';

export const MP = { appid: 'wxmp000000000001', secret: 'mp-secret-never-logged' };
export const MINI = { appid: 'wxmini00000000001', secret: 'mini-secret-never-logged' };

export interface SimHarness {
  sim: Simulator;
  server: SimServer;
  /** The simulator's clock offset in ms (move it to age tokens on WeChat's side). */
  clock: { offset: number };
  close(): Promise<void>;
}

/** A simulator over real HTTP whose clock can be moved forward. */
export async function startSimulator(): Promise<SimHarness> {
  const clock = { offset: 0 };
  const sim = createSimulator({
    apps: [
      { ...MP, type: 'mp' },
      { ...MINI, type: 'miniprogram' },
    ],
    now: () => Date.now() + clock.offset,
  });
  const server = await sim.listen();
  return { sim, server, clock, close: () => server.close() };
}

/** A `WxContext` on the simulator, the given store and clock; fast -1 backoff. */
export function contextFor(url: string, store: Store, now: () => number = Date.now, logger: CapturedLogger = captureLogger()): WxContext {
  return {
    http: new WechatClient({ endpoints: { open: url, api: url, pay: url }, backoffMs: 5 }),
    store,
    now,
    randomHex: defaultRandomHex,
    logger,
  };
}
