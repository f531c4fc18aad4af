// Which nodes compute each position on its own. Within one decode step the proof evaluates
// thousands of input sets that differ at only a few positions; everything before the first
// attention depends on a position's own token (and its index) alone, so it is computed once per
// distinct (position, token set) on a small "basis" batch and copied to the sequences that need it
// (ir-bounds.ts). This module decides, from the shapes of probe runs, which values are:
//   - static: independent of the tokens and of the batch (constants, tables sliced to the length);
//   - positionwise: one batch axis and one sequence axis, and every element depends only on the
//     tokens at its own (sequence, position) — provided the node's inputs are static or positionwise
//     and the operation keeps batch and sequence axes apart.
import type { IrGraph, IrNode } from '../../ir/types.ts';
import type { Fusions } from './fusions.ts';
import type { RowPlan } from './row-plan.ts';

export interface TensorAxes {
  shape: readonly number[];
  batch: number[];
  seq: number[];
}

export interface Classification {
  staticNames: Set<string>;
  /** Values computed on the basis batch (positionwise, needed in full), and the graph input. */
  basisNames: Set<string>;
  basisNodes: boolean[];
  staticNodes: boolean[];
}

const ELEMENTWISE = new Set(['Identity', 'Cast', 'Neg', 'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Abs', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow']);
const RESHAPING = new Set(['Reshape', 'Unsqueeze', 'Squeeze']);

export function classify(
  graph: IrGraph,
  plan: RowPlan,
  axesOf: (name: string) => TensorAxes | undefined,
  batchFreeInts: (name: string) => boolean,
  intValue: (name: string) => readonly number[] | undefined,
  fusions: Fusions = { absorbed: new Set(), silu: new Set(), plainMatMul: new Set() },
): Classification {
  const staticNames = new Set(graph.consts.map((c) => c.name));
  const basisNames = new Set([graph.inputs[0]!.name]);
  const basisNodes: boolean[] = [];
  const staticNodes: boolean[] = [];
  graph.nodes.forEach((original, i) => {
    // A fused chain (fusions.ts) is a unary function of its first input; its inner nodes are never
    // evaluated.
    if (fusions.absorbed.has(i)) {
      basisNodes[i] = false;
      staticNodes[i] = false;
      return;
    }
    const node = fusions.silu.has(i) ? { ...original, op: 'Identity' as const, inputs: [original.inputs[0]!] } : original;
    const out = node.outputs[0]!;
    const inputs = node.inputs.filter((n) => n);
    const isStatic = node.op === 'Shape' ? batchFreeInts(out) : inputs.every((n) => staticNames.has(n));
    staticNodes[i] = isStatic && plan.nodes[i]!.mode !== 'skip';
    if (isStatic) {
      staticNames.add(out);
      basisNodes[i] = false;
      return;
    }
    const usable = plan.nodes[i]!.mode === 'full' && inputs.every((n) => staticNames.has(n) || basisNames.has(n));
    basisNodes[i] = usable && rowwise(node, axesOf, staticNames, intValue);
    if (basisNodes[i]) basisNames.add(out);
  });
  return { staticNames, basisNames, basisNodes, staticNodes };
}

/** The single batch and sequence axes of a value, if it has exactly one of each (and they differ). */
export function rowAxes(a: TensorAxes | undefined): { b: number; s: number } | undefined {
  if (!a || a.batch.length !== 1 || a.seq.length !== 1 || a.batch[0] === a.seq[0]) return undefined;
  return { b: a.batch[0]!, s: a.seq[0]! };
}

function prefix(shape: readonly number[], axis: number): number {
  return shape.slice(0, axis).reduce((x, y) => x * y, 1);
}

/** Does this node map (sequence, position) rows of its inputs to the same rows of its output? */
function rowwise(
  node: IrNode,
  axesOf: (name: string) => TensorAxes | undefined,
  staticNames: Set<string>,
  intValue: (name: string) => readonly number[] | undefined,
): boolean {
  const outAxes = axesOf(node.outputs[0]!);
  const o = rowAxes(outAxes);
  if (!o || !outAxes) return false;
  const R = outAxes.shape.length;
  const dynamic = node.inputs.filter((n) => n && !staticNames.has(n));
  const statics = node.inputs.filter((n) => n && staticNames.has(n));
  const ins = dynamic.map((n) => ({ name: n, axes: axesOf(n), rows: rowAxes(axesOf(n)) }));
  if (ins.some((x) => !x.rows || !x.axes)) return false;
  // Right-aligned broadcasting must put each input's batch/sequence axis on the output's.
  const aligned = (x: (typeof ins)[number]) => {
    const shift = R - x.axes!.shape.length;
    return x.rows!.b + shift === o.b && x.rows!.s + shift === o.s;
  };
  // A static input may vary along a sequence axis (a position table) only on the output's.
  const staticAligned = () =>
    statics.every((n) => {
      const a = axesOf(n);
      if (!a) return true;
      if (a.batch.length > 0) return false;
      const shift = R - a.shape.length;
      return a.seq.every((s) => s + shift === o.s);
    });
  const attrs = node.attrs ?? {};
  if (ELEMENTWISE.has(node.op)) return ins.every(aligned) && staticAligned();
  switch (node.op) {
    case 'Gather': {
      const axis = Number(attrs['axis'] ?? 0);
      const [data, idx] = node.inputs as [string, string];
      if (staticNames.has(data) && !staticNames.has(idx)) {
        // Embedding lookup: the indices' rows become the output's.
        const i = rowAxes(axesOf(idx));
        return axis === 0 && !!i && i.b === o.b && i.s === o.s && (axesOf(data)?.seq.length ?? 0) === 0;
      }
      if (!staticNames.has(data) && staticNames.has(idx)) {
        const d = ins[0]!.rows!;
        const g = axis < 0 ? axis + ins[0]!.axes!.shape.length : axis;
        const r = axesOf(idx)?.shape.length ?? 0;
        const moved = (a: number) => (a < g ? a : a + r - 1);
        return g !== d.b && g !== d.s && moved(d.b) === o.b && moved(d.s) === o.s;
      }
      return false;
    }
    case 'MatMul': {
      const [a, b] = node.inputs as [string, string];
      if (ins.length !== 1) return false;
      const x = ins[0]!;
      const r = x.axes!.shape.length;
      const contracted = x.name === a ? r - 1 : r - 2;
      const other = axesOf(x.name === a ? b : a);
      if (!other || other.seq.length > 0 || other.batch.length > 0) return false;
      return x.rows!.b !== contracted && x.rows!.s !== contracted && aligned(x);
    }
    case 'Softmax':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceSum': {
      if (ins.length !== 1) return false;
      const x = ins[0]!;
      const r = x.axes!.shape.length;
      const norm = (v: number) => (v < 0 ? v + r : v);
      const raw = node.op === 'Softmax' ? [Number(attrs['axis'] ?? -1)] : node.op === 'ReduceSum' ? intValue(node.inputs[1] ?? '') : (attrs['axes'] as number[] | undefined);
      if (!raw) return false;
      const axes = raw.map(norm);
      const keep = node.op === 'Softmax' || Number(attrs['keepdims'] ?? 1) === 1;
      return keep && !axes.includes(x.rows!.b) && !axes.includes(x.rows!.s) && x.rows!.b === o.b && x.rows!.s === o.s;
    }
    case 'Transpose': {
      if (ins.length !== 1) return false;
      const r = ins[0]!.axes!.shape.length;
      const perm = (attrs['perm'] as number[] | undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      return perm[o.b] === ins[0]!.rows!.b && perm[o.s] === ins[0]!.rows!.s;
    }
    case 'Slice': {
      if (ins.length !== 1 || ins[0]!.name !== node.inputs[0]) return false;
      const r = ins[0]!.axes!.shape.length;
      const starts = intValue(node.inputs[1]!);
      const sliced = node.inputs[3] ? intValue(node.inputs[3]) : starts?.map((_, i) => i);
      if (!sliced) return false;
      const axes = sliced.map((v) => (v < 0 ? v + r : v));
      const { b, s } = ins[0]!.rows!;
      return !axes.includes(b) && !axes.includes(s) && b === o.b && s === o.s && r === R;
    }
    default: {
      if (!RESHAPING.has(node.op) || ins.length !== 1 || ins[0]!.name !== node.inputs[0]) return false;
      // Same element order: rows line up when the dims before each axis hold as many elements.
      const x = ins[0]!;
      const inShape = x.axes!.shape;
      const outShape = outAxes.shape;
      return (
        prefix(inShape, x.rows!.b) === prefix(outShape, o.b) &&
        inShape[x.rows!.b] === outShape[o.b] &&
        prefix(inShape, x.rows!.s) === prefix(outShape, o.s) &&
        inShape[x.rows!.s] === outShape[o.s]
      );
    }
  }
}
