// The rounding model a proof assumes for the runtime's arithmetic. A proof is only as good as this
// file: every IR operation's computed result is assumed to lie within the bound given here of the
// exact (real-number) result of that operation on the operation's actual floating-point inputs.
//
// - Basic operations (+ − × ÷ √) are IEEE correctly rounded: error ≤ u·|result|. Division and
//   square root get 2u so that a kernel computing x·(1/y) or a vectorised sqrt is still covered.
// - Sums of n products (MatMul, ReduceSum/Mean) in any accumulation order, with or without FMA:
//   error ≤ γ(n + 2)·Σ|terms| with γ(m) = m·u / (1 − m·u) (Higham's bound for recursive summation,
//   plus two roundings for a scale or a fused bias).
// - A MatMul with a constant that ONNX Runtime cannot fuse with a neighbour (graph/fusions.ts says
//   which) is charged per term instead (`perTermSumError`): each product rounded once, each of the
//   additions once, every rounding at most half the float spacing of its binade (`roundingError`),
//   in any order, with or without FMA. Products that are exact (a weight ±2^k or 0, or a product of
//   two known floats that is itself a float) are charged nothing.
// - exp, log, tanh, sigmoid: a few ULPs (`ulps` below), plus an absolute allowance where float32
//   kernels clamp their argument (ONNX Runtime's MLAS logistic and tanh saturate at ±18 and ±9).
// - silu, which the graph spells t / (1 + exp(−t)) (Neg, Exp, Add, Div) and the prover bounds as
//   one function: the sum of those operations' errors, plus the absolute error where exp overflows
//   (the runtime's t / ∞ = 0 against an exact value below 1e−305, or 1e−35 in float32).
// - Underflow: every result may additionally be off by the smallest normal number `eta`, which
//   covers gradual underflow and flush-to-zero of results.
import type { FloatDType } from '../../ir/types.ts';

export interface FloatModel {
  dtype: FloatDType;
  /** Unit roundoff: half an ULP of 1. */
  u: number;
  /** Absolute slack per result for underflow (smallest positive normal number). */
  eta: number;
  /** Largest finite value: a bound past it means the runtime may produce ±Infinity. */
  max: number;
  /** Relative error of each elementwise kernel, in units of u. */
  ulps: Readonly<Record<ElementwiseKernel, number>>;
  /** Absolute error allowance of each elementwise kernel (saturating approximations). */
  absolute: Readonly<Record<ElementwiseKernel, number>>;
}

export type ElementwiseKernel = 'add' | 'mul' | 'div' | 'sqrt' | 'exp' | 'log' | 'sigmoid' | 'tanh' | 'silu' | 'exact';

const F64: FloatModel = {
  dtype: 'float64',
  u: 2 ** -53,
  eta: 2 ** -1022,
  max: Number.MAX_VALUE,
  ulps: { add: 1, mul: 1, div: 2, sqrt: 2, exp: 4, log: 4, sigmoid: 8, tanh: 8, silu: 8, exact: 0 },
  // silu is t / (1 + e^−t) in the graph: for t below −709.78 e^−t overflows and the runtime gives
  // 0 where the exact value is at most 709.78·e^−709.78 < 1e−305.
  absolute: { add: 0, mul: 0, div: 0, sqrt: 0, exp: 0, log: 0, sigmoid: 0, tanh: 0, silu: 1e-300, exact: 0 },
};

const F32: FloatModel = {
  dtype: 'float32',
  u: 2 ** -24,
  eta: 2 ** -126,
  max: 3.4028234663852886e38,
  ulps: { add: 1, mul: 1, div: 2, sqrt: 2, exp: 8, log: 8, sigmoid: 16, tanh: 16, silu: 12, exact: 0 },
  // MLAS computes logistic(x) on x clamped to [−18, 18] (logistic(−18) ≈ 1.5e−8) and tanh on
  // [−9, 9] (1 − tanh(9) ≈ 3e−8); 5e−8 covers both with room.
  absolute: { add: 0, mul: 0, div: 0, sqrt: 0, exp: 0, log: 0, sigmoid: 5e-8, tanh: 5e-8, silu: 1e-35, exact: 0 },
};

export function floatModel(dtype: FloatDType): FloatModel {
  return dtype === 'float64' ? F64 : F32;
}

/** γ(m) = m·u / (1 − m·u): the relative error bound of a sum of m terms. */
export function gamma(model: FloatModel, m: number): number {
  const mu = m * model.u;
  if (mu >= 0.5) throw new Error(`gamma(${m}) is meaningless in ${model.dtype}`);
  return mu / (1 - mu);
}

/** Bound on |computed − exact| for an elementwise kernel whose exact result has magnitude ≤ mag. */
export function elementwiseError(model: FloatModel, kernel: ElementwiseKernel, mag: number): number {
  if (kernel === 'exact') return 0;
  return model.ulps[kernel] * model.u * mag + model.absolute[kernel] + model.eta;
}

/** Bound on |computed − exact| for a sum of n terms whose absolute values add up to ≤ sumAbs. */
export function accumulationError(model: FloatModel, n: number, sumAbs: number): number {
  return gamma(model, n + 2) * sumAbs + (n + 2) * model.eta;
}

/**
 * Softmax computes exp(x − max) with the subtraction rounded, so the exponent carries an absolute
 * error of about |x − max|·u and the exponential a relative error of e^{|x − max|·u} − 1. This is
 * that factor for an entry `spread` below the row maximum (n terms; a log-sum-exp formulation adds
 * log n + 1 to the exponent's magnitude, which is included).
 */
export function softmaxExponentError(model: FloatModel, n: number, spread: number): number {
  const x = 2 * (spread + Math.log(n) + 1) * model.u;
  // expm1(x) ≤ x(1 + x) for 0 ≤ x ≤ 1, and it is cheaper.
  return x <= 1 ? x * (1 + x) : Math.expm1(x);
}

/** Relative error of softmax's own arithmetic on top of the exponent's: the exponential's ULPs,
 * the row sum of n terms, and a division or a multiplication by a rounded reciprocal. */
export function softmaxArithmeticError(model: FloatModel, n: number): number {
  return gamma(model, n + 2 * model.ulps.exp + 8);
}

/**
 * The largest error of rounding to nearest a real number of magnitude ≤ m: half the spacing of
 * the floats in m's binade, u·2^⌊log2 m⌋ (every |z| ≤ m lies in that binade or a lower one, and
 * a value rounded up to 2^(⌊log2 m⌋ + 1) moved by at most the same). Below the smallest normal
 * number it is `eta`, which also covers a result flushed to zero. This is at most u·m and can be
 * half of it (m just under a power of two).
 */
export function roundingError(model: FloatModel, m: number): number {
  if (!(m > 0)) return 0;
  if (m < model.eta) return model.eta;
  if (m === Infinity) return Infinity;
  // m is the prover's float64 upper bound: nudged up so that its own rounding cannot move it
  // below a power of two it really reaches.
  const v = m * (1 + 2 ** -50);
  let p = 2 ** Math.floor(Math.log2(v));
  if (p > v) p /= 2;
  else if (p * 2 <= v) p *= 2;
  return model.u * p;
}

/**
 * Bound on |computed − exact| for Σ p_i over n nonzero terms (p_i = w_i·x_i), computed by the
 * runtime in ANY order (any tree of additions), each product rounded once or fused into an
 * addition (FMA), each addition rounded once; terms that are exactly 0 add nothing (s + 0 = s).
 *
 * - `productError`: Σ roundingError(P_i) over the products that are not exact, |p_i| ≤ P_i.
 * - `total` = Σ P_i, `result` ≥ |Σ p_i| (the exact result).
 *
 * Every partial sum's exact value is a sum of a subset of the rounded products plus the errors of
 * the additions below it, so |partial| ≤ (total + productError)·(1 + u)^(n − 1) ≤ M below; each of
 * the first n − 2 additions errs by at most roundingError(M). The last addition's exact value is
 * the exact result plus every earlier error, so it errs by at most roundingError of
 * result + productError + those errors. An FMA only removes product roundings, so the same bound
 * holds. `eta` per operation covers results flushed to zero.
 */
export function perTermSumError(model: FloatModel, n: number, productError: number, total: number, result: number): number {
  const flush = 2 * n * model.eta;
  if (n <= 1) return productError + flush;
  const M = (total + productError) * (1 + gamma(model, n));
  const inner = (n - 2) * roundingError(model, M);
  const last = roundingError(model, Math.min(M, result + productError + inner));
  return productError + inner + last + flush;
}

/** Whether w·x is computed exactly: a weight ±2^k (barring underflow, which `eta` covers) or 0,
 * or, in float32, two known floats whose product is itself a float32 (the float64 product of two
 * float32 values is exact, so comparing it with its float32 rounding decides). */
export function exactProduct(model: FloatModel, w: number, x: number | undefined): boolean {
  const a = Math.abs(w);
  if (a === 0) return true;
  if (2 ** Math.round(Math.log2(a)) === a) return true;
  if (x === undefined || model.dtype !== 'float32') return false;
  const p = w * x;
  return Math.fround(w) === w && Math.fround(x) === x && Math.fround(p) === p;
}
