// npm run bench (part): the hand-wired maze solver (examples/maze/maze.hw) on 1,000 generated hard
// mazes (scripts/maze.ts, seed 1: 30×30, unique shortest path of at least 110 steps), in float32 and
// float64, through verifyModel (the library entry of `handwire verify`), one run each. The right
// labels are the generator's shortest path (test/maze.test.ts checks them against its own search).
// Each row gives the mazes, the exact ones, the seconds and mazes per second; the loop halts per
// cell, and a batch of mazes runs until its slowest maze has halted. Seconds count the runs only
// (verifyModel's own timer), not the compile of each slice.
//   npx tsx bench/maze.ts [--count N] [--dtype float32|float64]
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { checkSource } from '../src/compile.ts';
import type { FloatDType } from '../src/check/model.ts';
import type { DatasetCase } from '../src/runtime/tasks/dataset.ts';
import { verifyModel } from '../src/verify/verify-model.ts';
import { generateMazes, pathCells } from '../scripts/maze.ts';

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const count = Number(arg('count') ?? 1000);
const dtypes = (arg('dtype') ? [arg('dtype')] : ['float32', 'float64']) as FloatDType[];
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const checked = checkSource(readFileSync(new URL('../examples/maze/maze.hw', import.meta.url), 'utf8'));
if (!checked.model) throw new Error(`maze.hw: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
const model = checked.model;
const id = (t: string) => model.tokenNames!.indexOf(t);
const mazes = generateMazes(1, count);
const cases: DatasetCase[] = mazes.map((m, line) => {
  const path = pathCells(m);
  return { input: m.cells.map(id), output: m.cells.map((_, i) => id(path.has(i) ? '*' : '_')), line: line + 1 };
});
const steps = mazes.map((m) => m.steps);

console.log(`maze solver, ${count} mazes (seed 1; shortest path ${Math.min(...steps)}..${Math.max(...steps)} steps), verifyModel in process; ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; ${new Date().toISOString()}; load ${load()}`);
console.log('| dtype | mazes | exact | cells right | smallest margin | seconds | mazes/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
// Slices of 100 mazes, each printed as it ends, so a run cut short still says how far it got.
const SLICE = 100;
for (const dtype of dtypes) {
  let passed = 0;
  let right = 0;
  let total = 0;
  let margin = Infinity;
  let seconds = 0;
  for (let start = 0; start < cases.length; start += SLICE) {
    const slice = cases.slice(start, start + SLICE);
    const r = await verifyModel(model, { dtype, dataset: { cases: slice, source: 'generated mazes' } });
    passed += r.passed;
    right += r.tokens.right;
    total += r.tokens.total;
    margin = Math.min(margin, r.minMargin);
    seconds += r.seconds;
    if (r.passed !== r.cases) console.log(`  ${dtype}: first failure in mazes ${start + 1}..: ${JSON.stringify(r.failures[0]).slice(0, 300)}`);
    if (start + SLICE < cases.length) console.error(`  ${dtype}: ${start + slice.length} mazes, ${passed} exact, ${seconds.toFixed(1)} s`);
  }
  const cells = `${right.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`;
  console.log(`| ${dtype} | ${cases.length.toLocaleString('en-US')} | ${passed.toLocaleString('en-US')} | ${cells} | ${margin.toFixed(3)} | ${seconds.toFixed(1)} | ${(cases.length / seconds).toFixed(2)} |`);
}
console.log(`load after: ${load()}\n`);
