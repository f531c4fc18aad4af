// Operation chains the prover bounds as one function. The compiler writes silu(t) as
// t / (1 + exp(−t)) (Neg, Exp, Add, Div): for very negative t, exp(−t) overflows to +∞ and the
// runtime's t / ∞ = 0 is the right limit, but bounding the chain link by link would have to carry
// "finite or +∞" through an addition and a division. Bounded as silu(t) instead (relax.ts), with
// the chain's rounding and overflow charged to it (float-model.ts), it is tight.
import type { IrGraph } from '../../ir/types.ts';

export interface Fusions {
  /** Nodes not evaluated: their only use is inside a fused chain. */
  absorbed: Set<number>;
  /** Div nodes evaluated as silu of their first input. */
  silu: Set<number>;
  /** MatMul nodes that ONNX Runtime cannot fuse with a neighbour (see `plainMatMuls`): their sums
   * are charged per term (float-model.ts, `perTermSumError`). */
  plainMatMul: Set<number>;
}

export function findFusions(graph: IrGraph): Fusions {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const uses = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of graph.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const consts = new Map(graph.consts.map((c) => [c.name, c]));
  const isOne = (name: string) => {
    const c = consts.get(name);
    return !!c && c.elem === 'float' && c.data.length === 1 && c.shape.length <= 1 && Number(c.data[0]) === 1;
  };
  const single = (name: string) => uses.get(name) === 1;
  const made = (name: string, op: string) => {
    const i = producer.get(name);
    return i !== undefined && graph.nodes[i]!.op === op ? i : undefined;
  };

  const absorbed = new Set<number>();
  const silu = new Set<number>();
  graph.nodes.forEach((div, d) => {
    if (div.op !== 'Div') return;
    const [t, denominator] = div.inputs as [string, string];
    const add = made(denominator, 'Add');
    if (add === undefined || !single(denominator)) return;
    const [p, q] = graph.nodes[add]!.inputs as [string, string];
    const expOut = isOne(p) ? q : isOne(q) ? p : undefined;
    if (expOut === undefined || !single(expOut)) return;
    const exp = made(expOut, 'Exp');
    if (exp === undefined) return;
    const negOut = graph.nodes[exp]!.inputs[0]!;
    const neg = made(negOut, 'Neg');
    if (neg === undefined || !single(negOut) || graph.nodes[neg]!.inputs[0] !== t) return;
    silu.add(d);
    absorbed.add(add).add(exp).add(neg);
  });
  return { absorbed, silu, plainMatMul: plainMatMuls(graph, producer) };
}

/**
 * MatMul nodes whose arithmetic ONNX Runtime's graph optimisations (float32 sessions run at level
 * `all`) cannot change by fusing them with a neighbour. The fusions that change a MatMul's
 * rounding fold a following Add into a Gemm's bias (MatMulAddFusion) or a constant scale before
 * or after it into a FusedMatMul's alpha (MatMulScaleFusion). So a MatMul counts as fusable when
 * its output feeds an Add or Sub, or it is next to a Mul or Div (reading its output or producing
 * its input) whose other operand may be constant: one that does not depend on the token input,
 * counting anything derived from a Shape as possibly constant (a static shape could be folded).
 * The rest are plain: their products and sums are exactly the ones in the graph, in some order.
 */
function plainMatMuls(graph: IrGraph, producer: Map<string, number>): Set<number> {
  const input = new Set(graph.inputs.map((i) => i.name));
  const varies = new Map<string, boolean>();
  const dependsOnInput = (name: string): boolean => {
    if (input.has(name)) return true;
    const known = varies.get(name);
    if (known !== undefined) return known;
    const i = producer.get(name);
    const node = i === undefined ? undefined : graph.nodes[i]!;
    varies.set(name, false);
    const v = !!node && node.op !== 'Shape' && node.inputs.some((x) => !!x && dependsOnInput(x));
    varies.set(name, v);
    return v;
  };
  const consumers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((x) => x && consumers.set(x, [...(consumers.get(x) ?? []), i])));
  const scale = (i: number, through: string): boolean => {
    const n = graph.nodes[i]!;
    if (n.op !== 'Mul' && n.op !== 'Div') return false;
    return n.inputs.some((x) => !!x && x !== through && !dependsOnInput(x));
  };
  const plain = new Set<number>();
  graph.nodes.forEach((n, i) => {
    if (n.op !== 'MatMul') return;
    const out = n.outputs[0]!;
    const uses = consumers.get(out) ?? [];
    if (uses.some((u) => graph.nodes[u]!.op === 'Add' || graph.nodes[u]!.op === 'Sub' || scale(u, out))) return;
    for (const x of n.inputs) {
      const p = x ? producer.get(x) : undefined;
      if (p === undefined) continue;
      const pn = graph.nodes[p]!;
      if ((pn.op === 'Mul' || pn.op === 'Div') && pn.inputs.some((y) => !!y && !dependsOnInput(y))) return;
    }
    plain.add(i);
  });
  return plain;
}
