/**
 * Run the simulator by hand:  npx express-wxauth-simulator [--port 3100] [--host 127.0.0.1]
 *   [--allow-mp-outside-wechat] [--allow-production]     (in a clone: tsx lib/simulator/cli.ts …)
 * Serves four demo apps (an official account, a website app, a native app and a mini program) and
 * a demo merchant (v2 key and v3 keys), and prints the endpoints. The merchant's v3 PEMs are written to a temporary folder
 * (removed on exit) so a server in any language can load them.
 * It binds 127.0.0.1 unless `--host` says otherwise, and refuses NODE_ENV=production unless
 * `--allow-production` is given: it logs anyone in and accepts any payment.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator } from './index';
import { DEMO_APPS, DEMO_MERCHANT, DEMO_MERCHANT_V3, demoOptions } from './demo';
import { isWxAuthError } from '../errors';
import type { SimApp } from './types';

const argv = process.argv.slice(2);

/** Apps whose codes come from /sim/codes (the OpenSDK and wx.login() stand-in). Secrets are public on purpose. */
const CLIENT_APPS: SimApp[] = [
  { appid: 'wxmo000000000001', secret: 'demo-mobile-secret', type: 'mobile', name: 'Demo native app' },
  { appid: 'wxmini0000000001', secret: 'demo-miniprogram-secret', type: 'miniprogram', name: 'Demo mini program' },
];

const USAGE = `Usage: express-wxauth-simulator [--port 3100] [--host 127.0.0.1] [--allow-mp-outside-wechat] [--allow-production]
  --port N                    port to listen on (default $PORT or 3100; 0 picks a free one)
  --host ADDRESS              interface to bind (default 127.0.0.1; 0.0.0.0 to reach it from a phone)
  --allow-mp-outside-wechat   accept official-account login (/connect/oauth2/authorize) from any browser,
                              not only WeChat's (User-Agent with MicroMessenger)
  --allow-production          run even with NODE_ENV=production
`;

function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : i !== -1 && argv[i + 1] ? argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(USAGE);
  const portText = arg('port', process.env.PORT ?? '3100');
  const port = Number(portText);
  const host = arg('host', '127.0.0.1');
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`--port must be a port number (got ${JSON.stringify(portText)})`);
  let sim;
  try {
    const demo = demoOptions();
    sim = createSimulator({
      ...demo,
      apps: [...demo.apps, ...CLIENT_APPS],
      host,
      allowProduction: argv.includes('--allow-production'),
      allowMpOutsideWechat: argv.includes('--allow-mp-outside-wechat'),
    });
  } catch (error) {
    // The production refusal names the option; on the command line the flag is what to use.
    if (isWxAuthError(error) && error.field === 'simulator.allowProduction') {
      throw new Error('the WeChat simulator refuses to start with NODE_ENV=production (it logs anyone in and accepts any payment); pass --allow-production to run it anyway', { cause: error });
    }
    throw error;
  }
  const { url, close } = await sim.listen(port).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new Error(`port ${port} is in use: pass --port (or set PORT) to another one`, { cause: error });
    if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') throw new Error(`--host ${host} is not an address of this machine`, { cause: error });
    throw error;
  });
  // The v3 PEMs as files: apiclient_key.pem (the merchant's) and pub_key.pem (WeChat Pay's, the simulator's fixture).
  const keysDir = mkdtempSync(join(tmpdir(), 'wxauth-simulator-'));
  const privateKeyPath = join(keysDir, 'apiclient_key.pem');
  const publicKeyPath = join(keysDir, 'pub_key.pem');
  writeFileSync(privateKeyPath, DEMO_MERCHANT_V3.privateKey, { mode: 0o600 });
  writeFileSync(publicKeyPath, sim.payV3.publicKey);
  const removeKeys = () => rmSync(keysDir, { recursive: true, force: true });
  process.once('exit', removeKeys);
  const lines = [
    `WeChat simulator listening on ${url}${host === '127.0.0.1' ? ' (this machine only; --host 0.0.0.0 to reach it from a phone)' : ''}`,
    '',
    `  endpoints: { open: '${url}', api: '${url}', pay: '${url}' }`,
    '',
    ...[...Object.values(DEMO_APPS), ...CLIENT_APPS].map((a) => `  ${a.type.padEnd(11)} appid ${a.appid}  secret ${a.secret}  (${a.name})`),
    `  pay v2  mchid ${DEMO_MERCHANT.mchid}  key ${DEMO_MERCHANT.key}`,
    `  pay v3  mchid ${DEMO_MERCHANT.mchid}  appid ${DEMO_MERCHANT.appid}  (public-key mode)`,
    `          apiV3Key ${DEMO_MERCHANT_V3.apiV3Key}  serialNo ${DEMO_MERCHANT_V3.serialNo}`,
    `          privateKey ${privateKeyPath}`,
    `          publicKeyId ${sim.payV3.publicKeyId}  publicKey ${publicKeyPath}`,
    `          (in Node: DEMO_MERCHANT_V3 and sim.payV3 from 'express-wxauth/simulator')`,
    '',
    `  ${url}/connect/oauth2/authorize   consent page (mp; ${argv.includes('--allow-mp-outside-wechat') ? 'any browser' : "WeChat's browser only: MicroMessenger User-Agent"})`,
    `  ${url}/connect/qrconnect          QR page (website app)`,
    `  ${url}/sns/*  ${url}/cgi-bin/*    api host`,
    `  ${url}/v3/pay/*  ${url}/pay/*     pay host (v3, v2)`,
    `  ${url}/sim/weixin-jsbridge.js      WeixinJSBridge stand-in for JSAPI pay outside WeChat`,
    `  ${url}/sim/codes                   login codes for the native app and the mini program`,
    '',
    '  Choose the user with ?sim_user=bob or the wxsim_user cookie (default alice). Ctrl-C stops.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
