// npm run bench:prove (issue #21, not CI-timed): `handwire prove --dtype float64` of every shipped
// design (examples/**/*.hw) as a fresh process of the built CLI, with its time limit, the wall time and the peak
// resident memory (/usr/bin/time's %M), and the status it reported. Target: wall time within a few
// seconds of the limit, peak under 1 GiB.
//   npx tsx bench/prove-designs.ts [--time-limit S] [design-name-part ...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedDesigns } from '../scripts/shipped-designs.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIME = '/usr/bin/time';
const args = process.argv.slice(2);
const at = args.indexOf('--time-limit');
const limit = at >= 0 ? Number(args.splice(at, 2)[1]) : 60;
// Every shipped design (scripts/shipped-designs.ts): the affine prover answers the digit tasks,
// enumeration the finite token-string tasks, and the rest must say UNKNOWN within the limits too.
const designs = shippedDesigns().filter((f) => args.length === 0 || args.some((a) => basename(f).includes(a)));

console.log(`prove --dtype float64 --time-limit ${limit}; ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; ${new Date().toISOString()}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| design | status | wall s | peak RSS MB | stopped by | regions certified |');
console.log('|---|---|---:|---:|---|---:|');
for (const d of designs) {
  const withTime = existsSync(TIME);
  const cli = [process.execPath, 'bin/handwire.js', 'prove', join(ROOT, d), '--dtype', 'float64', '--time-limit', String(limit), '--json'];
  const argv = withTime ? [TIME, '-f', 'peak-kb %M', ...cli] : cli;
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const kb = /peak-kb (\d+)/.exec(r.stderr ?? '');
  let json: { status?: string; stopped?: { limit: string } | null; leaves?: number } = {};
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = { status: `exit ${r.status}: ${(r.stderr ?? '').split('\n')[0]}` };
  }
  console.log(`| ${basename(d, '.hw')} | ${json.status} | ${wall.toFixed(1)} | ${kb ? (Number(kb[1]) / 1024).toFixed(0) : 'n/a'} | ${json.stopped?.limit ?? '—'} | ${json.leaves ?? ''} |`);
}
console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
