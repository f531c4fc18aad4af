// Independent float64 reference for adder-33p-alibi-fixedmask
// (docs/designs/adder-33p-alibi-fixedmask.md). Follows §3 literally in float64
// (the original is float64 too). Excluded score-table entries are −∞ (weight exactly 0).
import { type ReferenceDesign, digitAt, matvec, relu, softmax } from './common.ts';

export const SEP = 10;
/** §3.3 e^80. */
export const E80 = Math.exp(80);

/** §3.1 embedding: digit d → [d, 0, 0]; SEP → 0. */
const embed = (tok: number): number[] => [tok === SEP ? 0 : tok, 0, 0];
/** §3.2 value weights: v_0 = v_1 = digit, v_2 = −digit. */
const WV = [
  [1, 0, 0],
  [1, 0, 0],
  [-1, 0, 0],
];
/** §3.3 Wo maps [u_0, u_1, u_2] to the residual. */
const WO = [
  [E80, 0, 1],
  [0, E80, 0],
  [0, 0, 0],
];
/** §3.4 MLP. */
const W1 = [
  [0, 1, 0],
  [0, 1, 0],
  [1, 1, 0],
  [1, 1, 0],
];
export const B1 = [-1 + 1e-11, -1 + 0.5e-11, -10 + 1e-11, -10 + 0.5e-11];
const W2 = [
  [2e11, -2e11, -2e12, 2e12],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
];
/** §3.5 LM head: W_lm[c] = [2c,0,0], b_lm[c] = −c² (c ≤ 9); SEP row 0, bias −2e12. */
const W_LM = Array.from({ length: 11 }, (_, c) => (c === SEP ? [0, 0, 0] : [2 * c, 0, 0]));
const B_LM = Array.from({ length: 11 }, (_, c) => (c === SEP ? -2e12 : -c * c));

/** §3.2 score table entry M[h, i, j] (−∞ unless listed). */
export function score(h: number, i: number, j: number): number {
  if (i <= 20) return j === i ? 0 : -Infinity; // prompt queries: self only, every head
  const k = i - 21;
  if (h === 0) {
    if (j === 10) return 80;
    if (k <= 9 && (j === k || j === 11 + k)) return 0;
    return -Infinity;
  }
  if (h === 1) {
    if (j === 10) return 80;
    for (let jj = 0; jj < Math.min(k, 10); jj++) if (j === jj || j === 11 + jj) return -(k - jj) * Math.LN10;
    return -Infinity;
  }
  return j === i ? 0 : -Infinity; // head 2
}

/** §2: A_0..A_9, SEP, B_0..B_9, SEP — LSB first, length 22. */
function prompt(a: number, b: number): number[] {
  const p: number[] = [];
  for (let i = 0; i < 10; i++) p.push(digitAt(a, i));
  p.push(SEP);
  for (let i = 0; i < 10; i++) p.push(digitAt(b, i));
  p.push(SEP);
  return p;
}

/** §2: answer digits are s_0 first. SEP as a generated token is not a digit: NaN. */
function readAnswer(generated: number[]): number {
  if (generated.some((t) => t === SEP)) return NaN;
  let v = 0;
  for (let k = generated.length - 1; k >= 0; k--) v = v * 10 + generated[k]!;
  return v;
}

function logits(tokens: number[]): number[][] {
  const T = tokens.length;
  const x = tokens.map(embed);
  const vals = x.map((r) => matvec(WV, r)); // vals[j][h]
  return x.map((r0, i) => {
    // §3.2 Q = K = 0: scores are the table entries (causal: the table lists only j ≤ i).
    const u = [0, 1, 2].map((h) => {
      const w = softmax(Array.from({ length: T }, (_, j) => (j > i ? -Infinity : score(h, i, j))));
      let s = 0;
      for (let j = 0; j <= i; j++) s += w[j]! * vals[j]![h]!;
      return s;
    });
    // §3.3 x += Wo·u.
    const o = matvec(WO, u);
    const r = r0.map((v, d) => v + o[d]!);
    // §3.4 x += W2·relu(W1·x + b1).
    const n = matvec(W1, r).map((s, m) => relu(s + B1[m]!));
    const m = matvec(W2, n);
    const x2 = r.map((v, d) => v + m[d]!);
    // §3.5 ℓ = W_lm·x + b_lm.
    return matvec(W_LM, x2).map((s, c) => s + B_LM[c]!);
  });
}

export const design: ReferenceDesign = {
  name: 'adder-33p-alibi-fixedmask',
  vocab: 11,
  prompt,
  decodeSteps: 11,
  readAnswer,
  logits,
};
