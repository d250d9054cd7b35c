import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The tests of what ships (test/package/) load dist/. Build it once per run, before any test
 * file starts — `--if-changed` makes that free when dist/ already matches the sources, and doing it
 * here rather than in each file means two files never build into dist/ at the same time. A build
 * failure does not stop the other suites: the package tests report it through `assertBuilt()`.
 */
const root = path.resolve(__dirname, '../..');
const ERROR_VARIABLE = 'WXAUTH_TEST_BUILD_ERROR';

export function buildIfChanged(): void {
  try {
    execFileSync(process.execPath, ['scripts/build.mjs', '--if-changed'], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
    delete process.env[ERROR_VARIABLE];
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    process.env[ERROR_VARIABLE] = `node scripts/build.mjs failed:\n${stdout ?? ''}${stderr ?? ''}`;
  }
}

/** Throws the build's output when the global setup could not build dist/. */
export function assertBuilt(): void {
  const error = process.env[ERROR_VARIABLE];
  if (error) throw new Error(error);
}
