// Elementwise arithmetic on affine tensors, with broadcasting: sums, products, quotients and the
// nonlinear functions through their linear relaxations (MatMul and reductions: affine-linear.ts).
// Each result encloses what the runtime computes: the exact operation on any values the inputs can
// take, plus that operation's rounding (float-model.ts), plus the rounding of this float64
// evaluation itself.
import {
  AffineTensor,
  ProofLimit,
  SymbolAllocator,
  attachErrors,
  compact,
  emptyTensor,
  sizeOf,
  stridesOf,
  unionSlots,
} from '../domains/affine-tensor.ts';
import { elementwiseError, type ElementwiseKernel, type FloatModel } from './float-model.ts';
import { domainProblem, relax, type UnaryFunction } from './relax.ts';
import { isquare, up } from '../domains/interval.ts';

export interface OpContext {
  model: FloatModel;
  alloc: SymbolAllocator;
  /** The operation is a MatMul that the runtime computes as written (no fusion changes its
   * arithmetic): its sums are charged per term (float-model.ts, `perTermSumError`). */
  perTermSums?: boolean;
}

export const U64 = 2 ** -52;

/** Relative slack for this evaluation's own float64 rounding, for results built from k slots. */
export function evalSlack(k: number, terms = 1): number {
  return (k + terms + 8) * U64;
}

// ---------------------------------------------------------------- broadcasting

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ProofLimit(`shapes [${a}] and [${b}] do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

const broadcastCache = new Map<string, Int32Array>();

/** For each element of `out`, the flat index of the element of `inp` it reads under broadcasting.
 * Cached by shapes (the same few shapes recur in every evaluation); callers must not modify it. */
export function broadcastIndex(out: readonly number[], inp: readonly number[]): Int32Array {
  const key = `${out.join(',')}|${inp.join(',')}`;
  let hit = broadcastCache.get(key);
  if (!hit) {
    hit = computeBroadcastIndex(out, inp);
    if (broadcastCache.size > 4096) broadcastCache.clear();
    broadcastCache.set(key, hit);
  }
  return hit;
}

function computeBroadcastIndex(out: readonly number[], inp: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const index = new Int32Array(n);
  const offset = out.length - inp.length;
  const inStrides = stridesOf(inp);
  const outStrides = stridesOf(out);
  for (let e = 0; e < n; e++) {
    let rem = e;
    let s = 0;
    for (let d = 0; d < out.length; d++) {
      const coord = Math.floor(rem / outStrides[d]!);
      rem -= coord * outStrides[d]!;
      const di = d - offset;
      if (di >= 0 && inp[di] !== 1) s += coord * inStrides[di]!;
    }
    index[e] = s;
  }
  return index;
}

export function requireFinite(x: AffineTensor, what: string): void {
  for (let e = 0; e < x.size; e++) if (x.isInfinite(e)) throw new ProofLimit(`${what} of an infinite value`);
}

// ---------------------------------------------------------------- elementwise

export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

export function binary(kind: BinaryKind, x: AffineTensor, y: AffineTensor, ctx: OpContext): AffineTensor {
  let out: AffineTensor;
  if (kind === 'div') out = quotient(x, y, ctx);
  else if (kind === 'mul') out = product(x, y, ctx, 'mul', x === y);
  else out = sum(x, y, kind === 'sub' ? -1 : 1, ctx);
  return checkOverflow(out, ctx);
}

/**
 * x / y. A divisor that is exactly ±∞ (an exponential that overflowed, as in t / (1 + e^−t) for a
 * very negative t) gives exactly 0 for a finite x, as in IEEE arithmetic; the rest goes through
 * the reciprocal's relaxation.
 */
function quotient(x: AffineTensor, y: AffineTensor, ctx: OpContext): AffineTensor {
  const infinite: number[] = [];
  for (let e = 0; e < y.size; e++) if (y.isInfinite(e)) infinite.push(e);
  if (infinite.length === 0) return product(x, unary('reciprocal', y, ctx, 'exact'), ctx, 'div', false);
  const finiteY = new AffineTensor(y.shape, Float64Array.from(y.center), y.err, y.slots, y.coef, y.row);
  for (const e of infinite) finiteY.center[e] = 1;
  const q = product(x, unary('reciprocal', finiteY, ctx, 'exact'), ctx, 'div', false);
  const shape = q.shape;
  const ix = broadcastIndex(shape, x.shape);
  const iy = broadcastIndex(shape, y.shape);
  const center = Float64Array.from(q.center);
  const err = Float64Array.from(q.err);
  const coef = Float64Array.from(q.coef);
  const K = q.k;
  for (let e = 0; e < center.length; e++) {
    if (!y.isInfinite(iy[e]!)) continue;
    if (x.isInfinite(ix[e]!)) throw new ProofLimit('∞ / ∞ in a division');
    center[e] = 0;
    err[e] = 0;
    coef.fill(0, e * K, (e + 1) * K);
  }
  return new AffineTensor(shape, center, err, q.slots, coef, q.row);
}

/** A finite bound past the dtype's largest value means the runtime may produce ±∞: refuse. */
function checkOverflow(out: AffineTensor, ctx: OpContext): AffineTensor {
  for (let e = 0; e < out.size; e++) {
    if (!out.isInfinite(e) && out.magnitude(e) > ctx.model.max) throw new ProofLimit(`a value may overflow ${ctx.model.dtype}`);
  }
  return out;
}

/** exp(x) is certainly +∞ in the runtime above this, certainly finite below the second value. */
const EXP_OVERFLOWS = { float64: 710, float32: 89 } as const;
const EXP_FINITE = { float64: 709.7, float32: 88.6 } as const;

/** Per output element: the two input elements, and whether y's symbols can be used alongside x's
 * (same row); where they cannot, y's symbolic part is treated as plain error. */
interface Pairing {
  shape: number[];
  ix: Int32Array;
  iy: Int32Array;
  slots: Int32Array;
  mapX: Int32Array;
  mapY: Int32Array;
}

function pair(x: AffineTensor, y: AffineTensor): Pairing {
  const shape = broadcastShape(x.shape, y.shape);
  const u = unionSlots(x.slots, y.slots);
  return { shape, ix: broadcastIndex(shape, x.shape), iy: broadcastIndex(shape, y.shape), slots: u.slots, mapX: u.maps[0]!, mapY: u.maps[1]! };
}

function sum(x: AffineTensor, y: AffineTensor, sign: 1 | -1, ctx: OpContext): AffineTensor {
  if (x.k === 0 && y.k === 0) return sumOfIntervals(x, y, sign, ctx);
  const p = pair(x, y);
  const n = sizeOf(p.shape);
  const out = emptyTensor(p.shape, p.slots, new Int32Array(n));
  const K = p.slots.length;
  const kx = x.k;
  const ky = y.k;
  const add = new Float64Array(n);
  const mags = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const a = p.ix[e]!;
    const b = p.iy[e]!;
    const infX = x.isInfinite(a);
    const infY = y.isInfinite(b);
    if (infX || infY) {
      // A masked score plus anything finite stays exactly masked; ∞ − ∞ is NaN in the runtime.
      const v = (infX ? x.center[a]! : 0) + sign * (infY ? y.center[b]! : 0);
      if (Number.isNaN(v)) throw new ProofLimit('∞ − ∞ in an addition');
      out.center[e] = v;
      out.row[e] = infX ? x.row[a]! : y.row[b]!;
      continue;
    }
    const symX = kx > 0 && x.hasSymbols(a);
    const symY = ky > 0 && y.hasSymbols(b);
    const together = !(symX && symY) || x.row[a] === y.row[b];
    out.row[e] = symX ? x.row[a]! : symY ? y.row[b]! : x.row[a]! >= 0 ? x.row[a]! : y.row[b]!;
    const cx = x.center[a]!;
    const cy = y.center[b]!;
    out.center[e] = cx + sign * cy;
    const o = e * K;
    for (let s = 0; s < kx; s++) out.coef[o + p.mapX[s]!] += x.coef[a * kx + s]!;
    let ey = y.err[b]!;
    if (together) for (let s = 0; s < ky; s++) out.coef[o + p.mapY[s]!] += sign * y.coef[b * ky + s]!;
    else ey += y.symbolic(b);
    out.err[e] = x.err[a]! + ey;
    const mag = x.magnitude(a) + y.magnitude(b);
    mags[e] = mag;
    add[e] = elementwiseError(ctx.model, 'add', mag) + evalSlack(K) * mag;
  }
  return compact(attachErrors(out, add, mags, ctx.alloc));
}

/** sum() for two symbol-free tensors (attention scores plus a mask): the same bounds, less work. */
function sumOfIntervals(x: AffineTensor, y: AffineTensor, sign: 1 | -1, ctx: OpContext): AffineTensor {
  const shape = broadcastShape(x.shape, y.shape);
  const ix = broadcastIndex(shape, x.shape);
  const iy = broadcastIndex(shape, y.shape);
  const n = ix.length;
  const out = emptyTensor(shape, new Int32Array(0), new Int32Array(n));
  const model = ctx.model;
  for (let e = 0; e < n; e++) {
    const a = ix[e]!;
    const b = iy[e]!;
    const cx = x.center[a]!;
    const cy = y.center[b]!;
    out.row[e] = x.row[a]! >= 0 ? x.row[a]! : y.row[b]!;
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) {
      const v = cx + sign * cy;
      if (Number.isNaN(v)) throw new ProofLimit('∞ − ∞ in an addition');
      out.center[e] = v;
      continue;
    }
    const ex = x.err[a]!;
    const ey = y.err[b]!;
    const mag = Math.abs(cx) + ex + Math.abs(cy) + ey;
    out.center[e] = cx + sign * cy;
    out.err[e] = (ex + ey) * (1 + 4 * U64) + elementwiseError(model, 'add', mag) + 8 * U64 * mag;
  }
  return out;
}

function product(x: AffineTensor, y: AffineTensor, ctx: OpContext, kernel: ElementwiseKernel, sameTensor: boolean): AffineTensor {
  requireFinite(x, 'multiplication');
  requireFinite(y, 'multiplication');
  const p = pair(x, y);
  const n = sizeOf(p.shape);
  const out = emptyTensor(p.shape, p.slots, new Int32Array(n));
  const K = p.slots.length;
  const kx = x.k;
  const ky = y.k;
  const add = new Float64Array(n);
  const mags = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const a = p.ix[e]!;
    const b = p.iy[e]!;
    const cx = x.center[a]!;
    const cy = y.center[b]!;
    const ex = x.err[a]!;
    const rx = x.symbolic(a) * (1 + (kx + 2) * U64);
    const o = e * K;
    let quad: number;
    let errPart: number;
    if (sameTensor && a === b) {
      // x·x = c² + 2c·L + L² with L² ∈ [0, r²]: centre the square term.
      out.center[e] = cx * cx + (rx * rx) / 2;
      for (let s = 0; s < kx; s++) out.coef[o + p.mapX[s]!] += 2 * cx * x.coef[a * kx + s]!;
      quad = (rx * rx) / 2;
      errPart = 2 * (Math.abs(cx) + rx) * ex + ex * ex;
      out.row[e] = x.row[a]!;
    } else {
      const symX = kx > 0 && rx > 0;
      const symY = ky > 0 && y.hasSymbols(b);
      const together = !(symX && symY) || x.row[a] === y.row[b];
      let ey = y.err[b]!;
      let ry = y.symbolic(b) * (1 + (ky + 2) * U64);
      out.center[e] = cx * cy;
      for (let s = 0; s < kx; s++) out.coef[o + p.mapX[s]!] += cy * x.coef[a * kx + s]!;
      if (together) {
        for (let s = 0; s < ky; s++) out.coef[o + p.mapY[s]!] += cx * y.coef[b * ky + s]!;
      } else {
        ey += ry;
        ry = 0;
      }
      quad = rx * ry;
      errPart = ex * (Math.abs(cy) + ry + ey) + ey * (Math.abs(cx) + rx);
      out.row[e] = symX ? x.row[a]! : symY ? y.row[b]! : x.row[a]! >= 0 ? x.row[a]! : y.row[b]!;
    }
    const mag = x.magnitude(a) * y.magnitude(b);
    out.err[e] = errPart;
    mags[e] = mag;
    add[e] = quad + elementwiseError(ctx.model, kernel, mag) + evalSlack(K) * mag;
    // The affine form of a wide square can dip below zero, and a following sqrt (a norm) needs
    // its sign: when it does, the interval square is used instead (sound; it only forgets the
    // square's correlation with its input, which a norm does not need).
    if (!(sameTensor && a === b)) continue;
    const hull = isquare({ lo: x.lo(a), hi: x.hi(a) });
    let linear = 0;
    for (let s = 0; s < K; s++) linear += Math.abs(out.coef[o + s]!);
    const formLo = out.center[e]! - linear - errPart - add[e]!;
    if (formLo < hull.lo) {
      const rounding = elementwiseError(ctx.model, kernel, mag) + evalSlack(K) * mag;
      out.center[e] = hull.lo / 2 + hull.hi / 2;
      out.coef.fill(0, o, o + K);
      out.err[e] = 0;
      add[e] = up((hull.hi - hull.lo) / 2) + Math.abs(out.center[e]!) * U64 + rounding;
      mags[e] = 0;
    }
  }
  return compact(attachErrors(out, add, mags, ctx.alloc));
}

const KERNEL_OF: Record<UnaryFunction, ElementwiseKernel> = {
  exp: 'exp',
  log: 'log',
  sqrt: 'sqrt',
  reciprocal: 'div',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  relu: 'exact',
  abs: 'exact',
  silu: 'silu',
};

/** f applied elementwise through its relaxation; `kernel` overrides the runtime's rounding model
 * (the reciprocal inside a division is not a separate runtime operation). */
export function unary(f: UnaryFunction, x: AffineTensor, ctx: OpContext, kernel: ElementwiseKernel = KERNEL_OF[f]): AffineTensor {
  if (f !== 'exp') requireFinite(x, f);
  const n = x.size;
  const k = x.k;
  const out = emptyTensor(x.shape, x.slots, Int32Array.from(x.row));
  const add = new Float64Array(n);
  const mags = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    if (x.isInfinite(e)) {
      // Only exp gets here. A masked entry (exactly −∞, as in softmax1's exp(score − max)) gives
      // exactly 0 in IEEE arithmetic and in the runtime; it is charged the underflow allowance
      // that every result carries. exp(+∞) is not needed anywhere: refused.
      if (x.center[e]! > 0) throw new ProofLimit('exp of +∞');
      out.center[e] = ctx.model.eta / 2;
      out.err[e] = ctx.model.eta / 2;
      continue;
    }
    const l = x.lo(e);
    const h = x.hi(e);
    if (f === 'exp' && l >= EXP_OVERFLOWS[ctx.model.dtype]) {
      out.center[e] = Infinity; // e^x overflows: exactly +∞ (coefficients and error stay 0)
      continue;
    }
    if (f === 'exp' && h > EXP_FINITE[ctx.model.dtype]) throw new ProofLimit(`exp of a range reaching ${h}: it may overflow ${ctx.model.dtype}`);
    const problem = domainProblem(f, l, h);
    if (problem) throw new ProofLimit(problem);
    const { alpha, mu, delta } = relax(f, l, h);
    const cx = x.center[e]!;
    out.center[e] = alpha * cx + mu;
    if (alpha !== 0) for (let s = 0; s < k; s++) out.coef[e * k + s] = alpha * x.coef[e * k + s]!;
    out.err[e] = Math.abs(alpha) * x.err[e]!;
    const fmag = Math.abs(alpha) * Math.max(Math.abs(l), Math.abs(h)) + Math.abs(mu) + delta;
    const mag = Math.abs(alpha) * x.magnitude(e) + Math.abs(mu);
    mags[e] = fmag;
    add[e] = delta + elementwiseError(ctx.model, kernel, fmag) + evalSlack(k) * (mag + fmag);
  }
  return checkOverflow(compact(attachErrors(out, add, mags, ctx.alloc)), ctx);
}

export function negate(x: AffineTensor): AffineTensor {
  const out = new AffineTensor(x.shape, x.center.map((v) => -v), Float64Array.from(x.err), x.slots, x.coef.map((v) => -v), x.row);
  return out;
}

/** Elementwise max/min: exact in floating point. One side dominating keeps its form; otherwise
 * the interval hull. */
export function extremum(which: 'max' | 'min', x: AffineTensor, y: AffineTensor): AffineTensor {
  const p = pair(x, y);
  const n = sizeOf(p.shape);
  const out = emptyTensor(p.shape, p.slots, new Int32Array(n));
  const K = p.slots.length;
  for (let e = 0; e < n; e++) {
    const a = p.ix[e]!;
    const b = p.iy[e]!;
    const [xl, xh, yl, yh] = [x.lo(a), x.hi(a), y.lo(b), y.hi(b)];
    const xWins = which === 'max' ? xl >= yh : xh <= yl;
    const yWins = which === 'max' ? yl >= xh : yh <= xl;
    if (xWins || yWins) {
      const [t, i, map] = xWins ? [x, a, p.mapX] : [y, b, p.mapY];
      out.center[e] = t.center[i]!;
      out.err[e] = t.err[i]!;
      out.row[e] = t.row[i]!;
      for (let s = 0; s < t.k; s++) out.coef[e * K + map[s]!] = t.coef[i * t.k + s]!;
      continue;
    }
    const lo = which === 'max' ? Math.max(xl, yl) : Math.min(xl, yl);
    const hi = which === 'max' ? Math.max(xh, yh) : Math.min(xh, yh);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new ProofLimit(`${which} of unbounded values`);
    out.center[e] = (lo + hi) / 2;
    out.err[e] = ((hi - lo) / 2) * (1 + 4 * U64) + Math.abs(out.center[e]!) * U64;
    out.row[e] = x.row[a]! >= 0 ? x.row[a]! : y.row[b]!;
  }
  return compact(out);
}
