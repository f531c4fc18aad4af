// One IR node on abstract values: the dispatch from ONNX operators to the affine-tensor kernels,
// exact integer arithmetic for shapes and indices, and the embedding lookup of token sets.
import type { IrNode } from '../../ir/types.ts';
import { AffineTensor, ProofLimit, emptyTensor, unionSlots } from '../domains/affine-tensor.ts';
import { binary, extremum, negate, unary, type OpContext } from '../ops/affine-ops.ts';
import { isExact, matmulBilinear, matmulWithConstant, reduce } from '../ops/affine-linear.ts';
import { attentionMix, softmaxLastAxis } from '../ops/attention-bounds.ts';
import {
  concatLayout,
  expandLayout,
  gatherLayout,
  identityLayout,
  reshapeTarget,
  sliceLayout,
  squeezeShape,
  transposeLayout,
  unsqueezeShape,
} from '../ops/layouts.ts';
import { MAX_VOCAB, applyLayout, shapeOfValue, type Value } from './values.ts';

/** ONNX TensorProto element types. */
const ONNX_FLOAT = 1;
const ONNX_DOUBLE = 11;

function float(v: Value | undefined, node: IrNode): AffineTensor {
  if (!v || v.kind !== 'float') throw new ProofLimit(`${node.op} ${node.name}: expected a float input`);
  return v.t;
}

function ints(v: Value | undefined, node: IrNode): number[] {
  if (!v || v.kind !== 'int') throw new ProofLimit(`${node.op} ${node.name}: expected an integer input`);
  return v.data;
}

function attrNumber(node: IrNode, name: string, fallback: number): number {
  const a = node.attrs?.[name];
  return a === undefined ? fallback : Number(a);
}

export function evaluateNode(node: IrNode, inputs: (Value | undefined)[], ctx: OpContext): Value {
  return checkFinite(node, evaluateOp(node, inputs, ctx), ctx);
}

/** A bound past the largest float means the runtime may produce ±∞ where the bounds assume a
 * number: refused. Only exactly infinite values (masks, overflowed exponentials) are understood. */
export function checkFinite(node: IrNode, out: Value, ctx: OpContext): Value {
  if (out.kind === 'float') {
    const t = out.t;
    for (let e = 0; e < t.size; e++) {
      if (!t.isInfinite(e) && t.magnitude(e) > ctx.model.max) throw new ProofLimit(`${node.op} ${node.name} may overflow ${ctx.model.dtype}`);
    }
  }
  return out;
}

function evaluateOp(node: IrNode, inputs: (Value | undefined)[], ctx: OpContext): Value {
  const [x, y] = inputs;
  const f = (t: AffineTensor): Value => ({ kind: 'float', t });
  switch (node.op) {
    case 'Identity':
      return x!;
    case 'Cast': {
      // Only a cast to the model's own float type (a no-op) is understood: any other cast rounds.
      // The IR spells the target as an element type name ('float' is the model's dtype) or the
      // ONNX enum.
      const to = node.attrs?.['to'];
      const own = ctx.model.dtype === 'float64' ? ONNX_DOUBLE : ONNX_FLOAT;
      const same = to === 'float' || to === ctx.model.dtype || to === own;
      if (x!.kind !== 'float' || !same) throw new ProofLimit(`Cast to ${String(to)} is not supported`);
      return x!;
    }
    case 'Shape': {
      const shape = shapeOfValue(x!);
      const r = shape.length;
      const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const start = norm(attrNumber(node, 'start', 0));
      const end = norm(attrNumber(node, 'end', r));
      const data = shape.slice(start, end);
      return { kind: 'int', shape: [data.length], data };
    }
    case 'Concat': {
      const axis = attrNumber(node, 'axis', 0);
      const parts = inputs as Value[];
      const layout = concatLayout(parts.map(shapeOfValue), axis);
      if (parts.every((p) => p.kind === 'int')) {
        const data = Array.from(layout.index, (i, e) => (parts[layout.part[e]!] as { data: number[] }).data[i]!);
        return { kind: 'int', shape: layout.shape, data };
      }
      return f(concatFloats(parts.map((p) => float(p, node)), layout));
    }
    case 'Gather': {
      const axis = attrNumber(node, 'axis', 0);
      if (y!.kind === 'tokens') return f(gatherTokens(float(x, node), y!, axis, ctx));
      const idx = y!;
      if (idx.kind !== 'int') throw new ProofLimit('Gather with computed float indices');
      return applyLayout(x!, gatherLayout(shapeOfValue(x!), idx.data, idx.shape, axis));
    }
    case 'Slice': {
      const starts = ints(inputs[1], node);
      const ends = ints(inputs[2], node);
      const axes = inputs[3] ? ints(inputs[3], node) : undefined;
      const steps = inputs[4] ? ints(inputs[4], node) : undefined;
      return applyLayout(x!, sliceLayout(shapeOfValue(x!), starts, ends, axes, steps));
    }
    case 'Reshape': {
      const shape = reshapeTarget(shapeOfValue(x!), ints(y, node));
      return applyLayout(x!, { ...identityLayout(shape) });
    }
    case 'Transpose':
      return applyLayout(x!, transposeLayout(shapeOfValue(x!), node.attrs?.['perm'] as number[] | undefined));
    case 'Unsqueeze':
      return applyLayout(x!, identityLayout(unsqueezeShape(shapeOfValue(x!), ints(y, node))));
    case 'Squeeze':
      return applyLayout(x!, identityLayout(squeezeShape(shapeOfValue(x!), y ? ints(y, node) : undefined)));
    case 'Expand':
      return applyLayout(x!, expandLayout(shapeOfValue(x!), ints(y, node)));
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      if (x!.kind === 'int' || y!.kind === 'int') throw new ProofLimit(`integer ${node.op} is not supported`);
      return f(binary(node.op.toLowerCase() as 'add', float(x, node), float(y, node), ctx));
    case 'Pow': {
      const e = float(y, node);
      if (!isExact(e) || e.size !== 1) throw new ProofLimit('Pow with a non-constant exponent');
      const p = e.center[0]!;
      if (p === 2) return f(binary('mul', float(x, node), float(x, node), ctx));
      if (p === 1) return x!;
      if (p === 0.5) return f(unary('sqrt', float(x, node), ctx));
      throw new ProofLimit(`Pow with exponent ${p}`);
    }
    case 'Neg':
      return f(negate(float(x, node)));
    case 'Relu':
      return f(unary('relu', float(x, node), ctx));
    case 'Abs':
      return f(unary('abs', float(x, node), ctx));
    case 'Sigmoid':
      return f(unary('sigmoid', float(x, node), ctx));
    case 'Tanh':
      return f(unary('tanh', float(x, node), ctx));
    case 'Exp':
      return f(unary('exp', float(x, node), ctx));
    case 'Log':
      return f(unary('log', float(x, node), ctx));
    case 'Sqrt':
      return f(unary('sqrt', float(x, node), ctx));
    case 'Max':
    case 'Min': {
      const which = node.op === 'Max' ? 'max' : 'min';
      return f((inputs as Value[]).map((v) => float(v, node)).reduce((a, b) => extremum(which, a, b)));
    }
    case 'MatMul': {
      const a = float(x, node);
      const b = float(y, node);
      if (isExact(b)) return f(matmulWithConstant(a, b, 'right', ctx));
      if (isExact(a)) return f(matmulWithConstant(a, b, 'left', ctx));
      if (a.softmax) return f(attentionMix(a, b, ctx));
      return f(matmulBilinear(a, b, ctx));
    }
    case 'Softmax': {
      const a = float(x, node);
      const axis = attrNumber(node, 'axis', -1);
      if (axis !== -1 && axis !== a.shape.length - 1) throw new ProofLimit('Softmax over an axis other than the last');
      return f(softmaxLastAxis(a, ctx));
    }
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceSum': {
      const a = float(x, node);
      const keep = attrNumber(node, 'keepdims', 1) === 1;
      const given = node.op === 'ReduceSum' ? (y ? ints(y, node) : undefined) : (node.attrs?.['axes'] as number[] | undefined);
      const axes = given && given.length > 0 ? given : a.shape.map((_, i) => i);
      const kind = node.op === 'ReduceMean' ? 'mean' : node.op === 'ReduceSum' ? 'sum' : 'max';
      return f(reduce(kind, a, axes, keep, ctx));
    }
    default:
      throw new ProofLimit(`operation ${node.op} is not supported by the prover`);
  }
}

function concatFloats(parts: AffineTensor[], layout: { shape: number[]; part: Int32Array; index: Int32Array }): AffineTensor {
  const u = unionSlots(...parts.map((p) => p.slots));
  const K = u.slots.length;
  const n = layout.index.length;
  const out = emptyTensor(layout.shape, u.slots, new Int32Array(n));
  for (let e = 0; e < n; e++) {
    const p = parts[layout.part[e]!]!;
    const i = layout.index[e]!;
    const map = u.maps[layout.part[e]!]!;
    out.center[e] = p.center[i]!;
    out.err[e] = p.err[i]!;
    out.row[e] = p.row[i]!;
    for (let s = 0; s < p.k; s++) out.coef[e * K + map[s]!] = p.coef[i * p.k + s]!;
  }
  return out;
}

/**
 * Embedding lookup of token sets: a position with one possible token gets that row exactly; a
 * position with several gets, per channel, the midpoint of the rows' range plus one fresh symbol
 * for the half-width (local to that position).
 */
function gatherTokens(table: AffineTensor, ids: Extract<Value, { kind: 'tokens' }>, axis: number, ctx: OpContext): AffineTensor {
  if (axis !== 0 || table.shape.length !== 2 || !isExact(table)) throw new ProofLimit('token lookup must be a Gather on axis 0 of a constant table');
  const [vocab, d] = table.shape as [number, number];
  const n = ids.sets.length;
  const shape = [...ids.shape, d];
  if (vocab > MAX_VOCAB) throw new ProofLimit(`vocabularies over ${MAX_VOCAB} tokens are not supported`);
  const slots = ctx.alloc.fresh(d);
  const out = emptyTensor(shape, slots, new Int32Array(n * d));
  for (let p = 0; p < n; p++) {
    const mask = ids.sets[p]!;
    if (mask === 0) throw new ProofLimit(`position ${ids.row[p]} has no possible token`);
    if (mask >>> vocab !== 0) throw new ProofLimit(`position ${ids.row[p]} allows a token outside the vocabulary`);
    for (let c = 0; c < d; c++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let t = 0; t < vocab; t++) {
        if (!(mask & (1 << t))) continue;
        const v = table.center[t * d + c]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const e = p * d + c;
      out.row[e] = ids.row[p]!;
      if (lo === hi) {
        out.center[e] = lo;
        continue;
      }
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new ProofLimit('embedding rows with infinite values');
      const mid = lo / 2 + hi / 2;
      out.center[e] = mid;
      out.coef[e * d + c] = Math.max(hi - mid, mid - lo) * (1 + 2 ** -50);
      out.err[e] = Math.abs(mid) * 2 ** -52;
    }
  }
  return out;
}
