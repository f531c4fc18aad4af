// Independent float64 reference for adder-36p-alibi-2layer
// (docs/designs/adder-36p-alibi-2layer.md). Follows §3 literally in float64 (the original
// is float64 too), softmax1 exactly as specified: no max subtraction, +1 in the denominator.
//
// The design predicts argmin of 10 distance outputs y_0..y_9. To fit ReferenceDesign (argmax),
// `logits` returns the NEGATED outputs −y; `vocab` is therefore 10 (the output width), although
// the token vocabulary has 14 ids (§1).
import { type ReferenceDesign, digitAt, relu } from './common.ts';

// §1 token ids.
export const EQ_TOK = 10;
export const BOS = 11;
export const EOS = 12;
export const PLUS = 13;

// §3 constants.
export const SLOPE3 = Math.LN10;
export const V1 = 0.1 / Math.exp(-40 - Math.LN10);
export const V2 = -1.1 / Math.exp(-40 - Math.LN10);
/** Layer-0 FFN up values: u_m = (m + 0.5)·1e10·100 (m = 0..9), u_10 = 1e10. */
export const U = [...Array.from({ length: 10 }, (_, m) => (m + 0.5) * 1e10 * 100), 1e10];

/** §3 embedding, dims [EQ, SPECIAL, DIGIT, COUNT, SCALE]. */
function embed(tok: number): number[] {
  if (tok <= 9) return [0, 0, 10 * tok, 0, 0];
  if (tok === EQ_TOK) return [1, 1, 0, 0, 0];
  if (tok === BOS || tok === PLUS) return [0, 1, 0, 0, 0];
  return [0, 0, 0, 0, 0]; // <eos>
}

/** softmax1: w_j = exp(s_j) / (1 + Σ exp(s_j')). Throws if any exp overflows. */
function softmax1(scores: readonly number[]): number[] {
  const e = scores.map((s) => Math.exp(s));
  if (e.some((v) => !Number.isFinite(v))) throw new Error(`softmax1 overflow: scores ${scores}`);
  let den = 1;
  for (const v of e) den += v;
  return e.map((v) => v / den);
}

/** §2: <bos>, a MSB first, +, b MSB first, = — length 23. */
function prompt(a: number, b: number): number[] {
  const p = [BOS];
  for (let k = 9; k >= 0; k--) p.push(digitAt(a, k));
  p.push(PLUS);
  for (let k = 9; k >= 0; k--) p.push(digitAt(b, k));
  p.push(EQ_TOK);
  return p;
}

/** §2: the 11 generated digits read as a decimal string, MSB first. */
function readAnswer(generated: number[]): number {
  let v = 0;
  for (const d of generated) v = v * 10 + d;
  return v;
}

/** Outputs y_0..y_9 of §3 "Layer 1 FFN and output" for every position. */
export function distances(tokens: number[]): number[][] {
  const x = tokens.map(embed);
  // Layer 0 attention: q_h = 1; k_3 = 960·SPECIAL − 1000, other k = 0; slope ln 10 on head 3.
  const key = (h: number, r: number[]): number => (h === 3 ? 960 * r[1]! - 1000 : 0);
  const val = (h: number, r: number[]): number => (h === 3 ? V1 * r[1]! + V2 * r[0]! : h === 4 ? r[0]! : 0);
  const slope = (h: number): number => (h === 3 ? SLOPE3 : 0);
  const r = x.map((xi, i) => {
    const ri = [...xi];
    for (let h = 0; h < 5; h++) {
      const w = softmax1(Array.from({ length: i + 1 }, (_, j) => 1 * key(h, x[j]!) + slope(h) * (j - i)));
      let s = 0;
      for (let j = 0; j <= i; j++) s += w[j]! * val(h, x[j]!);
      ri[h]! += s; // head h adds to residual dim h
    }
    // Layer 0 FFN: gates SCALE (m ≤ 9) / DIGIT (m = 10); hid_m = relu(gate)·(COUNT·u_m) → dim 5+m.
    for (let m = 0; m <= 10; m++) ri.push(relu(m < 10 ? ri[4]! : ri[2]!) * (ri[3]! * U[m]!));
    return ri;
  });
  return r.map((ri, i) => {
    // Layer 1 attention: Q = K = 0, softmax1 → 1/(i+2); v = 100·r[15] + 15; broadcast to all dims.
    const w = softmax1(Array.from({ length: i + 1 }, () => 0));
    let o = 0;
    for (let j = 0; j <= i; j++) o += w[j]! * (100 * r[j]![15]! + 15);
    const r1 = ri.map((v) => v + o);
    // Layer 1 FFN: f_m = (relu(1e4·r[5+m]) + relu(−1e4·r[5+m]))·100; y_m = r[m] + f_m.
    return Array.from({ length: 10 }, (_, m) => {
      const c = r1[5 + m]!;
      return r1[m]! + (relu(1e4 * c) + relu(-1e4 * c)) * 100;
    });
  });
}

export const design: ReferenceDesign = {
  name: 'adder-36p-alibi-2layer',
  vocab: 10,
  prompt,
  decodeSteps: 11,
  readAnswer, // §2: answer MSB first
  logits: (tokens) => distances(tokens).map((y) => y.map((v) => -v)), // −y so argmax = argmin y
};
