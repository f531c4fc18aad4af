// Operations that only move elements (transpose, slice, gather with fixed indices, concat, expand,
// reshape): each is a map from output element to input element, applied the same way to affine
// tensors, integer tensors and token sets. ONNX semantics at opset 17.
import { ProofLimit, sizeOf, stridesOf } from '../domains/affine-tensor.ts';
import { broadcastIndex, broadcastShape } from './affine-ops.ts';
import { cached } from './memo.ts';

export interface Layout {
  shape: number[];
  /** Output element e reads input element index[e]. */
  index: Int32Array;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ProofLimit(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function identityLayout(shape: number[]): Layout {
  return cached(`I${shape}`, () => computeIdentity(shape));
}

function computeIdentity(shape: number[]): Layout {
  const n = sizeOf(shape);
  const index = new Int32Array(n);
  for (let e = 0; e < n; e++) index[e] = e;
  return { shape, index };
}

export function transposeLayout(shape: readonly number[], perm?: readonly number[]): Layout {
  return cached(`T${shape}|${perm ?? ''}`, () => computeTranspose(shape, perm));
}

function computeTranspose(shape: readonly number[], perm?: readonly number[]): Layout {
  const r = shape.length;
  const p = perm ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const out = p.map((a) => shape[a]!);
  const inStrides = stridesOf(shape);
  return { shape: out, index: sourceIndex(out, (d, c) => c * inStrides[p[d]!]!) };
}

/** For every element of an `out`-shaped tensor (row-major), the flat source index Σ_d offset(d, c_d)
 * of its coordinates c: the one loop behind transposes and slices. */
function sourceIndex(out: readonly number[], offset: (axis: number, coord: number) => number): Int32Array {
  const outStrides = stridesOf(out);
  const index = new Int32Array(sizeOf(out));
  for (let e = 0; e < index.length; e++) {
    let rem = e;
    let s = 0;
    for (let d = 0; d < out.length; d++) {
      const c = Math.floor(rem / outStrides[d]!);
      rem -= c * outStrides[d]!;
      s += offset(d, c);
    }
    index[e] = s;
  }
  return index;
}

/** Reshape target with ONNX's 0 (copy the input dim) and −1 (infer). */
export function reshapeTarget(shape: readonly number[], target: readonly number[]): number[] {
  const out = target.map((d, i) => (d === 0 ? shape[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = sizeOf(shape);
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1) throw new ProofLimit('Reshape with more than one −1');
  if (unknown === 1) out[out.indexOf(-1)] = total / known;
  if (sizeOf(out) !== total) throw new ProofLimit(`Reshape [${shape}] → [${target}] changes the size`);
  return out;
}

export function sliceLayout(shape: readonly number[], starts: number[], ends: number[], axes?: number[], steps?: number[]): Layout {
  return cached(`S${shape}|${starts}|${ends}|${axes ?? ''}|${steps ?? ''}`, () => computeSlice(shape, starts, ends, axes, steps));
}

function computeSlice(shape: readonly number[], starts: number[], ends: number[], axes?: number[], steps?: number[]): Layout {
  const r = shape.length;
  const from = shape.map(() => 0);
  const step = shape.map(() => 1);
  const count = [...shape];
  const ax = axes ?? starts.map((_, i) => i);
  ax.forEach((a0, i) => {
    const a = normAxis(a0, r);
    const dim = shape[a]!;
    const st = steps?.[i] ?? 1;
    if (st === 0) throw new ProofLimit('Slice with step 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = clamp(s, 0, dim);
      e = clamp(e, 0, dim);
      count[a] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = clamp(s, 0, dim - 1);
      e = clamp(e, -1, dim - 1);
      count[a] = Math.max(0, Math.ceil((e - s) / st));
    }
    from[a] = s;
    step[a] = st;
  });
  const inStrides = stridesOf(shape);
  return { shape: count, index: sourceIndex(count, (d, c) => (from[d]! + c * step[d]!) * inStrides[d]!) };
}

/** The last index along `axis` (the position the proof needs), keeping the axis with size 1. */
export function lastAlongLayout(shape: readonly number[], axis: number): Layout {
  const dim = shape[axis]!;
  return sliceLayout(shape, [dim - 1], [dim], [axis]);
}

export function gatherLayout(shape: readonly number[], indices: readonly number[], indexShape: readonly number[], axis0: number): Layout {
  return cached(`G${shape}|${indices}|${indexShape}|${axis0}`, () => computeGather(shape, indices, indexShape, axis0));
}

function computeGather(shape: readonly number[], indices: readonly number[], indexShape: readonly number[], axis0: number): Layout {
  const axis = normAxis(axis0, shape.length);
  const dim = shape[axis]!;
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const out = [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)];
  const index = new Int32Array(sizeOf(out));
  let e = 0;
  for (let o = 0; o < outer; o++) {
    for (const raw of indices) {
      const i = raw < 0 ? raw + dim : raw;
      if (i < 0 || i >= dim) throw new ProofLimit(`Gather index ${raw} out of range ${dim}`);
      for (let q = 0; q < inner; q++) index[e++] = (o * dim + i) * inner + q;
    }
  }
  return { shape: out, index };
}

/** Concat: for each output element, which input and which element of it. */
export function concatLayout(shapes: readonly number[][], axis0: number): { shape: number[]; part: Int32Array; index: Int32Array } {
  const r = shapes[0]!.length;
  const axis = normAxis(axis0, r);
  const out = [...shapes[0]!];
  out[axis] = shapes.reduce((s, sh) => s + sh[axis]!, 0);
  const outer = sizeOf(out.slice(0, axis));
  const inner = sizeOf(out.slice(axis + 1));
  const n = sizeOf(out);
  const part = new Int32Array(n);
  const index = new Int32Array(n);
  let e = 0;
  for (let o = 0; o < outer; o++) {
    shapes.forEach((sh, p) => {
      const block = sh[axis]! * inner;
      for (let q = 0; q < block; q++) {
        part[e] = p;
        index[e++] = o * block + q;
      }
    });
  }
  return { shape: out, part, index };
}

export function expandLayout(shape: readonly number[], target: readonly number[]): Layout {
  const out = broadcastShape(shape, target);
  return { shape: out, index: broadcastIndex(out, shape) };
}

export function unsqueezeShape(shape: readonly number[], axes: readonly number[]): number[] {
  const r = shape.length + axes.length;
  const norm = new Set(axes.map((a) => normAxis(a, r)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(norm.has(i) ? 1 : shape[j++]!);
  return out;
}

export function squeezeShape(shape: readonly number[], axes?: readonly number[]): number[] {
  const norm = axes ? new Set(axes.map((a) => normAxis(a, shape.length))) : undefined;
  return shape.filter((d, i) => (norm ? !norm.has(i) : d !== 1));
}
