// A small helper for building IrGraphs with readable, unique names. Constants can be shared by key
// so that a block applied several times (layer sharing) stores its weights once.
import type { Span } from '../syntax/ast.ts';
import type { ConstRole, FloatDType, IrAttr, IrConst, IrGraph, IrNode, IrOp, IrValueInfo, SourceRef } from './types.ts';

export class GraphBuilder {
  /** Where `op` puts nodes: the graph's own list, or a loop body's while `inBody` builds one. */
  nodes: IrNode[] = [];
  readonly consts: IrConst[] = [];
  private readonly used = new Set<string>();
  private readonly shared = new Map<string, string>();

  constructor(readonly name: string, readonly dtype: FloatDType) {}

  /** A fresh name based on `base` (base, base_1, base_2, …). */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** A float constant in the model's dtype. `key` shares one initializer between identical uses. */
  floatConst(name: string, shape: number[], data: Float64Array, role: ConstRole, opts: { doc?: string; span?: Span; key?: string } = {}): string {
    if (opts.key && this.shared.has(opts.key)) return this.shared.get(opts.key)!;
    const n = this.fresh(name);
    this.consts.push({ name: n, elem: 'float', shape, data, role, doc: opts.doc, source: ref(opts.span) });
    if (opts.key) this.shared.set(opts.key, n);
    return n;
  }

  intConst(name: string, values: number[], shape: number[] = [values.length]): string {
    const key = `int:${shape.join('x')}:${values.join(',')}`;
    if (this.shared.has(key)) return this.shared.get(key)!;
    const n = this.fresh(name);
    this.consts.push({ name: n, elem: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)), role: 'structural' });
    this.shared.set(key, n);
    return n;
  }

  /** Adds a node and returns its (single) output name. */
  op(op: IrOp, name: string, inputs: string[], attrs?: Record<string, IrAttr>, opts: { doc?: string; span?: Span } = {}): string {
    const nodeName = this.fresh(name);
    const out = nodeName;
    this.nodes.push({ op, name: nodeName, inputs, outputs: [out], attrs, doc: opts.doc, source: ref(opts.span) });
    return out;
  }

  /** Runs `build` with new nodes going to a fresh list (a loop body), and returns that list.
   * Constants still go to the graph's initializers: a body reads them from the enclosing scope,
   * so a weight shared by every iteration is stored once. */
  inBody(build: () => void): IrNode[] {
    const outer = this.nodes;
    const body: IrNode[] = [];
    this.nodes = body;
    try {
      build();
    } finally {
      this.nodes = outer;
    }
    return body;
  }

  graph(inputs: IrValueInfo[], outputs: IrValueInfo[], metadata: Record<string, string>, doc?: string): IrGraph {
    return { name: this.name, dtype: this.dtype, inputs, outputs, consts: this.consts, nodes: this.nodes, metadata, doc };
  }
}

function ref(span: Span | undefined): SourceRef | undefined {
  return span ? { line: span.line, col: span.col } : undefined;
}
