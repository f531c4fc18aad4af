// npm run bench (last part): `handwire check` of generated 10 MB sources (issue #21), as a fresh
// process of the built CLI, with wall time and peak memory (maximum resident set size) from
// /usr/bin/time. Targets: under 10 s and 500 MB. Sources: bench/large-source.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSource } from '../src/check/check-source.ts';
import { manyComments, manyLets } from './large-source.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIME = '/usr/bin/time';
const BYTES = 10_000_000;
const TARGET = { seconds: 10, megabytes: 500 };

const dir = mkdtempSync(join(tmpdir(), 'handwire-check-large-'));
try {
  const sources = [
    { label: '10p design + `let` lines, 10 MB', file: join(dir, 'lets.hw'), text: manyLets(BYTES) },
    { label: '10p design + comment lines, 10 MB', file: join(dir, 'comments.hw'), text: manyComments(BYTES) },
  ];
  console.log(`check of large sources, one run each; ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (!existsSync(TIME)) console.log(`(${TIME} is missing: peak memory is not measured)`);
  console.log('| source | lines | wall s | CPU s | peak RSS MB | target |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const s of sources) {
    writeFileSync(s.file, s.text);
    const lines = s.text.split('\n').length;
    const { seconds, cpuSeconds, megabytes } = measure(['bin/handwire.js', 'check', s.file]);
    const met = seconds < TARGET.seconds && (megabytes === undefined || megabytes < TARGET.megabytes);
    const mb = megabytes === undefined ? 'n/a' : megabytes.toFixed(0);
    const cpu = cpuSeconds === undefined ? 'n/a' : cpuSeconds.toFixed(2);
    console.log(`| ${s.label} | ${lines} | ${seconds.toFixed(2)} | ${cpu} | ${mb} | < ${TARGET.seconds} s, < ${TARGET.megabytes} MB: ${met ? 'met' : 'NOT met'} |`);
  }
  console.log(`doubling: check of a 300 kB source over one of 150 kB (fastest of 3, in-process) = ${doublingRatio().toFixed(2)} (linear ≈ 2, quadratic ≈ 4)`);
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** How check time grows: the ratio of two sizes measured in the same run, so load cancels out.
 * This was a test once; a timed assertion fails on a busy machine, so it is a measurement here. */
function doublingRatio(): number {
  const small = manyLets(150_000);
  const large = manyLets(300_000);
  fastestSeconds(small, 1); // warm-up: the first run loads and compiles the checker
  return fastestSeconds(large) / fastestSeconds(small);
}

function fastestSeconds(source: string, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = checkSource(source, { audit: false });
    if (r.diagnostics.length > 0) throw new Error(`generated source has diagnostics: ${r.diagnostics[0]!.message}`);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

/** Wall time, and where /usr/bin/time can report them, CPU time (user + system: on a shared
 * machine the wall time also counts waiting for a core) and peak RSS (GNU time's %M, in kB). */
function measure(args: string[]): { seconds: number; cpuSeconds?: number; megabytes?: number } {
  const withTime = existsSync(TIME);
  const argv = withTime ? [TIME, '-f', 'cpu-s %U %S peak-kb %M', process.execPath, ...args] : [process.execPath, ...args];
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const kb = /peak-kb (\d+)/.exec(r.stderr ?? '');
  const cpu = /cpu-s ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { seconds, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined, megabytes: kb ? Number(kb[1]) / 1024 : undefined };
}
