// Ablations for `handwire inspect --ablate`: a copy of the compiled graph with one head's output or
// one residual channel forced to zero, so the ablated run goes through onnxruntime like the plain
// one. The graph is changed by inserting a Mul with a 0/1 mask and pointing the consumers at it:
//   head h of an attention   the attention weights [batch, heads, seq, seq] times a mask that is 0 on
//                            head h. With no weights the head mixes no values, so its slice of the
//                            output projection's input is zero: exactly "the head's output zeroed"
//                            (o_proj has no per-head bias).
//   residual channel c       the residual stream after the embedding and after every block's
//                            residual Add times a mask that is 0 on channel c, so no block and not
//                            the head can read anything from that channel.
// Graph outputs keep the unmasked values (the probes show what was computed, the logits change).
import type { CheckedModel } from '../check/model.ts';
import type { IrConst, IrGraph, IrNode } from '../ir/types.ts';
import type { ProbedGraph } from './probe.ts';

export type Ablation =
  | { kind: 'head'; /** attention label, e.g. "layer0.attn" */ component: string; head: number; heads: number; text: string }
  | { kind: 'channel'; channel: number; name: string; text: string };

export type AblationParse = { ok: true; ablation: Ablation } | { ok: false; message: string };

/** Reads `LAYER.HEAD` (e.g. layer0.0, or layer0.attn.1 naming the attention) or a residual channel
 * by name or index. Mistakes are the user's, so they come back as messages. */
export function parseAblation(model: CheckedModel, probed: ProbedGraph, spec: string): AblationParse {
  const text = spec.trim();
  const attentions = probed.attentions;
  const head = /^(.+)\.(\d+)$/.exec(text);
  if (head) {
    const [, where, index] = head as unknown as [string, string, string];
    const byLabel = attentions.filter((a) => a.label === where);
    const byLayer = attentions.filter((a) => a.label.startsWith(`${where}.`) && !a.label.slice(where.length + 1).includes('.'));
    const matches = byLabel.length ? byLabel : byLayer;
    if (matches.length > 1) {
      return { ok: false, message: `--ablate ${text}: layer '${where}' has ${matches.length} attentions (${matches.map((a) => a.label).join(', ')}); name one, e.g. ${matches[0]!.label}.${index}` };
    }
    if (matches.length === 1) {
      const a = matches[0]!;
      const h = Number(index);
      if (h >= a.heads) return { ok: false, message: `--ablate ${text}: ${a.label} has ${a.heads} head${a.heads === 1 ? '' : 's'} (0 to ${a.heads - 1})` };
      return { ok: true, ablation: { kind: 'head', component: a.label, head: h, heads: a.heads, text: `${a.label} head ${h}` } };
    }
  }
  const named = model.channels.indexOf(text);
  if (named >= 0) return { ok: true, ablation: { kind: 'channel', channel: named, name: text, text: `channel ${text}` } };
  if (/^\d+$/.test(text)) {
    const c = Number(text);
    if (c < model.channels.length) return { ok: true, ablation: { kind: 'channel', channel: c, name: model.channels[c]!, text: `channel ${model.channels[c]} (#${c})` } };
    return { ok: false, message: `--ablate ${text}: the residual stream has ${model.channels.length} channels (0 to ${model.channels.length - 1})` };
  }
  const heads = attentions.map((a) => `${a.label}.0`).slice(0, 3).join(', ');
  return {
    ok: false,
    message: `--ablate ${text}: not a head (LAYER.HEAD, e.g. ${heads || 'none in this model'}) nor a residual channel (${model.channels.slice(0, 6).join(', ')}${model.channels.length > 6 ? ', …' : ''}, or an index)`,
  };
}

/** The graph with the ablation's mask inserted. `probed` names the values to mask. */
export function ablateGraph(graph: IrGraph, model: CheckedModel, probed: ProbedGraph, ablation: Ablation): IrGraph {
  const consts: IrConst[] = [...graph.consts];
  let nodes: IrNode[] = [...graph.nodes];
  const maskName = `ablate.mask`;
  if (ablation.kind === 'head') {
    const probe = probed.attentions.find((a) => a.label === ablation.component);
    if (!probe) throw new Error(`inspect: no attention '${ablation.component}' in the graph`);
    const mask = new Float64Array(ablation.heads).fill(1);
    mask[ablation.head] = 0;
    consts.push({ name: maskName, elem: 'float', shape: [1, ablation.heads, 1, 1], data: mask, role: 'structural', doc: `--ablate ${ablation.text}` });
    nodes = insertMask(nodes, probe.value, maskName, `ablate.${ablation.component}.weights`);
  } else {
    const mask = new Float64Array(model.dModel).fill(1);
    mask[ablation.channel] = 0;
    consts.push({ name: maskName, elem: 'float', shape: [model.dModel], data: mask, role: 'structural', doc: `--ablate ${ablation.text}` });
    for (const r of probed.residuals) nodes = insertMask(nodes, r.value, maskName, `ablate.${r.value}`);
  }
  return { ...graph, consts, nodes };
}

/** Inserts `masked = value * mask` right after the node that makes `value` and rewires every later
 * reader of `value` to `masked`. */
function insertMask(nodes: IrNode[], value: string, mask: string, masked: string): IrNode[] {
  const at = nodes.findIndex((n) => n.outputs.includes(value));
  if (at < 0) throw new Error(`inspect: no node makes '${value}'`);
  const readers = nodes.slice(at + 1).map((n) => (n.inputs.includes(value) ? { ...n, inputs: n.inputs.map((i) => (i === value ? masked : i)) } : n));
  const mul: IrNode = { op: 'Mul', name: masked, inputs: [value, mask], outputs: [masked], doc: 'inspect --ablate: zero the ablated part' };
  return [...nodes.slice(0, at + 1), mul, ...readers];
}
