// npm run bench (issue #16): the large soundness batch of `handwire prove`. Seeded perturbations of
// the shipped designs prove has a specification for (scripts/perturb-designs.ts); each is proved
// under a time limit and its verdict checked independently (scripts/soundness-batch.ts): PROVED
// against carry chains + 200,000 seeded random cases (full-recompute greedy decoding, the verify
// stage), REFUTED by replaying the counterexample on a fresh session. Prints one table row per
// design and exits 1 on any disagreement, after printing the variant (seed, design, edits).
//   npx tsx bench/prove-soundness.ts [--seed N] [--variants N] [--cases N] [--time-limit S]
//                                    [--dtype float64|float32|both] [design-name-part ...]
import { cpus, loadavg } from 'node:os';
import { basename } from 'node:path';
import type { FloatDType } from '../src/check/model.ts';
import { describeOutcome, runSoundnessBatch } from '../scripts/soundness-batch.ts';
import { shippedDesigns } from '../scripts/shipped-designs.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1]! : fallback;
};
const seed = Number(option('--seed', '1'));
const variants = Number(option('--variants', '8'));
const randomCases = Number(option('--cases', '200000'));
const timeLimitSeconds = Number(option('--time-limit', '120'));
const dtypeArg = option('--dtype', 'float64');
const dtypes: FloatDType[] = dtypeArg === 'both' ? ['float64', 'float32'] : [dtypeArg as FloatDType];
// The digit tasks the affine prover answers: the fixed-width adders and the reverse task (the
// any-length adder and the token-string tasks are not its; the 33p and 36p do not prove as shipped).
const provable = ['adder-10p-rope19', 'adder-6p-rope19', 'adder-20p-rope19-relu', 'adder-50p-sinpe11', 'adder-130p-nanogpt-sinpe11', 'adder-121p-qwen3-gqa', 'reverse-13p-sinpe32'];
const designs = shippedDesigns().filter((d) => provable.includes(basename(d, '.hw')) && (args.length === 0 || args.some((a) => d.includes(a))));

console.log(`prove soundness batch: seed ${seed}, ${variants} variants per design, ${dtypes.join(' + ')}, prove --time-limit ${timeLimitSeconds}, carry chains + ${randomCases.toLocaleString('en-US')} random cases per PROVED; ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; ${new Date().toISOString()}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const result = await runSoundnessBatch({
  designs,
  seed,
  variants,
  dtypes,
  timeLimitSeconds,
  randomCases,
  onOutcome: (o) => console.error(`  ${describeOutcome(o)} (prove ${o.proveSeconds.toFixed(1)} s${o.verified ? `, verified ${o.verified.cases} cases in ${o.verified.seconds.toFixed(1)} s` : ''})`),
});
console.log('| design | variants | PROVED | REFUTED | UNKNOWN | skipped | disagreements | seconds |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const s of result.summaries) console.log(`| ${basename(s.design, '.hw')} | ${s.variants} | ${s.proved} | ${s.refuted} | ${s.unknown} | ${s.skipped} | ${s.disagreements} | ${s.seconds.toFixed(0)} |`);
console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const o of result.disagreements) console.log(`DISAGREEMENT ${describeOutcome(o)}`);
if (result.disagreements.length > 0) process.exitCode = 1;
