// Evaluating an IrGraph on sets of inputs. `input_ids` holds a *set* of tokens per position; every
// float value is an affine tensor that encloses what the runtime computes for every choice of
// tokens from those sets (rounding included, float-model.ts); integer values (shapes, indices) are
// computed exactly. Only the last position's logits are produced.
//
// Many sequences are bounded in one call ("leaves": they share most positions). Per length, once:
// a row plan (row-plan.ts: what is needed only at the last position) and a classification
// (positionwise.ts). Per call, three passes:
//   static — values independent of tokens and batch, computed once per length and kept;
//   basis  — positionwise values on a small batch holding each distinct (position, token set);
//   leaf   — the rest, per sequence, copying basis rows where needed.
import type { FloatDType, IrGraph } from '../../ir/types.ts';
import { AffineTensor, ProofLimit, SymbolAllocator, constantTensor, reindex, sizeOf, stridesOf, toBox } from '../domains/affine-tensor.ts';
import type { OpContext } from '../ops/affine-ops.ts';
import { floatModel, type FloatModel } from '../ops/float-model.ts';
import { evaluateNode, checkFinite } from './ir-node-bounds.ts';
import { findFusions, type Fusions } from './fusions.ts';
import { unary } from '../ops/affine-ops.ts';
import { lastAlongLayout } from '../ops/layouts.ts';
import { classify, rowAxes, type Classification, type TensorAxes } from './positionwise.ts';
import { planRows, type RowPlan } from './row-plan.ts';
import { MAX_VOCAB, applyLayout, shapeOfValue, type Value } from './values.ts';
import { checkDeadline } from './budget.ts';

export interface EvaluateOptions {
  /** Compute every node in full on every sequence (no plan, no basis): for tests. */
  full?: boolean;
  /** Stop with OutOfTime once `performance.now()` passes this (checked between nodes). */
  deadline?: number;
}

interface Prepared {
  plan: RowPlan;
  classes: Classification;
  axes: Map<string, TensorAxes>;
  staticValues: Map<string, Value>;
  /** Static values already cut to the last row by their node's plan. */
  staticSliced: Set<string>;
  /** Per node, the values it is the last reader of: dropped once it has run, so a batch holds
   * only the values still to be read (most of a graph's intermediate tensors are read once). */
  lastReads: string[][];
}

/** An IrGraph prepared for bounding: constants converted once, plans cached per length. */
export class GraphBounds {
  readonly dtype: FloatDType;
  readonly vocab: number;
  private readonly consts = new Map<string, Value>();
  private readonly prepared = new Map<number, Prepared>();
  private readonly inputName: string;
  private readonly outputName: string;
  private readonly fusions: Fusions;

  constructor(readonly graph: IrGraph) {
    this.dtype = graph.dtype;
    if (graph.inputs.length !== 1 || graph.inputs[0]!.elem !== 'int64') throw new ProofLimit('the graph must have one int64 input (token ids)');
    this.inputName = graph.inputs[0]!.name;
    const out = graph.outputs[0];
    const v = out?.shape[out.shape.length - 1];
    if (!out || typeof v !== 'number' || out.shape.length !== 3) throw new ProofLimit('the graph output must be logits [batch, seq, vocab]');
    if (v > MAX_VOCAB) throw new ProofLimit(`vocabularies over ${MAX_VOCAB} tokens are not supported`);
    this.vocab = v;
    this.outputName = out.name;
    this.fusions = findFusions(graph);
    for (const c of graph.consts) {
      if (c.elem === 'int64') {
        this.consts.set(c.name, { kind: 'int', shape: [...c.shape], data: Array.from(c.data as BigInt64Array, Number) });
      } else {
        const data = c.data as Float64Array;
        // The ONNX file stores float32 constants rounded to nearest, as Math.fround does.
        const values = this.dtype === 'float32' ? Float64Array.from(data, Math.fround) : data;
        this.consts.set(c.name, { kind: 'float', t: constantTensor([...c.shape], values) });
      }
    }
  }

  /** The rounding model the bounds assume for this graph's dtype. */
  get model(): FloatModel {
    return floatModel(this.dtype);
  }

  private context(): OpContext {
    return { model: floatModel(this.dtype), alloc: new SymbolAllocator() };
  }

  /** Node i on its inputs (resolved by `input`, which is called only for the inputs used). */
  private compute(i: number, input: (j: number) => Value | undefined, ctx: OpContext): Value {
    const node = this.graph.nodes[i]!;
    if (this.fusions.silu.has(i)) {
      const x = input(0);
      if (!x || x.kind !== 'float') throw new ProofLimit(`${node.name}: silu of a non-float value`);
      return checkFinite(node, { kind: 'float', t: unary('silu', x.t, ctx) }, ctx);
    }
    const c = this.fusions.plainMatMul.has(i) ? { ...ctx, perTermSums: true } : ctx;
    return evaluateNode(node, node.inputs.map((_, j) => input(j)), c);
  }

  /** Nodes that are not evaluated (absorbed into a fused chain). */
  private absorbed(i: number): boolean {
    return this.fusions.absorbed.has(i);
  }

  /**
   * Bounds on the logits at the last position for every choice of tokens, for `batch` sequences:
   * `tokenSets` is row-major [batch, length], each entry the bitmask of tokens possible there.
   * Returns a [batch, 1, vocab] affine tensor. Sequences never share symbols.
   */
  evaluate(tokenSets: Int32Array, batch = 1, opts: EvaluateOptions = {}): AffineTensor {
    const length = tokenSets.length / batch;
    if (!Number.isInteger(length) || length < 1) throw new Error('token sets do not fill [batch, length]');
    if (opts.full) {
      const out = this.runPlain(tokenSets, batch).get(this.outputName);
      if (!out || out.kind !== 'float') throw new ProofLimit('the graph produced no float logits');
      return reindex(out.t, lastAlongLayout(out.t.shape, 1).shape, lastAlongLayout(out.t.shape, 1).index);
    }
    return this.runPlanned(tokenSets, batch, length, this.prepare(length, opts.deadline ?? Infinity), opts.deadline ?? Infinity);
  }

  /**
   * Plans the evaluation of sequences of `length` (also done on first use). Throws ProofLimit when
   * the graph cannot be bounded at all (an unsupported operation, say), so that a caller can refuse
   * before bounding anything.
   */
  prepareLength(length: number, deadline = Infinity): void {
    this.prepare(length, deadline);
  }

  /** Every node in full, on the given batch (probes and tests). */
  private runPlain(tokenSets: Int32Array, batch: number, deadline = Infinity): Map<string, Value> {
    const ctx = this.context();
    const values = new Map<string, Value>(this.consts);
    values.set(this.inputName, tokensValue(tokenSets, batch));
    this.graph.nodes.forEach((node, i) => {
      if (this.absorbed(i)) return;
      checkDeadline(deadline);
      values.set(node.outputs[0]!, this.compute(i, (j) => (node.inputs[j] ? values.get(node.inputs[j]!) : undefined), ctx));
    });
    return values;
  }

  /** Plan and classification for sequences of `length`, from probe runs at (batch 2, length − 1),
   * (2, length) and (3, length): axes whose size follows the length are sequence axes, those that
   * follow the batch are batch axes. */
  private prepare(length: number, deadline = Infinity): Prepared {
    const hit = this.prepared.get(length);
    if (hit) return hit;
    if (length < 2) throw new ProofLimit('sequences shorter than 2 are not supported');
    const probe = (b: number, n: number) => this.runPlain(new Int32Array(b * n).fill(1), b, deadline);
    const short = probe(2, length - 1);
    const long = probe(2, length);
    const wide = probe(3, length);
    const shapeIn = (m: Map<string, Value>) => (name: string) => {
      const v = m.get(name);
      return v ? shapeOfValue(v) : undefined;
    };
    const intValue = (name: string) => {
      const v = long.get(name);
      return v?.kind === 'int' ? v.data : undefined;
    };
    const plan = planRows(this.graph, shapeIn(short), shapeIn(long), intValue, this.fusions);
    const axes = new Map<string, TensorAxes>();
    for (const [name, v] of long) {
      const a = shapeOfValue(v);
      const s = shapeIn(short)(name);
      const w = shapeIn(wide)(name);
      if (!s || !w || s.length !== a.length || w.length !== a.length) continue;
      axes.set(name, { shape: a, seq: a.flatMap((d, i) => (d !== s[i] ? [i] : [])), batch: a.flatMap((d, i) => (d !== w[i] ? [i] : [])) });
    }
    const batchFree = (name: string) => {
      const a = long.get(name);
      const b = wide.get(name);
      return a?.kind === 'int' && b?.kind === 'int' && a.data.join() === b.data.join();
    };
    const classes = classify(this.graph, plan, (n) => axes.get(n), batchFree, intValue, this.fusions);

    // Static values: computed once. Only Shape reads the input, and only its length.
    const ctx = this.context();
    const staticValues = new Map<string, Value>(this.consts);
    const staticSliced = new Set<string>();
    staticValues.set(this.inputName, tokensValue(new Int32Array(length).fill(1), 1));
    this.graph.nodes.forEach((node, i) => {
      if (!classes.staticNodes[i] || this.absorbed(i)) return;
      const p = plan.nodes[i]!;
      const input = (j: number) => {
        const name = node.inputs[j];
        if (!name) return undefined;
        const v = staticValues.get(name)!;
        const axis = p.mode === 'inputs' ? p.inputAxes[j] : null;
        return axis === null || axis === undefined || staticSliced.has(name) ? v : applyLayout(v, lastAlongLayout(shapeOfValue(v), axis));
      };
      let out = this.compute(i, input, ctx);
      if (p.mode === 'output') out = applyLayout(out, lastAlongLayout(shapeOfValue(out), p.outAxis));
      staticValues.set(node.outputs[0]!, out);
      if (p.mode === 'output' || p.mode === 'inputs') staticSliced.add(node.outputs[0]!);
    });
    staticValues.delete(this.inputName);
    const prepared: Prepared = { plan, classes, axes, staticValues, staticSliced, lastReads: lastReaders(this.graph, this.outputName) };
    this.prepared.set(length, prepared);
    return prepared;
  }

  private runPlanned(tokenSets: Int32Array, batch: number, length: number, prep: Prepared, deadline: number): AffineTensor {
    const ctx = this.context();
    const { plan, classes } = prep;

    // The basis: sequence u holds, at each position, the u-th distinct token set seen there.
    const distinct: Map<number, number>[] = Array.from({ length }, () => new Map());
    const basisOf = new Int32Array(batch * length);
    let width = 1;
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < length; p++) {
        const m = tokenSets[b * length + p]!;
        const seen = distinct[p]!;
        let u = seen.get(m);
        if (u === undefined) {
          u = seen.size;
          seen.set(m, u);
          if (seen.size > width) width = seen.size;
        }
        basisOf[b * length + p] = u;
      }
    }
    const basisSets = new Int32Array(width * length);
    for (let p = 0; p < length; p++) {
      const sets = [...distinct[p]!.keys()];
      for (let u = 0; u < width; u++) basisSets[u * length + p] = sets[Math.min(u, sets.length - 1)]!;
    }

    const basis = new Map<string, Value>();
    basis.set(this.inputName, tokensValue(basisSets, width));
    this.graph.nodes.forEach((node, i) => {
      if (!classes.basisNodes[i] || this.absorbed(i)) return;
      const input = (j: number) => {
        const n = node.inputs[j];
        return n ? (basis.get(n) ?? prep.staticValues.get(n)) : undefined;
      };
      checkDeadline(deadline);
      basis.set(node.outputs[0]!, this.compute(i, input, ctx));
    });

    const leaf = new Map<string, Value>();
    leaf.set(this.inputName, tokensValue(tokenSets, batch));
    const sliced = new Set<string>(prep.staticSliced);
    const copies = new Map<string, Map<number | null, Value>>();
    const fromBasis = (name: string, axis: number | null): Value => {
      let mine = copies.get(name);
      if (!mine) {
        mine = new Map();
        copies.set(name, mine);
      }
      let v = mine.get(axis);
      if (!v) {
        const rows = rowAxes(prep.axes.get(name));
        if (!rows) throw new ProofLimit(`value ${name} has no batch/sequence axes to copy along`);
        if (axis !== null && axis !== rows.s) throw new ProofLimit(`value ${name} is cut along axis ${axis}, not its sequence axis`);
        v = copyRows(basis.get(name)!, rows, basisOf, batch, length, axis !== null);
        mine.set(axis, v);
      }
      return v;
    };
    const drop = (i: number) => {
      for (const name of prep.lastReads[i]!) {
        leaf.delete(name);
        copies.delete(name);
      }
    };
    this.graph.nodes.forEach((node, i) => {
      const p = plan.nodes[i]!;
      if (p.mode === 'skip' || classes.basisNodes[i] || classes.staticNodes[i] || this.absorbed(i)) return drop(i);
      checkDeadline(deadline);
      const input = (j: number) => {
        const name = node.inputs[j];
        if (!name) return undefined;
        const axis = p.mode === 'inputs' ? (p.inputAxes[j] ?? null) : null;
        const own = leaf.get(name);
        if (own) return axis === null || sliced.has(name) ? own : applyLayout(own, lastAlongLayout(shapeOfValue(own), axis));
        if (basis.has(name)) return fromBasis(name, axis);
        const s = prep.staticValues.get(name);
        if (!s) throw new ProofLimit(`value ${name} is missing`);
        return axis === null || sliced.has(name) ? s : applyLayout(s, lastAlongLayout(shapeOfValue(s), axis));
      };
      let out = this.compute(i, input, ctx);
      if (p.mode === 'output') out = applyLayout(out, lastAlongLayout(shapeOfValue(out), p.outAxis));
      leaf.set(node.outputs[0]!, out);
      if (p.mode === 'output' || p.mode === 'inputs') sliced.add(node.outputs[0]!);
      drop(i);
    });
    const out = leaf.get(this.outputName) ?? (basis.has(this.outputName) ? fromBasis(this.outputName, null) : undefined);
    if (!out || out.kind !== 'float') throw new ProofLimit('the graph produced no float logits');
    if (!sliced.has(this.outputName)) return reindex(out.t, lastAlongLayout(out.t.shape, 1).shape, lastAlongLayout(out.t.shape, 1).index);
    return out.t;
  }
}

/** For each node, the value names whose last reader (in graph order) it is; the output is kept. */
function lastReaders(graph: IrGraph, output: string): string[][] {
  const last = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    for (const name of node.inputs) if (name) last.set(name, i);
  });
  const out: string[][] = graph.nodes.map(() => []);
  for (const [name, i] of last) if (name !== output) out[i]!.push(name);
  return out;
}

function tokensValue(sets: Int32Array, batch: number): Value {
  const n = sets.length;
  return { kind: 'tokens', shape: [batch, n / batch], sets, row: Int32Array.from({ length: n }, (_, i) => i) };
}

/**
 * A basis value copied to the leaf sequences: sequence b, position p reads basis sequence
 * basisOf[b, p] at position p. With `lastOnly` only the last position is kept (symbols too, since
 * per-position operations follow); otherwise the copy keeps intervals only (it feeds attention,
 * which bounds across positions as intervals anyway). Rows are renumbered per (sequence, position)
 * so that sequences never share symbols.
 */
function copyRows(v: Value, rows: { b: number; s: number }, basisOf: Int32Array, batch: number, length: number, lastOnly: boolean): Value {
  const src = shapeOfValue(v);
  const shape = [...src];
  shape[rows.b] = batch;
  if (lastOnly) shape[rows.s] = 1;
  const n = sizeOf(shape);
  const outStrides = stridesOf(shape);
  const inStrides = stridesOf(src);
  const index = new Int32Array(n);
  const newRow = new Int32Array(n);
  for (let e = 0; e < n; e++) {
    let rem = e;
    let s = 0;
    let b = 0;
    let p = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(rem / outStrides[d]!);
      rem -= c * outStrides[d]!;
      if (d === rows.b) b = c;
      else if (d === rows.s) p = lastOnly ? length - 1 : c;
      else s += c * inStrides[d]!;
    }
    s += basisOf[b * length + p]! * inStrides[rows.b]! + p * inStrides[rows.s]!;
    index[e] = s;
    newRow[e] = b * length + p;
  }
  if (v.kind === 'int') return applyLayout(v, { shape, index });
  if (v.kind === 'tokens') return { kind: 'tokens', shape, sets: index.map((i) => v.sets[i]!), row: newRow };
  const t = reindex(lastOnly ? v.t : toBox(v.t), shape, index);
  t.row.set(newRow);
  return { kind: 'float', t };
}
