/** Stop the redis-server that global-setup started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  const pid = (globalThis as { __wxauthRedisPid?: number }).__wxauthRedisPid;
  if (pid) {
    try {
      process.kill(pid);
    } catch {
      // already gone
    }
  }
}
