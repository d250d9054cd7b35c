/**
 * Run the simulator by hand:  tsx lib/simulator/cli.ts --port 3100 [--host 127.0.0.1]
 * Serves two demo apps (an official account and a website app) and prints the endpoints.
 */
import { createSimulator } from './index';
import { DEMO_APPS, DEMO_MERCHANT, demoOptions } from './demo';

function arg(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : i !== -1 && argv[i + 1] ? argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const port = Number(arg('port', process.env.PORT ?? '3100'));
  const host = arg('host', '127.0.0.1');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (got ${arg('port', '')})`);
  const sim = createSimulator(demoOptions());
  const { url, close } = await sim.listen(port, host);
  const lines = [
    `WeChat simulator listening on ${url}`,
    '',
    `  endpoints: { open: '${url}', api: '${url}', pay: '${url}' }`,
    '',
    ...Object.values(DEMO_APPS).map((a) => `  ${a.type.padEnd(7)} appid ${a.appid}  secret ${a.secret}  (${a.name})`),
    `  pay     mchid ${DEMO_MERCHANT.mchid}  key ${DEMO_MERCHANT.key}`,
    '',
    `  ${url}/connect/oauth2/authorize   consent page (mp)`,
    `  ${url}/connect/qrconnect          QR page (website app)`,
    `  ${url}/sns/*  ${url}/cgi-bin/*    api host`,
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
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
