/**
 * `npm start`: the example app on PORT (default 3000). Offline against the WeChat simulator
 * unless WX_MP_APPID / WX_MP_SECRET are set; Redis sessions when REDIS_URL is set; the shop pays
 * with WeChat Pay v3 unless PAY_API=v2.
 *
 * A start-up problem (busy PORT, unreachable REDIS_URL, …) prints one line saying what to change
 * and exits with status 1 — no stack trace, no hanging.
 */
import { createExampleApp, redactUrl, StartError, type ExampleApp } from './app';
import { describeAccounts } from './features/accounts';
import { payApiOf } from './features/shop';

function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new StartError(`PORT must be a port number such as 3000 (got ${JSON.stringify(value)})`);
  return port;
}

async function main(): Promise<void> {
  const port = portFrom(process.env.PORT);
  const example = await createExampleApp(process.env, { log: (line) => console.log(line) });
  const { url: bound } = await example.listen(port).catch(async (error: unknown) => {
    await example.close();
    throw error;
  });
  // Before the banner: whoever reads it may stop us at once, and that must still be a clean exit.
  const stop = () => void example.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const url = process.env.BASE_URL ?? bound.replace('//127.0.0.1:', '//localhost:');
  console.log(`express-wxauth example: open ${url}`);
  if (example.context.simulatorUrl) console.log(`  WeChat simulator at ${example.context.simulatorUrl} (set WX_MP_APPID and WX_MP_SECRET to use the real WeChat)`);
  console.log(`  sessions: ${process.env.REDIS_URL ? `Redis at ${redactUrl(process.env.REDIS_URL)}` : 'in memory (set REDIS_URL for Redis)'}`);
  console.log(`  accounts: ${describeAccounts(process.env)}`);
  console.log(`  pay: ${payLine(example)}`);
}

/** Which WeChat Pay API the shop uses, and how to pick the other. */
function payLine(example: ExampleApp): string {
  const api = payApiOf(example.context.env);
  const other = api === 'v3' ? 'PAY_API=v2 for APIv2' : 'unset PAY_API for v3';
  let configured = true;
  try {
    void (api === 'v3' ? example.router.pay.v3 : example.router.pay);
  } catch {
    configured = false;
  }
  const where = example.context.simulatorUrl ? "the simulator's merchant" : configured ? 'WX_PAY_* from the environment' : 'not configured: set WX_PAY_* (see /shop)';
  const how = api === 'v3' ? 'JSAPI in WeChat, a Native QR code on a desktop, H5 in other mobile browsers' : 'a Native QR code';
  return `WeChat Pay ${api}${api === 'v3' ? ' (public-key mode)' : ''}, ${where}; ${how} (${other})`;
}

main().catch((error: unknown) => {
  // StartError is written for the person at the terminal; anything else is a bug: its message
  // still fits on one line, and DEBUG=1 shows the stack.
  const line = error instanceof Error ? (error instanceof StartError ? error.message : `cannot start: ${error.message}`) : `cannot start: ${String(error)}`;
  console.error(line.replace(/\s*\n\s*/g, ' '));
  if (process.env.DEBUG && error instanceof Error && !(error instanceof StartError)) console.error(error.stack);
  process.exit(1);
});
