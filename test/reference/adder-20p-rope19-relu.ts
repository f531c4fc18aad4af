// Independent float64 reference for adder-20p-rope19-relu
// (docs/designs/adder-20p-rope19-relu.md). Follows §3 literally with the float64 formula
// values of the §4 parameters; RoPE angles p·ω are formed in float64 (the original: float32, §3.4).
import {
  type ReferenceDesign,
  causalSoftmax,
  digitAt,
  readLsbFirst,
  relu,
  rmsNorm,
  rotate2,
  unitRms,
} from './common.ts';

const SQRT2 = Math.sqrt(2);

// Fixed: ω = 2π/19 (§4), and the derived constants used by the §4 formulas.
export const OMEGA = (2 * Math.PI) / 19;
export const A = Math.LN10 / (Math.cos(0.3 * OMEGA) - Math.cos(0.7 * OMEGA));

// §4 the twenty parameters (float64 formula values).
export const t = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
export const K0 = 1000;
export const Qd = -0.001;
export const qs = Math.sqrt(A / SQRT2);
export const qphi = -10.3 * OMEGA;
export const c = 100 / (256 / SQRT2);
export const vs = (-22 * 1000) / SQRT2 / (2 * c * c);
export const Ga = ((256 / SQRT2) * -94) / SQRT2;
export const Gs = 256 / SQRT2 / SQRT2;
export const n = [0.1 / 0.001 / SQRT2, -(1000 / SQRT2) / 50];

/** §3.1 E[d] = [K0 + Qd·t_d², (K0·Qd)·t_d]. */
export const E: number[][] = t.map((td) => [K0 + Qd * td * td, K0 * Qd * td]);

/** §2: [0, a_0..a_9, nine 0s, b_0..b_9, 0] — length 31, LSB first. */
function prompt(a: number, b: number): number[] {
  const p = [0];
  for (let i = 0; i < 10; i++) p.push(digitAt(a, i));
  for (let i = 0; i < 9; i++) p.push(0);
  for (let i = 0; i < 10; i++) p.push(digitAt(b, i));
  p.push(0);
  return p;
}

function logits(tokens: number[]): number[][] {
  const T = tokens.length;
  const h = tokens.map((tok) => [...E[tok]!]); // §3.1
  const x = h.map((r) => unitRms(r)); // §3.2
  // §3.3 k = [qs·x0, 0]; q = R(qφ)·[qs·x0, 0]; v = vs·[−c·x1, +c·x1]. §3.4 RoPE by p·ω.
  const k = x.map((r, p) => rotate2([qs * r[0]!, 0], p * OMEGA));
  const q = x.map((r, p) => rotate2(rotate2([qs * r[0]!, 0], qphi), p * OMEGA));
  const v = x.map((r) => [vs * (-c * r[1]!), vs * (c * r[1]!)]);
  // §3.5 scores q·k/√2, causal softmax, 2-lane output; §3.6 h += [0, c·(o1 − o0)].
  const w = causalSoftmax(q.map((qi) => k.map((kj) => (qi[0]! * kj[0]! + qi[1]! * kj[1]!) / SQRT2)));
  for (let i = 0; i < T; i++) {
    let o0 = 0;
    let o1 = 0;
    for (let j = 0; j <= i; j++) {
      o0 += w[i]![j]! * v[j]![0]!;
      o1 += w[i]![j]! * v[j]![1]!;
    }
    h[i]![1]! += c * (o1 - o0);
  }
  // §3.7 y = U(h); §3.8 two-ReLU hinge, second projection tied to c.
  for (let i = 0; i < T; i++) {
    const [y0, y1] = unitRms(h[i]!) as [number, number];
    const r0 = relu(Ga * y0 + Gs * K0 * y1);
    const r1 = relu((Ga - Gs) * y0 + Gs * K0 * y1);
    h[i]![1]! += c * (r1 - r0);
  }
  // §3.9 z = U(h) ⊙ n; §3.10 tied head logits = z @ Eᵀ.
  return h.map((r) => {
    const z = rmsNorm(r, n);
    return E.map((row) => z[0]! * row[0]! + z[1]! * row[1]!);
  });
}

export const design: ReferenceDesign = {
  name: 'adder-20p-rope19-relu',
  vocab: 10,
  prompt,
  decodeSteps: 11,
  readAnswer: readLsbFirst,
  logits,
};
