// Independent float64 reference for adder-121p-qwen3-gqa
// (docs/designs/adder-121p-qwen3-gqa.md): one stock Qwen3 layer, followed literally from §3
// with the float64 formula values of every weight.
import {
  type ReferenceDesign,
  causalSoftmax,
  digitAt,
  dot,
  matvec,
  readLsbFirst,
  rmsNorm,
  rotate2,
  silu,
} from './common.ts';

const SQRT3 = Math.sqrt(3);

// §3 / §4 constants.
export const OFFSETS = [23, 11, 22, 10]; // o_h for heads 0..3, radians
export const D = 1000 / SQRT3;
export const ALPHA = 20;
export const SIGMA = 1 / (ALPHA * SQRT3);
export const QK_NORM_W = [256, 256];
export const ONES3 = [1, 1, 1];

/** §3.1 E[d] = [1000 − 2.5e-4·d², d, 5e-4·d]. */
export const E: number[][] = Array.from({ length: 10 }, (_, d) => [1000 - 2.5e-4 * d * d, d, 5e-4 * d]);

/** §3.3 Wq (8×3): rows 2h, 2h+1 = [cos o_h, 0, 0], [−sin o_h, 0, 0]. */
export const Wq: number[][] = OFFSETS.flatMap((o) => [
  [Math.cos(o), 0, 0],
  [-Math.sin(o), 0, 0],
]);
export const Wk = [
  [1, 0, 0],
  [0, 0, 0],
];
export const Wv = [
  [0, D, 0],
  [0, 0, 0],
];
/** §3.7 Wo (3×8): Wo[1,0] = Wo[1,2] = −1, Wo[2,4] = Wo[2,6] = +1. */
export const Wo: number[][] = [
  [0, 0, 0, 0, 0, 0, 0, 0],
  [-1, 0, -1, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 1, 0, 1, 0],
];
/** §3.9 SwiGLU weights. */
export const Wg: number[][] = [
  [(-188 / SQRT3) * ALPHA, -2 * D * ALPHA, 20 * D * ALPHA],
  [(-189 / SQRT3) * ALPHA, -2 * D * ALPHA, 20 * D * ALPHA],
];
export const Wu = [
  [1, 0, 0],
  [1, 0, 0],
];
export const Wd: number[][] = [
  [0, 0],
  [0, 0],
  [-10 * SIGMA, 10 * SIGMA],
];
/** §3.10 final norm weight. */
export const NORM_W = [1 / SQRT3, -0.1 * D * 5e-4, D];

/** §2: [0, a_0..a_9, 0, 0, b_0..b_9, 0] — length 24, LSB first. */
function prompt(a: number, b: number): number[] {
  const p = [0];
  for (let i = 0; i < 10; i++) p.push(digitAt(a, i));
  p.push(0, 0);
  for (let i = 0; i < 10; i++) p.push(digitAt(b, i));
  p.push(0);
  return p;
}

function logits(tokens: number[]): number[][] {
  const T = tokens.length;
  const h = tokens.map((tok) => [...E[tok]!]); // §3.1
  const x = h.map((r) => rmsNorm(r, ONES3)); // §3.2 input_layernorm
  // §3.3 projections; §3.4 QK norm (weight 256) per head; §3.5 RoPE by p radians.
  const qh = x.map((r, p) => {
    const qAll = matvec(Wq, r);
    return OFFSETS.map((_, hd) => rotate2(rmsNorm(qAll.slice(2 * hd, 2 * hd + 2), QK_NORM_W), p));
  });
  const k = x.map((r, p) => rotate2(rmsNorm(matvec(Wk, r), QK_NORM_W), p));
  const v = x.map((r) => matvec(Wv, r));
  // §3.6 GQA attention: every query head uses the one K/V head, scale 2^−0.5, causal softmax.
  const w = OFFSETS.map((_, hd) => causalSoftmax(qh.map((qi) => k.map((kj) => dot(qi[hd]!, kj) * 2 ** -0.5))));
  for (let i = 0; i < T; i++) {
    // Head outputs u_h = Σ_j w_h(i,j)·v_j (2 lanes), concatenated [u_0, u_1, u_2, u_3].
    const concat: number[] = [];
    for (let hd = 0; hd < OFFSETS.length; hd++) {
      const u = [0, 0];
      for (let j = 0; j <= i; j++) {
        u[0]! += w[hd]![i]![j]! * v[j]![0]!;
        u[1]! += w[hd]![i]![j]! * v[j]![1]!;
      }
      concat.push(...u);
    }
    // §3.7 h ← h + Wo·u.
    const delta = matvec(Wo, concat);
    h[i] = h[i]!.map((val, c) => val + delta[c]!);
  }
  // §3.8 post_attention_layernorm; §3.9 SwiGLU h += Wd·(silu(Wg·y) ⊙ (Wu·y)).
  for (let i = 0; i < T; i++) {
    const y = rmsNorm(h[i]!, ONES3);
    const g = matvec(Wg, y);
    const up = matvec(Wu, y);
    const delta = matvec(Wd, g.map((gv, m) => silu(gv) * up[m]!));
    h[i] = h[i]!.map((val, c) => val + delta[c]!);
  }
  // §3.10 final norm; §3.11 tied head logits = z @ Eᵀ.
  return h.map((r) => {
    const z = rmsNorm(r, NORM_W);
    return E.map((row) => dot(z, row));
  });
}

export const design: ReferenceDesign = {
  name: 'adder-121p-qwen3-gqa',
  vocab: 10,
  prompt,
  decodeSteps: 11,
  readAnswer: readLsbFirst,
  logits,
};
