// Exposes intermediate values of a compiled graph as extra graph outputs, so one run shows the
// residual stream and the attention patterns without changing the lowering. The values are found
// by the node names the lowering gives them (src/ir/model-to-ir.ts):
//   embed, embed.plus_position           the residual stream after the embedding
//   <layer>.<attn|mlp>[i].residual        the residual stream after each component (Add)
//   <layer>.attn[i].weights               attention weights [batch, heads, seq, seq] (Softmax, or
//                                         the Div of softmax1); its input (Softmax) or the input of
//                                         <layer>.attn[i].row_max (softmax1) is the pre-softmax
//                                         scores, masks and biases added
//   <layer>.mlp[i].act[.*]                the activation: the first input of its first node is the
//                                         pre-activation, the output of <layer>.mlp[i].act the
//                                         post-activation (an identity activation has no node)
// Graph order is execution order, so the n-th match belongs to the n-th component of the model.
import type { CheckedModel, AttentionSpec } from '../check/model.ts';
import type { IrGraph, IrNode, IrValueInfo } from '../ir/types.ts';

export interface ResidualProbe {
  /** Graph value name (also the extra output's name). */
  value: string;
  /** What the panel shows, e.g. "after embedding", "after layer0.attn". */
  label: string;
}

export interface AttentionProbe {
  value: string;
  /** The component's name prefix, e.g. "layer0.attn". */
  label: string;
  heads: number;
  /** softmax1 rows sum to less than 1 (the rest goes to the extra zero logit). */
  softmax1: boolean;
}

export interface MlpProbe {
  /** The component's name prefix, e.g. "layer0.mlp". */
  label: string;
  /** Values before and after the activation, [batch, seq, width]. */
  pre: string;
  post: string;
  width: number;
}

export interface ProbedGraph {
  graph: IrGraph;
  residuals: ResidualProbe[];
  /** Each has `scores`: the pre-softmax scores, same shape as the weights. */
  attentions: (AttentionProbe & { scores: string })[];
  mlps: MlpProbe[];
  /** The logit lens: per residual probe (same order), the graph value holding what the final norm
   * and the head make of that residual, [batch, seq, vocab]. The last one is the model's logits. */
  lens: string[];
}

const RESIDUAL_NODE = /^(.*)\.residual(?:_\d+)?$/;
const WEIGHTS_NODE = /^(.*)\.weights(?:_\d+)?$/;
const ACT_NODE = /^(.*\.mlp\d*)\.act(?:_\d+)?$/;

/** A copy of `ir` whose outputs also include the residual stream at every stage and the attention
 * weights of every attention component. Throws when the graph does not have the named nodes the
 * model implies (a lowering that changed its naming). */
export function probeGraph(ir: IrGraph, model: CheckedModel): ProbedGraph {
  const components = model.layers.flatMap((l) => l.components);
  const attentionSpecs = components.filter((c): c is AttentionSpec => c.kind === 'attention');

  const embedNode = findLast(ir.nodes, (n) => n.name === 'embed.plus_position') ?? findLast(ir.nodes, (n) => n.name === 'embed');
  if (!embedNode) throw new Error("inspect: the graph has no 'embed' node");
  const residualNodes = ir.nodes.filter((n) => n.op === 'Add' && RESIDUAL_NODE.test(n.name));
  const weightNodes = ir.nodes.filter((n) => (n.op === 'Softmax' || n.op === 'Div') && WEIGHTS_NODE.test(n.name));
  if (residualNodes.length !== components.length) {
    throw new Error(`inspect: expected ${components.length} '<component>.residual' nodes in the graph, found ${residualNodes.length}`);
  }
  if (weightNodes.length !== attentionSpecs.length) {
    throw new Error(`inspect: expected ${attentionSpecs.length} '<layer>.attn.weights' nodes in the graph, found ${weightNodes.length}`);
  }

  const residuals: ResidualProbe[] = [
    { value: embedNode.outputs[0]!, label: 'after embedding' },
    ...residualNodes.map((n) => ({ value: n.outputs[0]!, label: `after ${n.name.match(RESIDUAL_NODE)![1]}` })),
  ];
  const attentions = weightNodes.map((n, i) => {
    const label = n.name.match(WEIGHTS_NODE)![1]!;
    const rowMax = n.op === 'Div' ? ir.nodes.find((m) => m.name === `${label}.row_max`) : undefined;
    const scores = n.op === 'Softmax' ? n.inputs[0] : rowMax?.inputs[0];
    if (!scores) throw new Error(`inspect: no pre-softmax scores found for ${label}`);
    return { value: n.outputs[0]!, label, heads: attentionSpecs[i]!.heads, softmax1: attentionSpecs[i]!.softmax1, scores };
  });
  const mlps: MlpProbe[] = ir.nodes
    .filter((n) => ACT_NODE.test(n.name))
    .map((n) => {
      const act = n.name;
      const first = ir.nodes.find((m) => (m.name === act || m.name.startsWith(`${act}.`)) && !m.inputs[0]!.startsWith(act));
      const label = n.name.match(ACT_NODE)![1]!;
      // The hidden width is the down projection's input width ([in, out] storage).
      const down = ir.consts.find((c) => c.name === `${label}.down_proj.weight`);
      if (!first || !down) throw new Error(`inspect: the graph's ${label} has no activation input or down projection`);
      return { label, pre: first.inputs[0]!, post: n.outputs[0]!, width: down.shape[0]! };
    });

  const { nodes: lensNodes, values: lens } = logitLens(ir, residuals.map((r) => r.value));

  const existing = new Set(ir.outputs.map((o) => o.name));
  const extra: IrValueInfo[] = [
    ...residuals.map((r): IrValueInfo => ({ name: r.value, elem: 'float', shape: ['batch', 'seq', model.dModel] })),
    ...attentions.flatMap((a): IrValueInfo[] => [a.value, a.scores].map((name) => ({ name, elem: 'float', shape: ['batch', a.heads, 'seq', 'seq'] }))),
    ...mlps.flatMap((m): IrValueInfo[] => [m.pre, m.post].map((name) => ({ name, elem: 'float', shape: ['batch', 'seq', m.width] }))),
    ...lens.map((name): IrValueInfo => ({ name, elem: 'float', shape: ['batch', 'seq', model.vocab] })),
  ].filter((o, i, all) => !existing.has(o.name) && all.findIndex((x) => x.name === o.name) === i);
  return { graph: { ...ir, nodes: [...ir.nodes, ...lensNodes], outputs: [...ir.outputs, ...extra] }, residuals, attentions, mlps, lens };
}

/** The logit lens in the graph itself: the nodes after the last residual (post-norm, final norm,
 * head) copied once per earlier residual, reading that residual instead, so onnxruntime computes
 * each stage's logits with the model's own head. */
function logitLens(ir: IrGraph, stages: string[]): { nodes: IrNode[]; values: string[] } {
  const last = stages[stages.length - 1]!;
  const at = ir.nodes.findIndex((n) => n.outputs.includes(last));
  const tail = ir.nodes.slice(at + 1);
  if (!tail.some((n) => n.outputs.includes('logits'))) throw new Error("inspect: no 'logits' after the last residual");
  const made = new Set(tail.flatMap((n) => n.outputs));
  const nodes: IrNode[] = [];
  const values = stages.map((stage, i) => {
    if (stage === last) return 'logits';
    const rename = (v: string) => (v === last ? stage : made.has(v) ? `${v}.lens${i}` : v);
    for (const n of tail) nodes.push({ ...n, name: `${n.name}.lens${i}`, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) });
    return `logits.lens${i}`;
  });
  return { nodes, values };
}

function findLast(nodes: readonly IrNode[], pred: (n: IrNode) => boolean): IrNode | undefined {
  for (let i = nodes.length - 1; i >= 0; i--) if (pred(nodes[i]!)) return nodes[i];
  return undefined;
}
