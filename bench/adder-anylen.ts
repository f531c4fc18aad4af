// npm run bench (part): the any-length adder (examples/adder/adder-5p-anylen.hw) on the full case set
// of scripts/adder-anylen-cases.ts: 100 seeded pairs per length 1..100 and the all-nines chains of
// every length (10,300 cases), in float32 and float64, through verifyModel (the library entry of
// `handwire verify`). CI (test/adder-anylen.test.ts) runs all of them in float32 and 1,300 in
// float64. The right answers are BigInt sums, compared here with the task's expect before the run.
// Seconds are verifyModel's own (the runs), not the compile.
//   npx tsx bench/adder-anylen.ts [--per-length N] [--dtype float32|float64]
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { checkSource } from '../src/compile.ts';
import type { FloatDType } from '../src/check/model.ts';
import { stringTaskOf } from '../src/runtime/tasks/strings.ts';
import { verifyModel } from '../src/verify/verify-model.ts';
import { nineChains, randomPairs } from '../scripts/adder-anylen-cases.ts';

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const perLength = Number(arg('per-length') ?? 100);
const dtypes = (arg('dtype') ? [arg('dtype')] : ['float32', 'float64']) as FloatDType[];
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const checked = checkSource(readFileSync(new URL('../examples/adder/adder-5p-anylen.hw', import.meta.url), 'utf8'));
if (!checked.model) throw new Error(`adder-5p-anylen.hw: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
const model = checked.model;
const digit = (d: number) => model.tokenNames!.indexOf(String(d));
const cases = [...randomPairs(perLength, 14), ...nineChains()].map((p) => ({ a: p.a.map(digit), b: p.b.map(digit) }));
const task = stringTaskOf(model);
for (const c of cases) {
  const sum = BigInt(c.a.map((t) => model.tokenNames![t]).join('')) + BigInt(c.b.map((t) => model.tokenNames![t]).join(''));
  const want = [...sum.toString()].reverse().map((ch) => digit(Number(ch)));
  if (task.expected(c).join() !== want.join()) throw new Error('the task expects another sum than BigInt');
}

console.log(`any-length adder, ${cases.length.toLocaleString('en-US')} cases (${perLength} seeded pairs per length 1..100 and 300 all-nines chains), verifyModel in process; ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; ${new Date().toISOString()}; load ${load()}`);
console.log('| dtype | cases | exact | tokens right | smallest margin | seconds | cases/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const dtype of dtypes) {
  const r = await verifyModel(model, { dtype, cases });
  if (r.passed !== r.cases) console.log(`  ${dtype}: first failure: ${JSON.stringify(r.failures[0]).slice(0, 400)}`);
  const tokens = `${r.tokens.right.toLocaleString('en-US')} / ${r.tokens.total.toLocaleString('en-US')}`;
  console.log(`| ${dtype} | ${r.cases.toLocaleString('en-US')} | ${r.passed.toLocaleString('en-US')} | ${tokens} | ${r.minMargin.toFixed(3)} | ${r.seconds.toFixed(1)} | ${(r.cases / r.seconds).toFixed(1)} |`);
}
console.log(`load after: ${load()}\n`);
