import type { SimulatorOptions } from './types';

/**
 * The demo apps the CLI (and an example app running offline) use. The secrets are public on
 * purpose: they only open this simulator.
 */
export const DEMO_APPS = {
  mp: { appid: 'wxmp000000000001', secret: 'demo-mp-secret', type: 'mp', name: 'Demo official account' },
  qrcode: { appid: 'wxqr000000000001', secret: 'demo-qrcode-secret', type: 'qrcode', name: 'Demo website' },
} as const;

export const DEMO_MERCHANT = { mchid: '1900000109', key: 'demo0000000000000000000000000key', appid: DEMO_APPS.mp.appid };

export function demoOptions(): SimulatorOptions {
  return { apps: [{ ...DEMO_APPS.mp }, { ...DEMO_APPS.qrcode }], merchants: [{ ...DEMO_MERCHANT }] };
}
