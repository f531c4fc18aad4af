// The long sweep of examples/zoo/parity.hw (test/parity.test.ts runs a smaller one in CI):
//   npx tsx scripts/parity-sweep.ts [strings per bucket, default 1000] [longest, default 1000]
// Lengths 1..longest are cut into buckets of 100; each bucket gets that many seeded random strings of
// random lengths in it, and every length also gets all zeros and all ones. Each string runs through
// the real compiled model, compiled once per dtype, and wrong answers are counted. It also runs a
// copy without the final LayerNorm, whose logits are gain · z, to show how far z · N² strays from
// the ideal ±1 in each dtype: that distance is the construction's safety margin before the norm.
import { readFileSync } from 'node:fs';
import { compileSource } from '../src/compile.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { mulberry32 } from '../src/util/rng.ts';

const perBucket = Number(process.argv[2] ?? 1000);
const longest = Number(process.argv[3] ?? 1000);
const source = readFileSync(new URL('../examples/zoo/parity.hw', import.meta.url), 'utf8');
const withoutNorm = source.replace(/^\s*final layernorm\(eps: 1e-30\).*$/m, '');
if (withoutNorm === source) throw new Error('parity.hw has no `final layernorm(eps: 1e-30)` line to remove');

async function sweep(dtype: FloatDType): Promise<void> {
  const started = Date.now();
  const open = async (text: string) => (await openSession(compileSource(text, { dtype }).onnx!, { dtype })).session;
  const model = await open(source);
  const raw = await open(withoutNorm);
  const rng = mulberry32(1000 + perBucket);
  // Strings by length: the extremes at every length, then the random ones of each bucket.
  const byLength = new Map<number, number[][]>();
  for (let n = 1; n <= longest; n++) byLength.set(n, [Array(n).fill(0), Array(n).fill(1)]);
  for (let lo = 1; lo <= longest; lo += 100) {
    const hi = Math.min(lo + 99, longest);
    for (let s = 0; s < perBucket; s++) {
      const n = lo + Math.floor(rng() * (hi - lo + 1));
      const density = rng();
      byLength.get(n)!.push(Array.from({ length: n }, () => (rng() < density ? 1 : 0)));
    }
  }
  let strings = 0;
  let wrong = 0;
  let minMargin = Infinity;
  let maxMargin = 0;
  let worstDrift = 0;
  let worstAt = '';
  for (let n = 1; n <= longest; n++) {
    const rows = byLength.get(n)!;
    const seq = n + 1;
    const ids = new BigInt64Array(rows.length * seq);
    rows.forEach((bits, r) => {
      ids[r * seq] = 2n;
      bits.forEach((b, i) => (ids[r * seq + 1 + i] = BigInt(b)));
    });
    const normed = await runLogits(model, ids, rows.length, seq);
    const plain = await runLogits(raw, ids, rows.length, seq);
    rows.forEach((bits, r) => {
      const at = (r * seq + seq - 1) * 3;
      const ones = bits.reduce((a: number, b: number) => a + b, 0);
      const even = ones % 2 === 0;
      const margin = (normed.data[at]! - normed.data[at + 1]!) * (even ? 1 : -1);
      strings++;
      if (!(margin > 0)) wrong++;
      minMargin = Math.min(minMargin, margin);
      maxMargin = Math.max(maxMargin, margin);
      // Without the norm the even logit is z itself: z N² should be (−1)^ones.
      const drift = Math.abs(plain.data[at]! * seq * seq - (even ? 1 : -1));
      if (drift > worstDrift) [worstDrift, worstAt] = [drift, `length ${n}, ${ones} ones`];
    });
  }
  await model.release();
  await raw.release();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${dtype}: ${strings} strings of length 1..${longest}, ${wrong} wrong; margin ${minMargin} .. ${maxMargin}; ` +
    `worst |z N² − (±1)| without the norm ${worstDrift.toExponential(2)} (${worstAt}); ${seconds} s`);
}

for (const dtype of ['float32', 'float64'] as const) await sweep(dtype);
