// Independent float64 reference for adder-130p-nanogpt-sinpe11
// (docs/designs/adder-130p-nanogpt-sinpe11.md). Follows §3 literally, full nanoGPT
// matrices, constants from their formulas in float64 (the original ran in float32, §6).
import { type ReferenceDesign, causalSoftmax, digitAt, dot, matvec, readLsbFirst, relu } from './common.ts';

export const THETA = (2 * Math.PI) / 11;
const G = 100;

/** §3.1 PE amplitude: 100 for p ≤ 21, 1 after. */
const amp = (p: number): number => (p <= 21 ? 100 : 1);

/** §3.2 c_attn (12×4, no bias): Q rows 0..3, K rows 4..7, V rows 8..11. */
export const C_ATTN: number[][] = [
  [0, -G * Math.cos(8 * THETA), G * Math.sin(8 * THETA), 0],
  [0, G * Math.sin(8 * THETA), G * Math.cos(8 * THETA), 0],
  [0, -G * Math.cos(9 * THETA), G * Math.sin(9 * THETA), 0],
  [0, G * Math.sin(9 * THETA), G * Math.cos(9 * THETA), 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [1, 0, 0, 0],
  [0, 0, 0, 0],
  [1, 0, 0, 0],
  [0, 0, 0, 0],
];
/** §3.4 c_proj: only W[3,0] = 2 and W[1,2] = 2. */
const C_PROJ = [
  [0, 0, 0, 0],
  [0, 0, 2, 0],
  [0, 0, 0, 0],
  [2, 0, 0, 0],
];
/** §3.5 MLP c_fc weight / bias and the rank-1 output projection (n·v)·u. */
const W_FC = [
  [-100, 100, 0, 0],
  [-100, 100, 0, 0],
  [-10, 10, 0, 1000],
  [-10, 10, 0, 1000],
];
const B_FC = [-50, -150, -9045, -9055];
const MLP_V = [0.01, -0.01, -1, 1];
const MLP_U = [0, 0, 0, 1];
/** §3.6 LM head: ℓ[d] = (x·v_h)·u_h[d] + bias[d], v_h = e_3, u_h[d] = 2d, bias[d] = −d². */
const HEAD_V = [0, 0, 0, 1];
const HEAD_U = Array.from({ length: 10 }, (_, d) => 2 * d);
const HEAD_B = Array.from({ length: 10 }, (_, d) => -d * d);

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
  // §3.1 x_p = A[tok]·B + PE(p), A[d] = d, B = [1,0,0,0].
  const x = tokens.map((d, p) => [d, amp(p) * Math.sin(p * THETA), amp(p) * Math.cos(p * THETA), 0]);
  // §3.2 qkv, 2 heads × 2 lanes.
  const qkv = x.map((r) => matvec(C_ATTN, r));
  const y = x.map(() => [0, 0, 0, 0]);
  for (let h = 0; h < 2; h++) {
    const q = qkv.map((r) => r.slice(2 * h, 2 * h + 2));
    const k = qkv.map((r) => r.slice(4 + 2 * h, 6 + 2 * h));
    const v = qkv.map((r) => r.slice(8 + 2 * h, 10 + 2 * h));
    // §3.3 scale 1/√2, causal softmax (masked keys excluded).
    const w = causalSoftmax(q.map((qi) => k.map((kj) => dot(qi, kj) / Math.SQRT2)));
    for (let i = 0; i < T; i++)
      for (let j = 0; j <= i; j++)
        for (let l = 0; l < 2; l++) y[i]![2 * h + l]! += w[i]![j]! * v[j]![l]!;
  }
  return x.map((r0, i) => {
    // §3.4 residual add of c_proj(y).
    const proj = matvec(C_PROJ, y[i]!);
    const r = r0.map((xv, c) => xv + proj[c]!);
    // §3.5 MLP: n = relu(Wfc·x + bfc); x += (n·v)·u.
    const n = matvec(W_FC, r).map((s, u) => relu(s + B_FC[u]!));
    const nv = dot(n, MLP_V);
    const x2 = r.map((xv, c) => xv + nv * MLP_U[c]!);
    // §3.6 rank-1 LM head + bias.
    const s = dot(x2, HEAD_V);
    return HEAD_U.map((u, d) => s * u + HEAD_B[d]!);
  });
}

export const design: ReferenceDesign = {
  name: 'adder-130p-nanogpt-sinpe11',
  vocab: 10,
  prompt,
  decodeSteps: 11,
  readAnswer: readLsbFirst, // §2: answer generated LSB first
  logits,
};
