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
  return { absorbed, silu };
}
