// The attention mix next to a weight-1 anchor: rows whose other weights are e^−80 (the 33p's
// gather against an e^80 anchor). The mix must contain the float64 value computed independently
// here (exp(s − max) / Σ exp(s − max) · v, summed in plain Math), and be tight *relative* to that
// tiny value, since the model scales it back up by e^80: the simplex bound alone charges the
// rounding of 1 − Σ lo at the largest value (~1e−14 absolute, ~1e21 after the e^80 gain).
import { describe, expect, it } from 'vitest';
import { SymbolAllocator, constantTensor } from '../src/prove/domains/affine-tensor.ts';
import { attentionMix, softmaxLastAxis } from '../src/prove/ops/attention-bounds.ts';
import { floatModel } from '../src/prove/ops/float-model.ts';

function reference(scores: number[], values: number[]): number {
  const m = Math.max(...scores);
  const e = scores.map((s) => (s === -Infinity ? 0 : Math.exp(s - m)));
  const z = e.reduce((a, b) => a + b, 0);
  return e.reduce((acc, x, j) => acc + (x / z) * values[j]!, 0);
}

function mix(scores: number[], values: number[]): { lo: number; hi: number } {
  const ctx = { model: floatModel('float64'), alloc: new SymbolAllocator() };
  const n = scores.length;
  const w = softmaxLastAxis(constantTensor([1, n], Float64Array.from(scores)), ctx);
  const out = attentionMix(w, constantTensor([n, 1], Float64Array.from(values)), ctx);
  return { lo: out.lo(0), hi: out.hi(0) };
}

const rows: [string, number[], number[]][] = [
  ['gather a_k + b_k against an e^80 anchor', [0, -Infinity, -Infinity, 80, 0, -Infinity], [9, 5, 7, 0, 3, 8]],
  ['both digits 9', [0, 80, 0], [9, 0, 9]],
  ['prefix sum, base-10 weights', [-Math.LN10, -2 * Math.LN10, -3 * Math.LN10, 80, -Math.LN10, -2 * Math.LN10, -3 * Math.LN10], [9, 9, 9, 0, 9, 9, 9]],
  ['anchor with a nonzero value', [0, 80, 0, -5], [9, 1, 9, 4]],
  ['negative values', [0, 80, 0, -1], [-9, 0, -7, -3]],
];

describe('attention mix with an e^80 anchor: contains float64 values, relatively tight', () => {
  it.each(rows)('%s', (_, scores, values) => {
    const ref = reference(scores, values);
    const { lo, hi } = mix(scores, values);
    expect(lo).toBeLessThanOrEqual(ref);
    expect(hi).toBeGreaterThanOrEqual(ref);
    const anchor = values[scores.indexOf(80)]!;
    if (anchor === 0) {
      // With a zero-valued anchor the whole mix is the e^−80 part: its bound must be tight
      // relative to it (1e−10; its inputs are exact), so that ×e^80 leaves an error below 1e−9·|v|.
      expect(hi - lo).toBeLessThan(1e-10 * Math.abs(ref));
    } else {
      // Otherwise the anchor's weight (1 − ~1e−34, known to a few ULPs) dominates.
      expect(hi - lo).toBeLessThan(1e-13 * Math.abs(ref));
    }
  });
});
