// Independent float64 reference for adder-6p-rope19 (docs/designs/adder-6p-rope19.md).
// Follows the spec's §3 literally; constants are computed from the §4 formulas in float64.
import {
  type ReferenceDesign,
  causalSoftmax,
  digitAt,
  readLsbFirst,
  rotate2,
  silu,
  unitRms,
} from './common.ts';

const SQRT2 = Math.sqrt(2);

// §4 fixed architecture constants.
export const OMEGA = (2 * Math.PI) / 19;
export const PHI = OMEGA * 10.3;
export const A = Math.LN10 / (Math.cos(0.3 * OMEGA) - Math.cos(0.7 * OMEGA));
export const QK_SCALE = Math.sqrt(A / SQRT2);
export const ATTN_SCALE = 2 ** -0.5 * QK_SCALE ** 2;
export const N0 = 50 * SQRT2;
export const N1 = -10 * SQRT2;
export const EMBED_CONST = 1000; // the fixed 1000 in the tied gate (§3.9)

// §4 the six counted parameters.
export const W0 = 1000;
export const W1 = 0.001;
export const V_W = (-22 * 1000) / SQRT2;
export const G0 = ((256 / SQRT2) * -94) / SQRT2;
export const G1 = (256 / SQRT2) * (1000 / SQRT2);
export const C = 100 / (256 / SQRT2) / SQRT2;

/** §3.1 embedding table E[d] = [w0 − w1·d², −d]. */
export const E: number[][] = Array.from({ length: 10 }, (_, d) => [W0 - W1 * d * d, -d]);

/** §2: [0, a_0..a_9, nine 0s, b_0..b_9, 0] — length 31, LSB first. */
function prompt(a: number, b: number): number[] {
  const t = [0];
  for (let i = 0; i < 10; i++) t.push(digitAt(a, i));
  for (let i = 0; i < 9; i++) t.push(0);
  for (let i = 0; i < 10; i++) t.push(digitAt(b, i));
  t.push(0);
  return t;
}

/** §3 forward pass for one sequence. */
function logits(tokens: number[]): number[][] {
  const T = tokens.length;
  const h = tokens.map((tok) => [...E[tok]!]); // §3.1
  const x = h.map((r) => unitRms(r)); // §3.2
  // §3.3 projections, §3.4 QK norm, §3.5 RoPE (angle p·ω).
  const q = x.map((r, p) => rotate2(unitRms([r[0]! * Math.cos(PHI), -r[0]! * Math.sin(PHI)]), p * OMEGA));
  const k = x.map((r, p) => rotate2(unitRms([r[0]!, 0]), p * OMEGA));
  const v = x.map((r) => V_W * r[1]!);
  // §3.6 scores with causal mask + softmax; §3.7 scalar output into residual dim 1.
  const scores = q.map((qi) => k.map((kj) => (qi[0]! * kj[0]! + qi[1]! * kj[1]!) * ATTN_SCALE));
  const w = causalSoftmax(scores);
  for (let i = 0; i < T; i++) {
    let o = 0;
    for (let j = 0; j <= i; j++) o += w[i]![j]! * v[j]!;
    h[i]![1]! += o;
  }
  // §3.8 MLP pre-norm, §3.9 tied-gate SiLU MLP, shared down scalar C.
  for (let i = 0; i < T; i++) {
    const [y0, y1] = unitRms(h[i]!) as [number, number];
    const g0 = G0 * y0 + G1 * y1;
    const g1 = (G0 - G1 / EMBED_CONST) * y0 + G1 * y1;
    const m0 = silu(g0) * y0;
    const m1 = silu(g1) * y0;
    h[i]![1]! += C * (m1 - m0);
  }
  // §3.10 final unit norm + folded tied head ℓ[d] = z0·N0·E[d][0] + z1·N1·E[d][1].
  return h.map((r) => {
    const [z0, z1] = unitRms(r) as [number, number];
    return E.map((e) => z0 * N0 * e[0]! + z1 * N1 * e[1]!);
  });
}

export const design: ReferenceDesign = {
  name: 'adder-6p-rope19',
  vocab: 10,
  prompt,
  decodeSteps: 11,
  readAnswer: readLsbFirst,
  logits,
};
