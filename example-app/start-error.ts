/**
 * A start-up failure the person running the example can fix: the message is one line that
 * names the setting (`PORT`, `REDIS_URL`, `PAY_API`, …) and what to do. `npm start` prints only that line.
 */
export class StartError extends Error {
  override readonly name = 'StartError';
}
