// Gathers everything the inspection page shows, given a function that runs the probed graph
// (probe.ts) on one token sequence. Nothing here opens sessions or files: the caller decides how
// the graph runs (onnxruntime in the CLI and the tests).
import type { CheckedModel, ComponentSpec } from '../check/model.ts';
import type { IrConst, IrGraph } from '../ir/types.ts';
import { parameterManifest } from '../ir/metadata.ts';
import { expectedAnswer, readAnswer, type Operands } from '../runtime/task.ts';
import type { ProbedGraph } from './probe.ts';

export interface ProbeTensor {
  dims: readonly number[];
  data: Float64Array;
}

/** Runs the probed graph on one sequence (batch 1) and returns every output by name, in float64. */
export type RunProbes = (ids: readonly number[]) => Promise<Record<string, ProbeTensor>>;

export interface MatrixFigure {
  name: string;
  rows: number;
  cols: number;
  data: Float64Array;
  rowLabels?: string[];
  colLabels?: string[];
  rowAxis: string;
  colAxis: string;
  doc?: string;
  line?: number;
}

export interface AttentionFigure {
  /** Component name, e.g. "layer0.attn". */
  label: string;
  /** One seq × seq matrix (query rows, key columns) per head. */
  heads: Float64Array[];
  /** The pre-softmax scores per head, same layout (masked entries are −∞ or very negative). */
  scores: Float64Array[];
  softmax1: boolean;
}

export interface MlpFigure {
  /** Component name, e.g. "layer0.mlp". */
  label: string;
  width: number;
  /** seq × width, row-major: the hidden units before and after the activation. */
  pre: Float64Array;
  post: Float64Array;
}

export interface ResidualFigure {
  label: string;
  /** seq × channels, row-major. */
  data: Float64Array;
}

export interface StepFigure {
  step: number;
  /** Position whose logits chose this token. */
  position: number;
  logits: Float64Array;
  chosen: number;
}

export interface ComponentSummary {
  layer: string;
  text: string;
}

export interface Inspection {
  modelName: string;
  about: Record<string, string | string[]>;
  vocab: number;
  tokenNames?: string[];
  dtype: string;
  channels: string[];
  context: number;
  components: ComponentSummary[];
  params: ReturnType<typeof parameterManifest>;
  /** The sequence the model reads: prompt, then every generated token but the last. */
  sequence: number[];
  promptLength: number;
  generated: number[];
  /** The answer is read only when the decode ran the task's full number of steps. */
  task?: { name: string; operands: Operands; answer?: number; expected: number };
  weights: MatrixFigure[];
  attention: AttentionFigure[];
  residual: ResidualFigure[];
  mlp: MlpFigure[];
  /** Logit lens: per residual panel (same order and labels), the final norm and head applied to
   * that residual, seq × vocab. The last entry is the model's own logits. */
  lens: { label: string; logits: Float64Array }[];
  steps: StepFigure[];
}

export async function collectInspection(
  model: CheckedModel,
  ir: IrGraph,
  probed: ProbedGraph,
  run: RunProbes,
  input: { prompt: number[]; generated: number[]; operands?: Operands },
): Promise<Inspection> {
  const { prompt, generated } = input;
  const sequence = [...prompt, ...generated.slice(0, Math.max(generated.length - 1, 0))];
  const seq = sequence.length;
  const outputs = await run(sequence);
  const d = model.dModel;

  const residual = probed.residuals.map((p): ResidualFigure => {
    const t = tensor(outputs, p.value, [1, seq, d]);
    return { label: p.label, data: t.data };
  });
  const attention = probed.attentions.map((p): AttentionFigure => {
    const t = tensor(outputs, p.value, [1, p.heads, seq, seq]);
    const s = tensor(outputs, p.scores, [1, p.heads, seq, seq]);
    const perHead = (d: Float64Array) => Array.from({ length: p.heads }, (_, h) => d.slice(h * seq * seq, (h + 1) * seq * seq));
    return { label: p.label, heads: perHead(t.data), scores: perHead(s.data), softmax1: p.softmax1 };
  });
  const mlp = probed.mlps.map((m): MlpFigure => {
    const width = m.width;
    return { label: m.label, width, pre: tensor(outputs, m.pre, [1, seq, width]).data, post: tensor(outputs, m.post, [1, seq, width]).data };
  });

  // Step logits come from the run on the prefix each step saw: with causal attention that equals
  // the full run's row, but a model without a mask would let later tokens change earlier rows.
  const steps: StepFigure[] = [];
  for (let s = 0; s < generated.length; s++) {
    const prefix = [...prompt, ...generated.slice(0, s)];
    const out = prefix.length === seq ? outputs : await run(prefix);
    const logits = tensor(out, 'logits', [1, prefix.length, model.vocab]);
    const position = prefix.length - 1;
    steps.push({ step: s, position, logits: logits.data.slice(position * model.vocab, (position + 1) * model.vocab), chosen: generated[s]! });
  }

  const task = model.task && input.operands
    ? {
        name: model.task.name,
        operands: input.operands,
        answer: generated.length === model.task.decode ? readAnswer(model.task, generated) : undefined,
        expected: expectedAnswer(model.task, input.operands),
      }
    : undefined;

  return {
    modelName: model.name,
    about: model.about,
    vocab: model.vocab,
    tokenNames: model.tokenNames,
    dtype: model.dtype,
    channels: model.channels,
    context: model.context,
    components: model.layers.flatMap((l) => l.components.map((c) => ({ layer: l.name, text: describeComponent(c) }))),
    params: parameterManifest(model),
    sequence,
    promptLength: prompt.length,
    generated,
    task,
    weights: weightFigures(model, ir),
    attention,
    residual,
    mlp,
    lens: probed.lens.map((value, i) => ({ label: probed.residuals[i]!.label, logits: tensor(outputs, value, [1, seq, model.vocab]).data })),
    steps,
  };
}

function tensor(outputs: Record<string, ProbeTensor>, name: string, dims: number[]): ProbeTensor {
  const t = outputs[name];
  if (!t) throw new Error(`inspect: the run returned no '${name}'`);
  if (t.dims.length !== dims.length || t.dims.some((x, i) => x !== dims[i])) {
    throw new Error(`inspect: '${name}' has shape [${t.dims.join(', ')}], expected [${dims.join(', ')}]`);
  }
  return t;
}

function describeComponent(c: ComponentSpec): string {
  if (c.kind === 'attention') {
    const kv = c.kvHeads !== c.heads ? `, ${c.kvHeads} kv heads` : '';
    const extras = [c.rope ? 'RoPE' : '', c.causal ? 'causal' : '', c.softmax1 ? 'softmax1' : '', c.scoreBias && !c.causal ? 'score bias' : '']
      .filter(Boolean)
      .join(', ');
    return `attention: ${c.heads} head${c.heads === 1 ? '' : 's'} × dim ${c.dim}${kv}${extras ? ` (${extras})` : ''}`;
  }
  return `mlp: ${c.act}, width ${c.width}${c.gate ? ', gated' : ''}`;
}

/** Every rank-2 weight constant of the graph (the embedding is one of them), with axis labels
 * where an axis is the residual stream or the vocabulary. Projection weights are stored [in, out]
 * (x @ W), so an input axis of width d_model is the residual's channels. */
function weightFigures(model: CheckedModel, ir: IrGraph): MatrixFigure[] {
  const tokens = tokenLabels(model);
  return ir.consts
    .filter((c): c is IrConst & { data: Float64Array } => c.role === 'weight' && c.shape.length === 2 && c.data instanceof Float64Array)
    .map((c) => {
      const [rows, cols] = c.shape as [number, number];
      const fig: MatrixFigure = { name: c.name, rows, cols, data: c.data, rowAxis: 'row', colAxis: 'column', doc: c.doc, line: c.source?.line };
      if (c.name.startsWith('embed.')) {
        Object.assign(fig, { rowAxis: 'token', colAxis: 'channel', rowLabels: tokens, colLabels: model.channels });
      } else {
        const writesResidual = /\.(o_proj|down_proj)\.weight/.test(c.name);
        if (!writesResidual && rows === model.dModel) Object.assign(fig, { rowAxis: 'channel (in)', rowLabels: model.channels, colAxis: 'output' });
        else fig.rowAxis = 'input';
        if (writesResidual && cols === model.dModel) Object.assign(fig, { colAxis: 'channel (out)', colLabels: model.channels });
        else if (c.name.startsWith('head.') && cols === model.vocab) Object.assign(fig, { colAxis: 'token (logit)', colLabels: tokens });
      }
      return fig;
    });
}

export function tokenLabels(model: { vocab: number; tokenNames?: string[] }): string[] {
  return Array.from({ length: model.vocab }, (_, i) => model.tokenNames?.[i] ?? String(i));
}
