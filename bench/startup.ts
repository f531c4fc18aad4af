// npm run bench (first part) [-- --runs 10]: whole-process start-up of the built CLI, the time a
// user waits. Each command runs --runs times (default 10) as a fresh `node bin/handwire.js …`
// process; the median and the fastest wall time are printed, with `node -e 0` measured in the same
// run as the floor no Node.js program goes below. Targets (issue #15): --help and check under
// 300 ms, verify of the 10p design (the whole AdderBoard protocol) under 1.5 s.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 10;

const COMMANDS: Array<{ label: string; args: string[]; target?: number }> = [
  { label: 'node -e 0 (floor)', args: ['-e', '0'] },
  { label: 'handwire --help', args: ['bin/handwire.js', '--help'], target: 0.3 },
  { label: 'handwire check 10p', args: ['bin/handwire.js', 'check', 'examples/adder/adder-10p-rope19.hw'], target: 0.3 },
  { label: 'handwire params 10p', args: ['bin/handwire.js', 'params', 'examples/adder/adder-10p-rope19.hw'] },
  { label: 'handwire verify 10p (10,010 cases)', args: ['bin/handwire.js', 'verify', 'examples/adder/adder-10p-rope19.hw'], target: 1.5 },
];

function wallSeconds(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return seconds;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(`start-up, whole process, ${RUNS} runs each; ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| command | median s | fastest s | target |');
console.log('|---|---:|---:|---|');
for (const c of COMMANDS) {
  wallSeconds(c.args); // warm the file cache
  const times = Array.from({ length: RUNS }, () => wallSeconds(c.args));
  const m = median(times);
  const verdict = c.target === undefined ? '' : `< ${c.target} s: ${m < c.target ? 'met' : 'NOT met'}`;
  console.log(`| ${c.label} | ${m.toFixed(3)} | ${Math.min(...times).toFixed(3)} | ${verdict} |`);
}
console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
