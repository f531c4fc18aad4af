// Which rows each node must compute. A decode step only reads the logits of the last position, and
// after the last attention everything is per position, so most of the graph can run on the last
// row alone (its keys and values still come from every position). This pass walks the graph
// backwards from `logits` and, for each value, decides whether it is needed in full, only at the
// last index of one axis, or not at all; for each node, whether it can run on sliced inputs or must
// run in full and slice its output.
//
// Sequence axes are found from two sets of shapes computed at different lengths: an axis whose
// size changes with the length is a sequence axis.
import type { IrGraph, IrNode } from '../../ir/types.ts';
import type { Fusions } from './fusions.ts';

export type Demand = { kind: 'all' } | { kind: 'last'; axis: number };

export interface NodePlan {
  /** 'skip': output unused; 'full': compute as is; 'inputs': slice the listed inputs to their last
   * row, then compute; 'output': compute in full, then keep the last row of `outAxis`. */
  mode: 'skip' | 'full' | 'inputs' | 'output';
  inputAxes: (number | null)[];
  outAxis: number;
}

export interface RowPlan {
  nodes: NodePlan[];
  demand: Map<string, Demand>;
}

export type ShapeOf = (name: string) => readonly number[] | undefined;

export function planRows(
  graph: IrGraph,
  shortShapes: ShapeOf,
  longShapes: ShapeOf,
  intValue: (name: string) => readonly number[] | undefined,
  fusions: Fusions = { absorbed: new Set(), silu: new Set(), plainMatMul: new Set() },
): RowPlan {
  const isSeq = (name: string, axis: number) => {
    const a = shortShapes(name);
    const b = longShapes(name);
    return a !== undefined && b !== undefined && axis >= 0 && axis < a.length && a[axis] !== b[axis];
  };
  const demand = new Map<string, Demand>();
  const out = graph.outputs[0]!.name;
  demand.set(out, isSeq(out, 1) ? { kind: 'last', axis: 1 } : { kind: 'all' });
  const merge = (name: string, d: Demand) => {
    const had = demand.get(name);
    if (!had) demand.set(name, d);
    else if (had.kind === 'all' || d.kind === 'all' || had.axis !== d.axis) demand.set(name, { kind: 'all' });
  };

  const nodes: NodePlan[] = new Array(graph.nodes.length);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    // A fused chain (fusions.ts) reads only its first input; its inner nodes are never evaluated.
    const fused = fusions.silu.has(i);
    const node = fused ? { ...graph.nodes[i]!, op: 'Identity' as const, inputs: [graph.nodes[i]!.inputs[0]!] } : graph.nodes[i]!;
    const d = fusions.absorbed.has(i) ? undefined : node.outputs.map((o) => demand.get(o)).find((x) => x !== undefined);
    if (!d) {
      nodes[i] = { mode: 'skip', inputAxes: [], outAxis: -1 };
      continue;
    }
    if (d.kind === 'all' || node.outputs.length !== 1 || !isSeq(node.outputs[0]!, d.axis)) {
      node.inputs.forEach((n) => n && merge(n, { kind: 'all' }));
      nodes[i] = { mode: 'full', inputAxes: [], outAxis: -1 };
      continue;
    }
    const axes = inputAxes(node, d.axis, shortShapes, isSeq, intValue);
    if (axes === 'fallback') {
      node.inputs.forEach((n) => n && merge(n, { kind: 'all' }));
      nodes[i] = { mode: 'output', inputAxes: [], outAxis: d.axis };
      continue;
    }
    node.inputs.forEach((n, j) => {
      if (!n) return;
      const a = axes[j];
      merge(n, a === null || a === undefined ? { kind: 'all' } : { kind: 'last', axis: a });
    });
    nodes[i] = { mode: 'inputs', inputAxes: axes, outAxis: d.axis };
  }
  return { nodes, demand };
}

const UNARY = new Set(['Identity', 'Cast', 'Neg', 'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Abs', 'Erf']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'Where', 'Equal', 'Less']);

/** For output axis `a` demanded at its last index: the axis of each input to slice (null: that
 * input is needed in full), or 'fallback' when the node must run in full. */
function inputAxes(
  node: IrNode,
  a: number,
  shapeOf: ShapeOf,
  isSeq: (name: string, axis: number) => boolean,
  intValue: (name: string) => readonly number[] | undefined,
): (number | null)[] | 'fallback' {
  const outRank = shapeOf(node.outputs[0]!)!.length;
  const rank = (name: string) => shapeOf(name)?.length ?? 0;
  const seqOrNull = (name: string, axis: number) => (axis >= 0 && isSeq(name, axis) ? axis : null);
  const attrs = node.attrs ?? {};
  if (UNARY.has(node.op)) return [seqOrNull(node.inputs[0]!, a)];
  if (BROADCAST.has(node.op)) return node.inputs.map((n) => seqOrNull(n, a - (outRank - rank(n))));
  switch (node.op) {
    case 'Softmax': {
      const s = Number(attrs['axis'] ?? -1);
      return (s < 0 ? s + outRank : s) === a ? 'fallback' : [a];
    }
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceSum': {
      const inRank = rank(node.inputs[0]!);
      const raw = node.op === 'ReduceSum' ? intValue(node.inputs[1] ?? '') : (attrs['axes'] as number[] | undefined);
      const axes = (raw ?? Array.from({ length: inRank }, (_, i) => i)).map((x) => (x < 0 ? x + inRank : x));
      const keep = Number(attrs['keepdims'] ?? 1) === 1;
      // Map the output axis back to the input axis.
      let inAxis = -1;
      if (keep) inAxis = a;
      else {
        let seen = -1;
        for (let i = 0; i < inRank; i++) {
          if (axes.includes(i)) continue;
          if (++seen === a) inAxis = i;
        }
      }
      if (inAxis < 0 || axes.includes(inAxis)) return 'fallback';
      return [seqOrNull(node.inputs[0]!, inAxis), null];
    }
    case 'Transpose': {
      const r = rank(node.inputs[0]!);
      const perm = (attrs['perm'] as number[] | undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      return [seqOrNull(node.inputs[0]!, perm[a]!)];
    }
    case 'Reshape': {
      const inShape = shapeOf(node.inputs[0]!)!;
      const outShape = shapeOf(node.outputs[0]!)!;
      const before = outShape.slice(0, a).reduce((x, y) => x * y, 1);
      let prefix = 1;
      for (let j = 0; j < inShape.length; j++) {
        if (prefix === before && inShape[j] === outShape[a] && isSeq(node.inputs[0]!, j)) return [j, null];
        prefix *= inShape[j]!;
      }
      return 'fallback';
    }
    case 'MatMul': {
      const [x, y] = node.inputs as [string, string];
      const rx = rank(x);
      const ry = rank(y);
      if (rx < 2 || ry < 2) return 'fallback';
      if (a === outRank - 2) return [seqOrNull(x, rx - 2), null];
      if (a === outRank - 1) return [null, seqOrNull(y, ry - 1)];
      return [seqOrNull(x, a - (outRank - rx)), seqOrNull(y, a - (outRank - ry))];
    }
    case 'Gather': {
      const [data, idx] = node.inputs as [string, string];
      const g0 = Number(attrs['axis'] ?? 0);
      const g = g0 < 0 ? g0 + rank(data) : g0;
      const ri = rank(idx);
      if (a < g) return [seqOrNull(data, a), null];
      if (a < g + ri) return [null, seqOrNull(idx, a - g)];
      return [seqOrNull(data, a - ri + 1), null];
    }
    case 'Slice': {
      const r = rank(node.inputs[0]!);
      const starts = intValue(node.inputs[1]!);
      const axes = node.inputs[3] ? intValue(node.inputs[3]) : starts?.map((_, i) => i);
      if (!axes || axes.map((x) => (x < 0 ? x + r : x)).includes(a)) return 'fallback';
      return [seqOrNull(node.inputs[0]!, a), null, null, null, null].slice(0, node.inputs.length);
    }
    case 'Concat': {
      const c0 = Number(attrs['axis']);
      const c = c0 < 0 ? c0 + outRank : c0;
      if (c === a) return 'fallback';
      return node.inputs.map((n) => seqOrNull(n, a));
    }
    case 'Expand':
      return [seqOrNull(node.inputs[0]!, a - (outRank - rank(node.inputs[0]!))), null];
    default:
      return 'fallback';
  }
}
