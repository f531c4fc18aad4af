// Independent float64 reference for adder-50p-sinpe11 (docs/designs/adder-50p-sinpe11.md).
// Follows §3 literally; constants from their formulas in float64 (the original ran in float32).
import { type ReferenceDesign, causalSoftmax, digitAt, dot, readLsbFirst, relu } from './common.ts';

export const THETA = (2 * Math.PI) / 11;
/** §3.3 query angles α_0 = 8θ, α_1 = 9θ. */
export const ALPHA = [8 * THETA, 9 * THETA];

/** §3.1 PE amplitude A_p: 100 for p ≤ 21, 1 after. */
const amp = (p: number): number => (p <= 21 ? 100 : 1);

// §4 parameters.
const E_DIR = [1, 0, 0, 0];
const O_DIR = [
  [0, 0, 0, 2],
  [0, 2, 0, 0],
];
const CARRY_DIR = [-1, 1, 0, 0];
const WRAP_DIR = [-10, 10, 0, 1000];
const CARRY_B = [-0.5, -1.5];
const WRAP_B = [-9045, -9055];
const ACC = [0, 0, 0, 1];
const L = 2;
const QH = -1;

/** §2: a MSB first (pos 9−i = a_i), 0, b MSB first (pos 20−i = b_i), 0 — length 22. */
function prompt(a: number, b: number): number[] {
  const p: number[] = [];
  for (let i = 9; i >= 0; i--) p.push(digitAt(a, i));
  p.push(0);
  for (let i = 9; i >= 0; i--) p.push(digitAt(b, i));
  p.push(0);
  return p;
}

function logits(tokens: number[]): number[][] {
  const T = tokens.length;
  // §3.1 x_p = d_p·e + PE(p).
  const x = tokens.map((d, p) => [d, amp(p) * Math.sin(p * THETA), amp(p) * Math.cos(p * THETA), 0]);
  // §3.2 keys k_p = [x1, x2]; §3.4 scalar value v_p = x_p·e.
  const k = x.map((r) => [r[1]!, r[2]!]);
  const v = x.map((r) => dot(r, E_DIR));
  const out = x.map((r) => [...r]);
  for (let h = 0; h < 2; h++) {
    const c = Math.cos(ALPHA[h]!);
    const s = Math.sin(ALPHA[h]!);
    // §3.3 q_h = [−cos α·k0 + sin α·k1, sin α·k0 + cos α·k1] from the query position's own key.
    const q = k.map(([k0, k1]) => [-c * k0! + s * k1!, s * k0! + c * k1!]);
    // §3.5 scores q·k/√2, causal softmax; u_h(i) = Σ_j w·v_j.
    const w = causalSoftmax(q.map((qi) => k.map((kj) => dot(qi, kj) / Math.SQRT2)));
    for (let i = 0; i < T; i++) {
      let u = 0;
      for (let j = 0; j <= i; j++) u += w[i]![j]! * v[j]!;
      // §3.6 x += u_h·o_h.
      for (let d = 0; d < 4; d++) out[i]![d]! += u * O_DIR[h]![d]!;
    }
  }
  return out.map((r) => {
    // §3.7 two hinge pairs; note the wrap order relu(wi + wb1) − relu(wi + wb0).
    const ci = dot(r, CARRY_DIR);
    const carry = relu(ci + CARRY_B[0]!) - relu(ci + CARRY_B[1]!);
    const wi = dot(r, WRAP_DIR);
    const wrap = relu(wi + WRAP_B[1]!) - relu(wi + WRAP_B[0]!);
    const x2 = r.map((xv, d) => xv + (carry + wrap) * ACC[d]!);
    // §3.8 parabolic head ℓ[d] = L·d·z + Qh·d².
    const z = dot(x2, ACC);
    return Array.from({ length: 10 }, (_, d) => L * d * z + QH * d * d);
  });
}

export const design: ReferenceDesign = {
  name: 'adder-50p-sinpe11',
  vocab: 10,
  prompt,
  decodeSteps: 11,
  readAnswer: readLsbFirst, // §2: answer generated LSB first
  logits,
};
