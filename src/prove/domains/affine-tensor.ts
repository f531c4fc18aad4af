// The abstract value of a float tensor: every element is an affine form
//
//     x = center + Σ_k coef[k]·ε(row, slot[k]) + e,   ε ∈ [−1, 1],  |e| ≤ err
//
// over noise symbols ε that are *local to a sequence position* (`row`): two elements share a
// symbol only if they belong to the same position. Before attention every operation is per
// position, so this keeps all the correlations that matter (channels of one position, a value fed
// to two hinges) while a tensor needs only a few symbol slots. Operations that mix positions
// (attention) bound their result as an interval and give it fresh symbols at the query position.
//
// `err` is uncorrelated slack: each use of it may take a different value, which is sound (it only
// enlarges the set) and is where tiny rounding errors go. Elements whose row is −1 carry no symbols.
// Every form encloses the value the *runtime* computes, rounding included.

import { down, up } from './interval.ts';

export class ProofLimit extends Error {
  override name = 'ProofLimit';
}

export class AffineTensor {
  softmax?: SoftmaxInfo;

  constructor(
    readonly shape: number[],
    readonly center: Float64Array,
    readonly err: Float64Array,
    readonly slots: Int32Array,
    /** size × K, element-major. */
    readonly coef: Float64Array,
    /** Sequence position of each element (symbol scope), −1 for none. */
    readonly row: Int32Array,
  ) {}

  get size(): number {
    return this.center.length;
  }

  get k(): number {
    return this.slots.length;
  }

  private sums?: Float64Array;

  /** Σ|coef| of element e (the symbolic part of its radius). Cached: call only once the tensor's
   * coefficients are final (operations fill fresh tensors and never read them back this way). */
  symbolic(e: number): number {
    const k = this.slots.length;
    if (k === 0) return 0;
    let sums = this.sums;
    if (!sums) {
      sums = new Float64Array(this.center.length);
      const c = this.coef;
      for (let j = 0; j < sums.length; j++) {
        let s = 0;
        for (let i = j * k, end = i + k; i < end; i++) s += Math.abs(c[i]!);
        sums[j] = s;
      }
      this.sums = sums;
    }
    return sums[e]!;
  }

  hasSymbols(e: number): boolean {
    return this.symbolic(e) > 0;
  }

  /** Radius of element e, rounded up. */
  radius(e: number): number {
    return (this.symbolic(e) + this.err[e]!) * (1 + (this.slots.length + 4) * 2 ** -52);
  }

  lo(e: number): number {
    const c = this.center[e]!;
    if (!Number.isFinite(c)) return c;
    const r = this.radius(e);
    return r === 0 ? c : down(c - r);
  }

  hi(e: number): number {
    const c = this.center[e]!;
    if (!Number.isFinite(c)) return c;
    const r = this.radius(e);
    return r === 0 ? c : up(c + r);
  }

  /** |x| ≤ magnitude(e) for every value the element can take. */
  magnitude(e: number): number {
    return Math.abs(this.center[e]!) + this.radius(e);
  }

  /** Exactly ±Infinity (a masked score): allowed only where an operation says so. */
  isInfinite(e: number): boolean {
    return !Number.isFinite(this.center[e]!);
  }
}

/** What a Softmax over the last axis knows beyond the interval of each weight. */
export interface SoftmaxInfo {
  /** Bounds on the exact (real) softmax of the runtime's scores; these sum to 1 per row. */
  realLo: Float64Array;
  realHi: Float64Array;
  /** computed = real·(1 + θ) + η with |θ| ≤ relErr[e] and |η| ≤ absErr. */
  relErr: Float64Array;
  absErr: number;
  /** Length of the softmax axis. */
  axisLength: number;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** A constant tensor (no symbols, no error). */
export function constantTensor(shape: number[], values: Float64Array): AffineTensor {
  const n = sizeOf(shape);
  if (values.length !== n) throw new Error(`constant of shape [${shape}] has ${values.length} values`);
  return new AffineTensor(shape, values, new Float64Array(n), new Int32Array(0), new Float64Array(0), new Int32Array(n).fill(-1));
}

/** Builds a tensor with the given slots, all-zero coefficients, zero center and error. */
export function emptyTensor(shape: number[], slots: Int32Array, row: Int32Array): AffineTensor {
  const n = sizeOf(shape);
  return new AffineTensor(shape, new Float64Array(n), new Float64Array(n), slots, new Float64Array(n * slots.length), row);
}

/** Element e of the output takes element index[e] of the input (reshape, transpose, slice, gather). */
export function reindex(x: AffineTensor, shape: number[], index: Int32Array): AffineTensor {
  const n = index.length;
  const k = x.k;
  const center = new Float64Array(n);
  const err = new Float64Array(n);
  const row = new Int32Array(n);
  const coef = new Float64Array(n * k);
  for (let e = 0; e < n; e++) {
    const s = index[e]!;
    center[e] = x.center[s]!;
    err[e] = x.err[s]!;
    row[e] = x.row[s]!;
    if (k > 0) coef.set(x.coef.subarray(s * k, s * k + k), e * k);
  }
  return new AffineTensor(shape, center, err, x.slots, coef, row);
}

/** Fresh slot ids for noise symbols. One allocator per evaluation keeps ids small. */
export class SymbolAllocator {
  private next = 0;
  fresh(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next++;
    return out;
  }
}

/** Slot lists merged: the union and, for each input, where its slots land in the union. */
export function unionSlots(...lists: Int32Array[]): { slots: Int32Array; maps: Int32Array[] } {
  const where = new Map<number, number>();
  const all: number[] = [];
  const maps = lists.map((l) => {
    const m = new Int32Array(l.length);
    for (let i = 0; i < l.length; i++) {
      const id = l[i]!;
      let at = where.get(id);
      if (at === undefined) {
        at = all.length;
        where.set(id, at);
        all.push(id);
      }
      m[i] = at;
    }
    return m;
  });
  return { slots: Int32Array.from(all), maps };
}

/** Per-row counters for attachErrors, kept zeroed between calls. */
let rowCounts: Int32Array = new Int32Array(1024);

function growCounts(n: number): Int32Array {
  let size = rowCounts.length;
  while (size < n) size *= 2;
  return new Int32Array(size);
}

/** Magnitude above which a new error gets its own symbol instead of going into `err`. */
const SYMBOL_THRESHOLD = 1e-11;

/**
 * Adds a new error to each element: as a fresh symbol where it is worth correlating (large
 * relative to the element, and the element has a row), else into `err`. Elements of one row get
 * distinct slots; different rows reuse the same slot ids (their symbols differ by row anyway).
 */
export function attachErrors(x: AffineTensor, add: Float64Array, mags: Float64Array, alloc: SymbolAllocator): AffineTensor {
  const n = x.size;
  const ordinal = new Int32Array(n);
  const touched: number[] = [];
  let extra = 0;
  for (let e = 0; e < n; e++) {
    const a = add[e]!;
    if (a === 0) continue;
    if (!(a <= Infinity)) throw new ProofLimit('an error bound is NaN');
    const r = x.row[e]!;
    if (r < 0 || a <= SYMBOL_THRESHOLD * mags[e]!) {
      x.err[e] = x.err[e]! + a;
      ordinal[e] = -1;
      continue;
    }
    if (r >= rowCounts.length) rowCounts = growCounts(r + 1);
    const o = rowCounts[r]!;
    if (o === 0) touched.push(r);
    rowCounts[r] = o + 1;
    ordinal[e] = o;
    if (o + 1 > extra) extra = o + 1;
  }
  for (const r of touched) rowCounts[r] = 0;
  if (extra === 0) return x;
  const k = x.k;
  const k2 = k + extra;
  const slots = new Int32Array(k2);
  slots.set(x.slots);
  slots.set(alloc.fresh(extra), k);
  const coef = new Float64Array(n * k2);
  for (let e = 0; e < n; e++) {
    if (k > 0) coef.set(x.coef.subarray(e * k, e * k + k), e * k2);
    const o = ordinal[e]!;
    if (add[e] !== 0 && o >= 0) coef[e * k2 + k + o] = add[e]!;
  }
  const out = new AffineTensor(x.shape, x.center, x.err, slots, coef, x.row);
  out.softmax = x.softmax;
  return out;
}

/** At most this many symbol slots per tensor; the weakest are folded into `err`. */
export const MAX_SLOTS = 24;

/** Drops all-zero slots and, above MAX_SLOTS, folds the weakest slots into `err` (sound: it only
 * forgets correlations). */
export function compact(x: AffineTensor, maxSlots = MAX_SLOTS): AffineTensor {
  const k = x.k;
  if (k === 0) return x;
  const n = x.size;
  const weight = new Float64Array(k);
  for (let e = 0; e < n; e++) for (let s = 0; s < k; s++) weight[s] = weight[s]! + Math.abs(x.coef[e * k + s]!);
  const order = Array.from({ length: k }, (_, s) => s).filter((s) => weight[s]! > 0);
  if (order.length === k && k <= maxSlots) return x;
  order.sort((a, b) => weight[b]! - weight[a]!);
  const keep = order.slice(0, maxSlots).sort((a, b) => a - b);
  const kept = new Set(keep);
  const k2 = keep.length;
  const coef = new Float64Array(n * k2);
  const err = Float64Array.from(x.err);
  for (let e = 0; e < n; e++) {
    let folded = 0;
    for (let s = 0; s < k; s++) {
      const c = x.coef[e * k + s]!;
      if (c === 0) continue;
      if (!kept.has(s)) folded += Math.abs(c);
    }
    for (let j = 0; j < k2; j++) coef[e * k2 + j] = x.coef[e * k + keep[j]!]!;
    if (folded > 0) err[e] = err[e]! + folded * (1 + (k + 4) * 2 ** -52);
  }
  const out = new AffineTensor(x.shape, x.center, err, Int32Array.from(keep.map((s) => x.slots[s]!)), coef, x.row);
  out.softmax = x.softmax;
  return out;
}

/** The same values with every symbol folded into `err` (an interval per element). */
export function toBox(x: AffineTensor): AffineTensor {
  if (x.k === 0) return x;
  const n = x.size;
  const err = new Float64Array(n);
  for (let e = 0; e < n; e++) err[e] = x.isInfinite(e) ? 0 : x.radius(e);
  return new AffineTensor(x.shape, x.center, err, new Int32Array(0), new Float64Array(0), x.row);
}
