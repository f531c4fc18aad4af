// Large verify sweeps (issue #18): the built CLI's `verify --tests N` as a child process under
// /usr/bin/time -v (wall time and peak RSS of the whole process), and in the same run the
// per-case numpy loop AdderBoard would run: the design exported by `handwire export` (readable
// numpy, add(model, a, b) per case) timed on the first --numpy-cases cases of the same protocol,
// its rate extrapolated. Prints add/s for both and the ratio.
//
//   node scripts/build.mjs --js-only && nice -n 10 npx tsx bench/verify-sweep.ts [--large] [--tests N] [--numpy-cases K]
//
// --large adds the 10,000,000-case run. Needs python3 with numpy.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const DESIGN = join(ROOT, 'examples', 'adder', 'adder-10p-rope19.hw');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const sizes = [flag('--tests', 1_000_000), ...(args.includes('--large') ? [10_000_000] : [])];
const numpyCases = flag('--numpy-cases', 2000);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

console.log(`verify-sweep ${new Date().toISOString()}, load average ${load()}, design ${DESIGN}`);
const tmp = mkdtempSync(join(tmpdir(), 'handwire-sweep-'));
try {
  // The numpy reference loop: export, then time add(model, a, b) over the protocol's first cases.
  const py = join(tmp, 'adder_np.py');
  const exported = spawnSync('node', [join(ROOT, 'bin', 'handwire.js'), 'export', DESIGN, '-o', py], { encoding: 'utf8' });
  if (exported.status !== 0) throw new Error(`export failed: ${exported.stderr}`);
  const driver = join(tmp, 'loop.py');
  writeFileSync(
    driver,
    [
      'import random, sys, time',
      `sys.path.insert(0, ${JSON.stringify(tmp)})`,
      'import adder_np',
      'n = int(sys.argv[1])',
      'edge = [(0,0),(0,1),(9999999999,0),(9999999999,1),(9999999999,9999999999),(5000000000,5000000000),(1111111111,8888888889),(1234567890,9876543210),(9999999999,9999999999),(1,9999999999)]',
      'rng = random.Random(2025)',
      'pairs = edge + [(rng.randint(0, 9999999999), rng.randint(0, 9999999999)) for _ in range(n)]',
      'pairs = pairs[:n]',
      'model, _ = adder_np.build_model()',
      't = time.perf_counter()',
      'wrong = sum(1 for a, b in pairs if adder_np.add(model, a, b) != a + b)',
      's = time.perf_counter() - t',
      'print(n, s, wrong)',
    ].join('\n'),
  );
  const loop = spawnSync('python3', [driver, String(numpyCases)], { encoding: 'utf8' });
  if (loop.status !== 0) throw new Error(`numpy loop failed: ${loop.stderr}`);
  const [cases, seconds, wrong] = loop.stdout.trim().split(/\s+/).map(Number) as [number, number, number];
  const numpyRate = cases / seconds;
  console.log(`numpy loop: ${cases} cases in ${seconds.toFixed(2)} s = ${numpyRate.toFixed(1)} add/s, ${wrong} wrong (load ${load()})`);

  for (const n of sizes) {
    const run = spawnSync('/usr/bin/time', ['-v', 'node', join(ROOT, 'bin', 'handwire.js'), 'verify', DESIGN, '--tests', String(n), '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1]);
    const wallText = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(run.stderr)?.[1] ?? '';
    const wall = wallText.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
    const report = JSON.parse(run.stdout) as { total: number; passed: number; cases_sha256: string; seconds: number };
    const rate = report.total / wall;
    console.log(
      `handwire verify --tests ${n.toLocaleString('en-US')}: exit ${run.status}, ${report.passed}/${report.total} passed, ` +
        `whole process ${wall.toFixed(1)} s = ${Math.round(rate).toLocaleString('en-US')} add/s (decode loop ${report.seconds.toFixed(1)} s), ` +
        `peak RSS ${(rss / 1024).toFixed(0)} MiB, cases_sha256 ${report.cases_sha256.slice(0, 16)}…, ` +
        `${(rate / numpyRate).toFixed(0)}× the numpy loop (load ${load()})`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
