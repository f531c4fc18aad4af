// Independent float64 reference for adder-10p-rope19 (docs/designs/adder-10p-rope19.md).
// Follows the spec's §3 literally with the float64 FORMULA values of the §4 parameters (not the
// float32-rounded stored values). RoPE angles are p·ω in float64 (the original forms them in
// float32, §3.5; this reference is deliberately pure float64).
import {
  type ReferenceDesign,
  causalSoftmax,
  digitAt,
  readLsbFirst,
  rmsNorm,
  rotate2,
  silu,
  unitRms,
} from './common.ts';

const SQRT2 = Math.sqrt(2);

// §4 fixed constants.
export const OMEGA = (2 * Math.PI) / 19;
export const PHI = 10.3 * OMEGA;
export const A = Math.LN10 / (Math.cos(0.3 * OMEGA) - Math.cos(0.7 * OMEGA));
export const Q = Math.sqrt(A / SQRT2);
export const S = 2 ** -0.5 * Q * Q;
export const EMBED_CONST = 1000; // the fixed 1000 in the tied gate (§3.9)

// §4 the ten parameters (float64 formula values).
export const e = [1000, 0.001];
export const wq = [Math.cos(PHI), -Math.sin(PHI)];
export const wv = (-22 * 1000) / SQRT2;
export const G = [((256 / SQRT2) * -94) / SQRT2, (256 / SQRT2) * (1000 / SQRT2)];
export const C = 100 / (256 / SQRT2) / SQRT2;
export const n = [0.1 / 0.001 / SQRT2, -(1000 / SQRT2) / 50];

/** §3.1 E[d] = [e0 − e1·d², −d]. */
export const E: number[][] = Array.from({ length: 10 }, (_, d) => [e[0]! - e[1]! * d * d, -d]);

/** §2: [0, a_0..a_9, nine 0s, b_0..b_9, 0] — length 31, LSB first. */
function prompt(a: number, b: number): number[] {
  const t = [0];
  for (let i = 0; i < 10; i++) t.push(digitAt(a, i));
  for (let i = 0; i < 9; i++) t.push(0);
  for (let i = 0; i < 10; i++) t.push(digitAt(b, i));
  t.push(0);
  return t;
}

function logits(tokens: number[]): number[][] {
  const T = tokens.length;
  const h = tokens.map((tok) => [...E[tok]!]); // §3.1
  const x = h.map((r) => unitRms(r)); // §3.2
  // §3.3 q = [x0·wq0, x0·wq1], k = [x0, 0], v = [x1·wv, 0]; §3.4 QK norm; §3.5 RoPE θ_p = p·ω.
  const q = x.map((r, p) => rotate2(unitRms([r[0]! * wq[0]!, r[0]! * wq[1]!]), p * OMEGA));
  const k = x.map((r, p) => rotate2(unitRms([r[0]!, 0]), p * OMEGA));
  const v0 = x.map((r) => r[1]! * wv); // value lane 1 is 0 and is not routed anywhere
  // §3.6 scores ·s, causal softmax; §3.7 output lane 0 → residual dim 1.
  const w = causalSoftmax(q.map((qi) => k.map((kj) => (qi[0]! * kj[0]! + qi[1]! * kj[1]!) * S)));
  for (let i = 0; i < T; i++) {
    let o0 = 0;
    for (let j = 0; j <= i; j++) o0 += w[i]![j]! * v0[j]!;
    h[i]![1]! += o0;
  }
  // §3.8 y = U(h); §3.9 tied-gate SiLU MLP.
  for (let i = 0; i < T; i++) {
    const [y0, y1] = unitRms(h[i]!) as [number, number];
    const g0 = G[0]! * y0 + G[1]! * y1;
    const g1 = (G[0]! - G[1]! / EMBED_CONST) * y0 + G[1]! * y1;
    h[i]![1]! += C * (silu(g1) * y0 - silu(g0) * y0);
  }
  // §3.10 z = U(h) ⊙ n; §3.11 tied head logits = z @ Eᵀ.
  return h.map((r) => {
    const z = rmsNorm(r, n);
    return E.map((row) => z[0]! * row[0]! + z[1]! * row[1]!);
  });
}

export const design: ReferenceDesign = {
  name: 'adder-10p-rope19',
  vocab: 10,
  prompt,
  decodeSteps: 11,
  readAnswer: readLsbFirst,
  logits,
};
