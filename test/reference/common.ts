// Shared float64 helpers for the independent reference evaluators of the AdderBoard designs
// (docs/designs/*.md). Everything here is plain JavaScript `number` (IEEE float64);
// nothing is rounded to float32. Keep this file small and its exported names stable: the
// references for all eight designs import it.

/** A design evaluated straight from its spec (§2 prompt layout, §3 forward pass). */
export interface ReferenceDesign {
  name: string;
  vocab: number;
  /** Prompt token ids for the addends a, b (spec §2). */
  prompt(a: number, b: number): number[];
  /** Number of greedy decode steps (11 for every design here). */
  decodeSteps: number;
  /** Answer integer from the generated tokens (in generation order). */
  readAnswer(generated: number[]): number;
  /** Full forward pass over one sequence: logits [T][vocab], float64. */
  logits(tokens: number[]): number[][];
}

export const RMS_EPS = 1e-6;

/** Parameter-free RMS norm: x / sqrt(mean(x²) + eps). */
export function unitRms(x: readonly number[], eps: number = RMS_EPS): number[] {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = Math.sqrt(ss / x.length + eps);
  return x.map((v) => v / r);
}

/** RMS norm with weight: (x / sqrt(mean(x²) + eps)) ⊙ w. */
export function rmsNorm(x: readonly number[], w: readonly number[], eps: number = RMS_EPS): number[] {
  return unitRms(x, eps).map((v, i) => v * w[i]!);
}

/** Numerically stable softmax (row max subtracted first); -Infinity entries get weight 0. */
export function softmax(xs: readonly number[]): number[] {
  let m = -Infinity;
  for (const v of xs) if (v > m) m = v;
  const e = xs.map((v) => (v === -Infinity ? 0 : Math.exp(v - m)));
  let s = 0;
  for (const v of e) s += v;
  return e.map((v) => v / s);
}

/** Row-wise softmax of a square score matrix with a causal mask (keys j > i excluded). */
export function causalSoftmax(scores: readonly (readonly number[])[]): number[][] {
  return scores.map((row, i) => softmax(row.map((v, j) => (j > i ? -Infinity : v))));
}

/** silu(t) = t / (1 + exp(−t)). */
export function silu(t: number): number {
  return t / (1 + Math.exp(-t));
}

export function relu(t: number): number {
  return t > 0 ? t : 0;
}

/** y = W·x for W given as rows (W[r] is row r), i.e. nn.Linear without bias. */
export function matvec(W: readonly (readonly number[])[], x: readonly number[]): number[] {
  return W.map((row) => {
    let s = 0;
    for (let c = 0; c < row.length; c++) s += row[c]! * x[c]!;
    return s;
  });
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Rotate a 2-vector by angle θ: [y0 cosθ − y1 sinθ, y0 sinθ + y1 cosθ] (RoPE for head_dim 2). */
export function rotate2(y: readonly number[], theta: number): number[] {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return [y[0]! * c - y[1]! * s, y[0]! * s + y[1]! * c];
}

/** Index of the largest entry; ties go to the first index. */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** Largest minus second-largest entry. */
export function topTwoGap(xs: readonly number[]): number {
  const s = [...xs].sort((p, q) => q - p);
  return s[0]! - s[1]!;
}

/** Answer digits emitted least significant first: Σ s_k·10^k. */
export function readLsbFirst(generated: readonly number[]): number {
  let v = 0;
  for (let k = generated.length - 1; k >= 0; k--) v = v * 10 + generated[k]!;
  return v;
}

/** Digit of 10^i of n (n < 2^53). */
export function digitAt(n: number, i: number): number {
  return Math.floor(n / 10 ** i) % 10;
}

/**
 * Greedy decoding with full recompute: run the whole sequence, take argmax of the last
 * position's logits (ties → first index), append, repeat `design.decodeSteps` times.
 * Returns the generated tokens and the last-position logits row of every step.
 */
export function greedyDecode(
  design: ReferenceDesign,
  a: number,
  b: number,
): { generated: number[]; stepLogits: number[][] } {
  const tokens = design.prompt(a, b);
  const generated: number[] = [];
  const stepLogits: number[][] = [];
  for (let step = 0; step < design.decodeSteps; step++) {
    const all = design.logits(tokens);
    const last = all[all.length - 1]!;
    const next = argmax(last);
    stepLogits.push(last);
    generated.push(next);
    tokens.push(next);
  }
  return { generated, stepLogits };
}

/** a + b as computed by the design under greedy decoding. */
export function greedyAdd(design: ReferenceDesign, a: number, b: number): number {
  return design.readAnswer(greedyDecode(design, a, b).generated);
}

/** The AdderBoard protocol's ten fixed edge cases, in order, as docs/designs/README.md lists
 * them (the all-nines pair really is there twice). Written here from the protocol text, not taken
 * from src/, so tests can check the implementation against it. */
export const PROTOCOL_EDGE_CASES: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [0, 1],
  [9_999_999_999, 0],
  [9_999_999_999, 1],
  [9_999_999_999, 9_999_999_999],
  [5_000_000_000, 5_000_000_000],
  [1_111_111_111, 8_888_888_889],
  [1_234_567_890, 9_876_543_210],
  [9_999_999_999, 9_999_999_999],
  [1, 9_999_999_999],
];
