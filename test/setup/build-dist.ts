// Vitest global setup: the CLI tests run bin/handwire.js, which runs the built dist/, so build it
// from the current sources first (JavaScript only: ~1 s). A test run can never exercise a stale build.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url)), '--js-only'], { stdio: 'inherit' });
}
