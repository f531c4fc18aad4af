// Linear relaxations of the unary functions: for x in [l, u], f(x) = α·x + μ + e with |e| ≤ δ.
// This is what lets affine forms pass through nonlinear operations while keeping their linear
// dependence on the input symbols (so, e.g., two hinges fed by the same value stay correlated).
//
// All use the "min-range" construction: α is the smaller of the two end slopes (for f' unimodal or
// monotone on [l, u]), so g(x) = f(x) − α·x is monotone on [l, u] and its range is [g(l), g(u)]
// (or reversed). Float64 evaluation errors of f, α and the products are absorbed by widening δ.
import { sigmoid, sigmoidSlope, tanhSlope } from '../domains/interval.ts';

export interface Relaxation {
  alpha: number;
  mu: number;
  delta: number;
}

export type UnaryFunction = 'exp' | 'log' | 'sqrt' | 'reciprocal' | 'sigmoid' | 'tanh' | 'relu' | 'abs' | 'silu';

/** Exact values of f, for tests and for points. */
export function evaluate(f: UnaryFunction, x: number): number {
  switch (f) {
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'reciprocal':
      return 1 / x;
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'abs':
      return Math.abs(x);
    case 'silu':
      return x * sigmoid(x);
  }
}

/** The interval [l, u] where f is defined and finite, or why it is not. */
export function domainProblem(f: UnaryFunction, l: number, u: number): string | undefined {
  if (!(l <= u) || !Number.isFinite(l) || !Number.isFinite(u)) return `input range [${l}, ${u}] is unbounded`;
  if (f === 'sqrt' && l < 0) return `sqrt of a range reaching ${l} < 0`;
  if (f === 'log' && l <= 0) return `log of a range reaching ${l} ≤ 0`;
  if (f === 'reciprocal' && l <= 0 && u >= 0) return `division by a range [${l}, ${u}] that contains 0`;
  if (f === 'exp' && u > 700) return `exp of a range reaching ${u} (overflow)`;
  return undefined;
}

const SLACK = 2 ** -49;

/**
 * A relaxation of f on [l, u]. Call domainProblem first: outside the domain this returns nonsense.
 * A point interval gives α = 0, μ = f(l).
 */
export function relax(f: UnaryFunction, l: number, u: number): Relaxation {
  if (l === u) {
    const y = evaluate(f, l);
    return { alpha: 0, mu: y, delta: Math.abs(y) * SLACK + 1e-300 };
  }
  switch (f) {
    case 'relu':
      if (l >= 0) return { alpha: 1, mu: 0, delta: 0 };
      if (u <= 0) return { alpha: 0, mu: 0, delta: 0 };
      return hinge(l, u, (x) => (x > 0 ? x : 0));
    case 'abs':
      if (l >= 0) return { alpha: 1, mu: 0, delta: 0 };
      if (u <= 0) return { alpha: -1, mu: 0, delta: 0 };
      return hinge(l, u, Math.abs);
    case 'exp':
      // convex, increasing: α = f'(l) makes g increasing.
      return monotone(f, l, u, Math.exp(l), true);
    case 'log':
      // concave, increasing: α = f'(u) = 1/u makes g increasing.
      return monotone(f, l, u, 1 / u, true);
    case 'sqrt':
      // concave, increasing: α = f'(u).
      return monotone(f, l, u, 0.5 / Math.sqrt(u), true);
    case 'reciprocal':
      // convex decreasing on (0, ∞) with α = f'(u) = −1/u²: g = 1/x + x/u² decreasing.
      // On (−∞, 0) it is concave decreasing; α = f'(l) = −1/l² makes g decreasing too.
      return l > 0 ? monotone(f, l, u, -1 / (u * u), false) : monotone(f, l, u, -1 / (l * l), false);
    case 'sigmoid':
      // σ' is unimodal (peak at 0), so its minimum over [l, u] is at an end: g increasing.
      return monotone(f, l, u, Math.min(sigmoidSlope(l), sigmoidSlope(u)), true);
    case 'tanh':
      return monotone(f, l, u, Math.min(tanhSlope(l), tanhSlope(u)), true);
    case 'silu':
      return silu(l, u);
  }
}

/** silu(x) = x·σ(x) has its minimum −0.27846… at x = −1.27846…, and no other turning point. */
const SILU_ARGMIN = -1.278464542761074;
const SILU_MIN = -0.27846454276107385;

/**
 * silu is neither convex nor has a unimodal slope, so: the better of (a) the chord, off by at most
 * (u − l)²/8 · max|silu''| on [l, u], and (b) the plain range. silu'' = σ'(x)(2 − x·tanh(x/2)) lies
 * in [−0.5, 0.5], and away from 0 it is at most e^−m·(2 + M) with m, M the least and greatest |x|
 * (σ'(x) ≤ e^−|x|).
 */
function silu(l: number, u: number): Relaxation {
  const fl = evaluate('silu', l);
  const fu = evaluate('silu', u);
  // Evaluation error of silu itself (x·σ(x) to a few ULPs, or exactly 0 when σ underflows).
  const slack = (Math.abs(fl) + Math.abs(fu)) * SLACK + 1e-300;
  const lo = l < SILU_ARGMIN && SILU_ARGMIN < u ? SILU_MIN * (1 + SLACK) : Math.min(fl, fu);
  const hi = Math.max(fl, fu);
  const range: Relaxation = { alpha: 0, mu: (lo + hi) / 2, delta: (hi - lo) / 2 + slack };
  const m = l <= 0 && u >= 0 ? 0 : Math.min(Math.abs(l), Math.abs(u));
  const M = Math.max(Math.abs(l), Math.abs(u));
  const curvature = Math.min(0.5, Math.exp(-m) * (2 + M));
  const alpha = (fu - fl) / (u - l);
  const chord: Relaxation = { alpha, mu: fl - alpha * l, delta: (curvature * (u - l) ** 2) / 8 + slack + Math.abs(alpha) * (Math.abs(l) + Math.abs(u)) * SLACK };
  return chord.delta < range.delta ? chord : range;
}

/** g(x) = f(x) − α·x is monotone (increasing or decreasing) on [l, u]: its range is between g(l), g(u). */
function monotone(f: UnaryFunction, l: number, u: number, alpha: number, increasing: boolean): Relaxation {
  const fl = evaluate(f, l);
  const fu = evaluate(f, u);
  const gl = fl - alpha * l;
  const gu = fu - alpha * u;
  const lo = increasing ? gl : gu;
  const hi = increasing ? gu : gl;
  // Evaluation error of f (a few ULPs), of α·x and of the subtraction, and the effect of α being
  // rounded (g is then monotone only up to |Δα|·(u − l) ≤ |α|·(|l| + |u|)·2^-52).
  const slack = (Math.abs(fl) + Math.abs(fu) + Math.abs(alpha) * (Math.abs(l) + Math.abs(u))) * SLACK + 1e-300;
  const mid = (lo + hi) / 2;
  const half = Math.max(hi - mid, mid - lo, 0);
  return { alpha, mu: mid, delta: half + slack + Math.abs(mid) * SLACK };
}

/** Relu and abs across 0: chord slope, g = f − α·x is convex with g(l) = g(u) and min g(0) = 0. */
function hinge(l: number, u: number, f: (x: number) => number): Relaxation {
  const alpha = (f(u) - f(l)) / (u - l);
  const top = Math.max(f(l) - alpha * l, f(u) - alpha * u);
  const slack = (Math.abs(f(l)) + Math.abs(f(u)) + Math.abs(alpha) * (Math.abs(l) + Math.abs(u))) * SLACK + 1e-300;
  return { alpha, mu: top / 2, delta: top / 2 + slack };
}
