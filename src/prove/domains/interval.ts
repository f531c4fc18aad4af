// Scalar interval arithmetic over the reals, computed in float64 with outward rounding, and the
// elementary functions the IR uses. Every result encloses the exact real result for every point
// of the input intervals; how the *model's* float arithmetic rounds is added separately
// (float-model.ts), so these are the mathematical functions.
//
// JavaScript has no directed rounding, so results are widened by a relative 2^-50 (four float64
// roundings' worth) plus a tiny absolute amount: enough for one correctly rounded operation, or a
// libm function (V8's exp/log/tanh are fdlibm ports, accurate to < 1 ULP), with room.

export interface Interval {
  lo: number;
  hi: number;
}

const REL = 2 ** -50;
const ABS = 2 ** -1060;

/** A float ≥ the exact value of a quantity computed as x with a few roundings. */
export function up(x: number): number {
  if (!Number.isFinite(x)) return x;
  return x + (Math.abs(x) * REL + ABS);
}

/** A float ≤ the exact value of a quantity computed as x with a few roundings. */
export function down(x: number): number {
  // A quantity computed as +∞ overflowed: it is at least the largest float.
  if (x === Infinity) return Number.MAX_VALUE;
  if (!Number.isFinite(x)) return x;
  return x - (Math.abs(x) * REL + ABS);
}

/** Upper bound of a non-negative sum of n rounded terms computed as `x`. */
export function upSum(x: number, n: number): number {
  return x * (1 + (n + 4) * 2 ** -52) + ABS;
}

export function point(x: number): Interval {
  return { lo: x, hi: x };
}

export function iadd(a: Interval, b: Interval): Interval {
  return { lo: down(a.lo + b.lo), hi: up(a.hi + b.hi) };
}

export function isub(a: Interval, b: Interval): Interval {
  return { lo: down(a.lo - b.hi), hi: up(a.hi - b.lo) };
}

export function ineg(a: Interval): Interval {
  return { lo: -a.hi, hi: -a.lo };
}

export function imul(a: Interval, b: Interval): Interval {
  const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi].map((v) => (Number.isNaN(v) ? 0 : v));
  return { lo: down(Math.min(...p)), hi: up(Math.max(...p)) };
}

/** x² is tighter than x·x when the interval straddles zero. */
export function isquare(a: Interval): Interval {
  const l = Math.abs(a.lo);
  const h = Math.abs(a.hi);
  const hi = up(Math.max(l, h) ** 2);
  const lo = a.lo <= 0 && a.hi >= 0 ? 0 : Math.max(0, down(Math.min(l, h) ** 2));
  return { lo, hi };
}

export function idiv(a: Interval, b: Interval): Interval {
  return imul(a, ireciprocal(b));
}

export function ireciprocal(b: Interval): Interval {
  if (b.lo <= 0 && b.hi >= 0) return { lo: -Infinity, hi: Infinity };
  return { lo: down(1 / b.hi), hi: up(1 / b.lo) };
}

export function isqrt(a: Interval): Interval {
  if (a.lo < 0) return { lo: NaN, hi: NaN };
  return { lo: Math.max(0, down(Math.sqrt(a.lo))), hi: up(Math.sqrt(a.hi)) };
}

export function iexp(a: Interval): Interval {
  return { lo: Math.max(0, down(Math.exp(a.lo))), hi: up(Math.exp(a.hi)) };
}

export function ilog(a: Interval): Interval {
  if (a.lo <= 0) return { lo: a.hi <= 0 ? NaN : -Infinity, hi: a.hi <= 0 ? NaN : up(Math.log(a.hi)) };
  return { lo: down(Math.log(a.lo)), hi: up(Math.log(a.hi)) };
}

export function isigmoid(a: Interval): Interval {
  return { lo: Math.max(0, down(sigmoid(a.lo))), hi: Math.min(1, up(sigmoid(a.hi))) };
}

export function itanh(a: Interval): Interval {
  return { lo: Math.max(-1, down(Math.tanh(a.lo))), hi: Math.min(1, up(Math.tanh(a.hi))) };
}

export function irelu(a: Interval): Interval {
  return { lo: Math.max(0, a.lo), hi: Math.max(0, a.hi) };
}

export function iabs(a: Interval): Interval {
  if (a.lo >= 0) return a;
  if (a.hi <= 0) return ineg(a);
  return { lo: 0, hi: Math.max(-a.lo, a.hi) };
}

export function imax(a: Interval, b: Interval): Interval {
  return { lo: Math.max(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

export function imin(a: Interval, b: Interval): Interval {
  return { lo: Math.min(a.lo, b.lo), hi: Math.min(a.hi, b.hi) };
}

/** The logistic function, written so that neither tail overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** σ'(x) = σ(x)·σ(−x), accurate in both tails. */
export function sigmoidSlope(x: number): number {
  return sigmoid(x) * sigmoid(-x);
}

/** tanh'(x) = 1 − tanh²(x) = 4σ(2x)σ(−2x), accurate in both tails. */
export function tanhSlope(x: number): number {
  return 4 * sigmoidSlope(2 * x);
}
