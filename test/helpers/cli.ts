// Running the real `handwire` bin in a child process, for the tests of its commands.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/handwire.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` in `cwd`; never rejects on a non-zero exit, so a test can look at a
 * failure's output. NO_COLOR/FORCE_COLOR are pinned so the output is plain text whatever the test
 * runner's terminal. */
export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((done, fail) => {
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env };
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
