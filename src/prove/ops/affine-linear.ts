// Linear operations on affine tensors: linear combinations (MatMul with a constant, ReduceSum and
// ReduceMean), products of two uncertain matrices (attention scores) and ReduceMax. Each result
// encloses what the runtime computes, its accumulation error included (float-model.ts).
import { AffineTensor, ProofLimit, attachErrors, compact, emptyTensor, sizeOf, stridesOf } from '../domains/affine-tensor.ts';
import { U64, broadcastIndex, broadcastShape, evalSlack, requireFinite, type OpContext } from './affine-ops.ts';
import { accumulationError, exactProduct, perTermSumError, roundingError } from './float-model.ts';
import { cached } from './memo.ts';

// ---------------------------------------------------------------- linear combinations

/** Output element o = Σ_t w[t]·x[idx[t]] for t in [start[o], start[o+1]), as the runtime sums it. */
export interface Combination {
  shape: number[];
  start: Int32Array;
  idx: Int32Array;
  w: Float64Array;
  /** The runtime computes each w[t]·x[idx[t]] as a product (a MatMul), rather than summing the
   * x and scaling after (a ReduceMean). */
  products?: boolean;
}

/** The exact linear combination of x's forms (symbols merge when the terms share a row; terms from
 * other rows are boxed), with the runtime's accumulation error for sums of that many terms. */
export function combine(x: AffineTensor, c: Combination, ctx: OpContext): AffineTensor {
  requireFinite(x, 'a sum');
  const n = sizeOf(c.shape);
  const k = x.k;
  const out = emptyTensor(c.shape, x.slots, new Int32Array(n));
  const add = new Float64Array(n);
  const mags = new Float64Array(n);
  // Per-term charging applies only to a MatMul's products (ctx), not to a ReduceMean's 1/n weights
  // (the runtime sums first and divides after).
  const perTerm = ctx.perTermSums === true && c.products === true;
  for (let o = 0; o < n; o++) {
    const t0 = c.start[o]!;
    const t1 = c.start[o + 1]!;
    let row = -1;
    let symbolRow = -1;
    let mixedRows = false;
    for (let t = t0; t < t1; t++) {
      const i = c.idx[t]!;
      const r = x.row[i]!;
      if (row === -1 && r >= 0) row = r;
      else if (r >= 0 && r !== row) mixedRows = true;
      if (symbolRow === -1 && k > 0 && x.hasSymbols(i)) symbolRow = r;
    }
    let center = 0;
    let err = 0;
    let mag = 0;
    let nonzero = 0;
    let productError = 0;
    const base = o * k;
    for (let t = t0; t < t1; t++) {
      const i = c.idx[t]!;
      const w = c.w[t]!;
      if (w === 0) continue;
      center += w * x.center[i]!;
      const aw = Math.abs(w);
      err += aw * x.err[i]!;
      const termMag = aw * x.magnitude(i);
      mag += termMag;
      if (perTerm) {
        nonzero++;
        if (!exactProduct(ctx.model, w, x.radius(i) === 0 ? x.center[i]! : undefined)) productError += roundingError(ctx.model, termMag);
      }
      if (k === 0) continue;
      if (x.row[i] === symbolRow) {
        for (let s = 0; s < k; s++) out.coef[base + s] += w * x.coef[i * k + s]!;
      } else {
        err += aw * x.symbolic(i);
      }
    }
    out.center[o] = center;
    out.err[o] = err;
    out.row[o] = symbolRow >= 0 ? symbolRow : mixedRows ? -1 : row;
    mags[o] = mag;
    const terms = t1 - t0;
    let rounding: number;
    if (perTerm) {
      // The exact result's magnitude: the form's centre and radius, plus this evaluation's own
      // float64 error in the centre.
      let linear = 0;
      for (let s = 0; s < k; s++) linear += Math.abs(out.coef[base + s]!);
      const result = Math.abs(center) + linear + err + (terms + k + 4) * U64 * mag;
      rounding = perTermSumError(ctx.model, nonzero, productError, mag, result);
    } else {
      rounding = accumulationError(ctx.model, terms, mag);
    }
    add[o] = rounding + evalSlack(k, terms) * mag;
  }
  return compact(attachErrors(out, add, mags, ctx.alloc));
}

// ---------------------------------------------------------------- MatMul

export function isExact(x: AffineTensor): boolean {
  if (x.k > 0) return false;
  for (let e = 0; e < x.size; e++) if (x.err[e] !== 0 || x.isInfinite(e)) return false;
  return true;
}

interface MatMulLayout {
  shape: number[];
  m: number;
  kk: number;
  n: number;
  /** Per batch index: element offsets of A's and B's matrices. */
  aOff: Int32Array;
  bOff: Int32Array;
}

export function matmulLayout(aShape: readonly number[], bShape: readonly number[]): MatMulLayout {
  return cached(`M${aShape}|${bShape}`, () => computeMatmulLayout(aShape, bShape));
}

function computeMatmulLayout(aShape: readonly number[], bShape: readonly number[]): MatMulLayout {
  if (aShape.length < 2 || bShape.length < 2) throw new ProofLimit('MatMul of a vector is not supported');
  const m = aShape[aShape.length - 2]!;
  const kk = aShape[aShape.length - 1]!;
  const kb = bShape[bShape.length - 2]!;
  const n = bShape[bShape.length - 1]!;
  if (kk !== kb) throw new ProofLimit(`MatMul of [${aShape}] and [${bShape}]: inner sizes differ`);
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const batch = broadcastShape(aBatch, bBatch);
  const ai = broadcastIndex(batch, aBatch);
  const bi = broadcastIndex(batch, bBatch);
  return {
    shape: [...batch, m, n],
    m,
    kk,
    n,
    aOff: ai.map((i) => i * m * kk),
    bOff: bi.map((i) => i * kk * n),
  };
}

/** x @ W with W exact, or W @ x: a linear combination of x. */
export function matmulWithConstant(a: AffineTensor, b: AffineTensor, constantSide: 'left' | 'right', ctx: OpContext): AffineTensor {
  const L = matmulLayout(a.shape, b.shape);
  const { m, kk, n } = L;
  const total = sizeOf(L.shape);
  const start = new Int32Array(total + 1);
  const idx = new Int32Array(total * kk);
  const w = new Float64Array(total * kk);
  let t = 0;
  let o = 0;
  for (let bt = 0; bt < L.aOff.length; bt++) {
    const ao = L.aOff[bt]!;
    const bo = L.bOff[bt]!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        start[o++] = t;
        for (let q = 0; q < kk; q++) {
          const ae = ao + i * kk + q;
          const be = bo + q * n + j;
          if (constantSide === 'right') {
            idx[t] = ae;
            w[t] = b.center[be]!;
          } else {
            idx[t] = be;
            w[t] = a.center[ae]!;
          }
          t++;
        }
      }
    }
  }
  start[o] = t;
  return combine(constantSide === 'right' ? a : b, { shape: L.shape, start, idx, w, products: true }, ctx);
}

/**
 * x @ y with both uncertain (attention scores q·kᵀ): each result element is bounded as an
 * interval, keeping the linear terms' cancellations (symbols of the same row and slot merge) and
 * bounding the quadratic terms.
 */
export function matmulBilinear(a: AffineTensor, b: AffineTensor, ctx: OpContext): AffineTensor {
  requireFinite(a, 'MatMul');
  requireFinite(b, 'MatMul');
  const L = matmulLayout(a.shape, b.shape);
  const { m, kk, n } = L;
  const total = sizeOf(L.shape);
  const out = emptyTensor(L.shape, new Int32Array(0), new Int32Array(total));
  const add = new Float64Array(total);
  const mags = new Float64Array(total);
  const ka = a.k;
  const kb = b.k;
  const lin = new Map<number, number>();
  let o = 0;
  for (let bt = 0; bt < L.aOff.length; bt++) {
    const ao = L.aOff[bt]!;
    const bo = L.bOff[bt]!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++, o++) {
        lin.clear();
        let center = 0;
        let quad = 0;
        let errPart = 0;
        let mag = 0;
        let row = -1;
        for (let q = 0; q < kk; q++) {
          const ae = ao + i * kk + q;
          const be = bo + q * n + j;
          const cx = a.center[ae]!;
          const cy = b.center[be]!;
          const ex = a.err[ae]!;
          const ey = b.err[be]!;
          if (ka === 0 && kb === 0) {
            // Intervals only (the usual case: attention queries and keys arrive as intervals).
            center += cx * cy;
            errPart += ex * (Math.abs(cy) + ey) + ey * Math.abs(cx);
            const m = (Math.abs(cx) + ex) * (Math.abs(cy) + ey);
            mag += m;
            if (row === -1) row = a.row[ae]! >= 0 ? a.row[ae]! : b.row[be]!;
            continue;
          }
          const rx = a.symbolic(ae) * (1 + (ka + 2) * U64);
          const ry = b.symbolic(be) * (1 + (kb + 2) * U64);
          if (row === -1) row = a.row[ae]! >= 0 ? a.row[ae]! : b.row[be]!;
          center += cx * cy;
          // Key a symbol by (row, slot id): the same symbol if and only if both agree.
          for (let s = 0; s < ka; s++) {
            const c = a.coef[ae * ka + s]!;
            if (c === 0) continue;
            const key = a.row[ae]! * 1e7 + a.slots[s]!;
            lin.set(key, (lin.get(key) ?? 0) + cy * c);
          }
          for (let s = 0; s < kb; s++) {
            const c = b.coef[be * kb + s]!;
            if (c === 0) continue;
            const key = b.row[be]! * 1e7 + b.slots[s]!;
            lin.set(key, (lin.get(key) ?? 0) + cx * c);
          }
          quad += rx * ry;
          errPart += ex * (Math.abs(cy) + ry + ey) + ey * (Math.abs(cx) + rx);
          mag += a.magnitude(ae) * b.magnitude(be);
        }
        let linear = 0;
        for (const v of lin.values()) linear += Math.abs(v);
        out.center[o] = center;
        out.err[o] = (linear + quad + errPart) * (1 + (lin.size + 3 * kk + 4) * U64);
        out.row[o] = row;
        mags[o] = mag;
        add[o] = accumulationError(ctx.model, kk, mag) + evalSlack(ka + kb, kk) * mag;
      }
    }
  }
  // Scores feed a softmax, which needs only intervals: no symbols.
  for (let e = 0; e < total; e++) out.err[e] = out.err[e]! + add[e]!;
  return out;
}

// ---------------------------------------------------------------- reductions

export type ReduceKind = 'sum' | 'mean' | 'max';

/** Normalised axes and, for each output element, the input elements it reduces. */
export function reduceGroups(shape: readonly number[], axes: readonly number[], keepdims: boolean): { shape: number[]; groups: Int32Array[] } {
  return cached(`R${shape}|${axes}|${keepdims}`, () => computeReduceGroups(shape, axes, keepdims));
}

function computeReduceGroups(shape: readonly number[], axes: readonly number[], keepdims: boolean): { shape: number[]; groups: Int32Array[] } {
  const r = shape.length;
  const norm = new Set(axes.map((a) => (a < 0 ? a + r : a)));
  for (const a of norm) if (a < 0 || a >= r) throw new ProofLimit(`reduce axis ${a} out of range for rank ${r}`);
  const outShape: number[] = [];
  shape.forEach((d, i) => {
    if (!norm.has(i)) outShape.push(d);
    else if (keepdims) outShape.push(1);
  });
  const kept = shape.map((d, i) => (norm.has(i) ? 1 : d));
  const nOut = sizeOf(kept);
  const groups: number[][] = Array.from({ length: nOut }, () => []);
  const strides = stridesOf(shape);
  const keptStrides = stridesOf(kept);
  const n = sizeOf(shape);
  for (let e = 0; e < n; e++) {
    let rem = e;
    let o = 0;
    for (let d = 0; d < r; d++) {
      const coord = Math.floor(rem / strides[d]!);
      rem -= coord * strides[d]!;
      if (!norm.has(d)) o += coord * keptStrides[d]!;
    }
    groups[o]!.push(e);
  }
  return { shape: outShape, groups: groups.map((g) => Int32Array.from(g)) };
}

export function reduce(kind: ReduceKind, x: AffineTensor, axes: readonly number[], keepdims: boolean, ctx: OpContext): AffineTensor {
  const { shape, groups } = reduceGroups(x.shape, axes, keepdims);
  if (kind === 'max') return reduceMax(x, shape, groups);
  const total = groups.reduce((s, g) => s + g.length, 0);
  const start = new Int32Array(groups.length + 1);
  const idx = new Int32Array(total);
  const w = new Float64Array(total);
  let t = 0;
  groups.forEach((g, o) => {
    start[o] = t;
    const weight = kind === 'mean' ? 1 / g.length : 1;
    for (const i of g) {
      idx[t] = i;
      w[t++] = weight;
    }
  });
  start[groups.length] = t;
  // A mean is the sum divided by n (two more roundings than the sum): combine's accumulation bound
  // already carries two spare roundings for exactly this.
  return combine(x, { shape, start, idx, w }, ctx);
}

function reduceMax(x: AffineTensor, shape: number[], groups: Int32Array[]): AffineTensor {
  const n = groups.length;
  const k = x.k;
  const out = emptyTensor(shape, x.slots, new Int32Array(n));
  groups.forEach((g, o) => {
    let best = -1;
    let bestLo = -Infinity;
    let hi = -Infinity;
    for (const i of g) {
      if (x.lo(i) > bestLo) {
        bestLo = x.lo(i);
        best = i;
      }
      hi = Math.max(hi, x.hi(i));
    }
    if (best < 0) {
      // No element has a lower bound above −∞. The maximum is exactly −∞ only when every element
      // is exactly −∞ (a fully masked row); an element bounded only from above stays refused.
      if (!g.every((i) => x.isInfinite(i) && x.center[i]! < 0)) throw new ProofLimit('ReduceMax of unbounded values');
      out.center[o] = -Infinity;
      out.row[o] = x.row[g[0]!]!;
      return;
    }
    const dominates = g.every((i) => i === best || x.hi(i) <= bestLo);
    if (dominates) {
      out.center[o] = x.center[best]!;
      out.err[o] = x.err[best]!;
      out.row[o] = x.row[best]!;
      for (let s = 0; s < k; s++) out.coef[o * k + s] = x.coef[best * k + s]!;
      return;
    }
    if (!Number.isFinite(bestLo) || !Number.isFinite(hi)) throw new ProofLimit('ReduceMax of unbounded values');
    out.center[o] = (bestLo + hi) / 2;
    out.err[o] = ((hi - bestLo) / 2) * (1 + 4 * U64) + Math.abs(out.center[o]!) * U64;
    out.row[o] = x.row[g[0]!]!;
  });
  return compact(out);
}
