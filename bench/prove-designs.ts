// npm run bench:prove (issue #21, not CI-timed): `handwire prove --dtype float64` of every shipped
// design (examples/**/*.hw) as a fresh process of the built CLI, with its time limit, the wall time and the peak
// resident memory (/usr/bin/time's %M), and the status it reported. Target: wall time within a few
// seconds of the limit, peak under 1 GiB.
//   npx tsx bench/prove-designs.ts [--time-limit S] [--dtypes float64,float32] [--markdown] [design-name-part ...]
// --markdown also writes the table (with its date, load and command) into docs/prove.md between
// the markers `<!-- prove-table:start -->` and `<!-- prove-table:end -->` (atomically).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedDesigns } from '../scripts/shipped-designs.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIME = '/usr/bin/time';
const args = process.argv.slice(2);
const at = args.indexOf('--time-limit');
const limit = at >= 0 ? Number(args.splice(at, 2)[1]) : 60;
const dt = args.indexOf('--dtypes');
const dtypes = dt >= 0 ? args.splice(dt, 2)[1]!.split(',') : ['float64'];
const mk = args.indexOf('--markdown');
const markdown = mk >= 0;
if (markdown) args.splice(mk, 1);
const command = `npx tsx bench/prove-designs.ts --time-limit ${limit} --dtypes ${dtypes.join(',')}${markdown ? ' --markdown' : ''}${args.length ? ` ${args.join(' ')}` : ''}`;
const lines: string[] = [];
const emit = (line: string) => {
  console.log(line);
  lines.push(line);
};
// Every shipped design (scripts/shipped-designs.ts): the affine prover answers the digit tasks,
// enumeration the finite token-string tasks, and the rest must say UNKNOWN within the limits too.
const designs = shippedDesigns().filter((f) => args.length === 0 || args.some((a) => basename(f).includes(a)));

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
emit(`\`${command}\` (after \`node scripts/build.mjs --js-only\`): ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; ${new Date().toISOString()}; load ${load()}`);
emit('');
emit('| design | dtype | status | wall s | peak RSS MB | stopped by | regions certified | why, if unknown |');
emit('|---|---|---|---:|---:|---|---:|---|');
for (const d of designs) {
  for (const dtype of dtypes) {
    const withTime = existsSync(TIME);
    const cli = [process.execPath, 'bin/handwire.js', 'prove', join(ROOT, d), '--dtype', dtype, '--time-limit', String(limit), '--json'];
    const argv = withTime ? [TIME, '-f', 'peak-kb %M', ...cli] : cli;
    const start = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const kb = /peak-kb (\d+)/.exec(r.stderr ?? '');
    let json: { status?: string; stopped?: { limit: string } | null; leaves?: number; unknown?: { reason?: string } | null; reason?: string; notes?: string[] } = {};
    try {
      json = JSON.parse(r.stdout);
    } catch {
      json = { status: `exit ${r.status}: ${(r.stderr ?? '').split('\n')[0]}` };
    }
    const why = json.status === 'unknown' ? (json.unknown?.reason ?? json.reason ?? json.notes?.[0] ?? '').replaceAll('|', '\\|') : '';
    emit(`| ${basename(d, '.hw')} | ${dtype} | ${json.status} | ${wall.toFixed(1)} | ${kb ? (Number(kb[1]) / 1024).toFixed(0) : 'n/a'} | ${json.stopped?.limit ?? '—'} | ${json.leaves ?? ''} | ${why} |`);
  }
}
emit('');
emit(`load after: ${load()}`);
if (markdown) {
  const doc = join(ROOT, 'docs/prove.md');
  const text = readFileSync(doc, 'utf8');
  const START = '<!-- prove-table:start -->';
  const END = '<!-- prove-table:end -->';
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/prove.md has no ${START} … ${END} markers`);
  const next = `${text.slice(0, a + START.length)}\n${lines.join('\n')}\n${text.slice(b)}`;
  writeFileSync(`${doc}.tmp`, next);
  renameSync(`${doc}.tmp`, doc);
}
