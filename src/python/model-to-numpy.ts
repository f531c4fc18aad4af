// CheckedModel → a readable, self-contained numpy file in the AdderBoard submission format:
// `build_model()` → (model, metadata) and `add(model, a, b)` → int.
//
// Unlike the graph transcription (ir-to-numpy.ts, one line per compiled node), this follows the
// design as the .hw file states it: the design's own matrices under names that say what they are
// (`W_q_layer0`, unfolded: norm weights, biases and the score scale stay where the design puts
// them), one function per attention and MLP block, a forward pass that reads embed → layers →
// final norm → head, and comments quoting the .hw lines each step comes from. The operations are
// the ones the compiler lowers to, in the same order (the norm as (x − mean) / sqrt(mean square +
// eps), softmax1 with its extra zero logit, silu as t / (1 + e^−t)), as in the torch export, so
// float64 results agree with onnxruntime's to rounding.
//
// Fixed tables are written as their generating rule where the numbers allow it exactly: RoPE
// angles that are p × frequency become `positions * ROPE_FREQ`, and score tables that depend only
// on the distance between query and key (causal masks, ALiBi) become a [heads, distance] table
// indexed by i − j; anything else is written out in full.
import type { AffineMap, AttentionSpec, CheckedModel, ComponentSpec, MlpSpec, NormSpec, TaskContract } from '../check/model.ts';
import { modelMetadata } from '../ir/metadata.ts';
import type { FloatDType } from '../ir/types.ts';
import type { Span } from '../syntax/ast.ts';
import { docstringSafe, metadataBlock, NumpyExportError, readHeader, taskBlock } from './ir-to-numpy.ts';
import { IdentifierTable, LINE_WIDTH, pyFloat } from './python-literals.ts';
import { compactList, SourceQuotes } from './readable-source.ts';
import { activationCall, HELPERS, RUNTIME, type Helper } from './numpy-blocks.ts';

export interface ReadableNumpyOptions {
  /** The float type of the export (the design's own when absent). */
  dtype?: FloatDType;
  /** The .hw source text: comments quote the lines each weight and step comes from. */
  source?: string;
  /** The source file's name for the header (a base name keeps exports machine-independent). */
  sourceName?: string;
}

/** Names the generated module defines at top level; weight and block names must not shadow them. */
const MODULE_NAMES = [
  'np', 'DTYPE', 'METADATA', 'OPERANDS', 'BASE', 'PROMPT', 'DECODE_STEPS', 'ANSWER_ORDER',
  'forward', 'build_model', 'encode_prompt', 'greedy_decode', 'read_answer', 'add', 'x', 'ids', 'seq',
  ...(Object.keys(HELPERS) as Helper[]),
];

interface Emit {
  ids: IdentifierTable;
  quotes: SourceQuotes;
  helpers: Set<Helper>;
  /** Weight definitions, in the order the forward pass meets them, with the note for each. */
  weights: { code: string; note?: string }[];
  /** The notes the block functions and the forward pass print beside their steps. */
  quoted: Set<string>;
  /** One function per distinct component (a repeated layer calls its first copy's). */
  functions: string[];
  context: number;
}

export function modelToNumpy(model: CheckedModel, opts: ReadableNumpyOptions = {}): string {
  const dtype = opts.dtype ?? model.dtype;
  const header = readHeader({ name: model.name, metadata: modelMetadata(model, dtype) } as Parameters<typeof readHeader>[0]);
  const task = addableTask(model.task);
  const ids = new IdentifierTable();
  ids.reserve(...MODULE_NAMES);
  const e: Emit = { ids, quotes: new SourceQuotes(opts.source), helpers: new Set(), weights: [], quoted: new Set(), functions: [], context: model.context };
  const forward = forwardCode(model, e);

  const parts = [
    docstring(model, header, dtype, opts.sourceName),
    `import numpy as np\nDTYPE = np.${dtype}  # every weight below is an exact float64 decimal, cast to DTYPE once`,
    metadataBlock(header),
    `# ---------------------------------------------------------------- weights, as the .hw file declares them\n${e.weights.map((w) => weightLine(w, e.quoted)).join('\n')}`,
    `# ---------------------------------------------------------------- building blocks\n` +
      (Object.keys(HELPERS) as Helper[]).filter((h) => e.helpers.has(h)).map((h) => HELPERS[h]).join('\n\n'),
    ...e.functions,
    forward,
    `# ---------------------------------------------------------------- task contract and decoding\n${taskBlock(task)}`,
    RUNTIME,
  ];
  // One blank line between top-level definitions (not PEP 8's two): the 10p design's whole module
  // then fits in under 150 lines, short enough to read in one go (issue #17).
  return parts.join('\n\n') + '\n';
}

function addableTask(task: TaskContract | undefined): TaskContract {
  if (!task) throw new NumpyExportError('the model has no task block, so there is no prompt format or answer to export');
  if (task.operands.length !== 2) {
    throw new NumpyExportError(`AdderBoard's add(model, a, b) takes two operands; task ${task.name} has ${task.operands.length}`);
  }
  return task;
}

function docstring(model: CheckedModel, h: ReturnType<typeof readHeader>, dtype: FloatDType, sourceName: string | undefined): string {
  const lines = [
    `${h.name} by ${h.author}: an AdderBoard submission (numpy only).`,
    '',
    ...(h.architecture ? [h.architecture, ''] : []),
    `Exported by handwire (\`handwire export FILE\`) from ${sourceName ?? `model ${model.name}`}${h.source ? `, after ${h.source}` : ''}.`,
    `forward() follows the .hw file: embed, each layer's blocks adding their writes to the residual, the`,
    `final norm, the head (token ids [batch, seq] in, logits [batch, seq, ${model.vocab}] out, in ${dtype}).`,
    'add() decodes greedily: argmax at the last position, append, recompute the whole sequence.',
  ];
  if (h.paramLines.length) lines.push('', `Parameters (${h.params} counted):`, ...h.paramLines.map((l) => `    ${l}`));
  return `"""${lines.map(docstringSafe).join('\n')}\n"""`;
}

// ---------------------------------------------------------------- weights

/** `NAME = np.array(...)` with a comment line above quoting where it comes from. */
function defineWeight(e: Emit, name: string, shape: readonly number[], data: ArrayLike<number>, note: string | undefined, dtype = 'DTYPE'): string {
  const id = e.ids.get(name);
  const values = Array.from(data, pyFloat);
  const lead = `${id} = np.array(`;
  const body = shape.length === 0 ? values[0]! : compactList(values, shape, lead.length);
  e.weights.push({ code: `${lead}${body}, dtype=${dtype})`, note });
  return id;
}

/** A weight's definition with its note: after it when both fit on one line; when the note is a
 * source line that a block function quotes again beside the step using it, only its line number
 * after the definition; else the note on its own line above. */
function weightLine(w: { code: string; note?: string }, quoted: ReadonlySet<string>): string {
  if (!w.note) return w.code;
  const oneLine = !w.code.includes('\n');
  const full = `${w.code}  # ${w.note}`;
  if (oneLine && full.length <= LINE_WIDTH) return full;
  const lineRef = /^\.hw line \d+/.exec(w.note)?.[0];
  const short = `${w.code}  # ${lineRef}`;
  if (oneLine && lineRef && quoted.has(w.note) && short.length <= LINE_WIDTH) return short;
  return `# ${w.note}\n${w.code}`;
}

function sameMatrix(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** `h @ W.T (+ b)` for an affine map, defining its weight (and a nonzero bias). */
function affine(e: Emit, input: string, m: AffineMap, name: string, what: string | undefined): string {
  const note = what?.startsWith('.hw line') ? what : e.quotes.at(m.span) ?? what;
  const w = defineWeight(e, `W_${name}`, [m.weight.rows, m.weight.cols], m.weight.data, note);
  if (m.biasIsZero) return `${input} @ ${w}.T`;
  const b = defineWeight(e, `b_${name}`, [m.weight.rows], m.bias, `bias of ${w}`);
  return `${input} @ ${w}.T + ${b}`;
}

/** The call applying a norm (without its weight and bias when the design has none), or the input. */
function normCall(e: Emit, input: string, n: NormSpec, name: string, size: number): string {
  if (n.kind === 'none') return input;
  const extra: string[] = [];
  const note = e.quotes.at(n.span);
  if (n.weight) extra.push(`weight=${defineWeight(e, `norm_w_${name}`, [size], n.weight, note)}`);
  if (n.kind === 'layernorm' && n.bias) extra.push(`bias=${defineWeight(e, `norm_b_${name}`, [size], n.bias, note)}`);
  const fn = n.kind === 'rms' ? 'rms_norm' : 'layer_norm';
  e.helpers.add(fn);
  return `${fn}(${[input, `eps=${pyFloat(n.eps)}`, ...extra].join(', ')})`;
}

// ---------------------------------------------------------------- forward pass and blocks

/** `code  # note` when that fits in 100 columns, else the note on its own line above. */
function withNote(code: string, note: string | undefined, indent: number, quoted: Set<string>): string[] {
  const pad = ' '.repeat(indent);
  if (!note) return [pad + code];
  quoted.add(note);
  const inline = `${pad}${code}  # ${note}`;
  return inline.length <= 100 ? [inline] : [`${pad}# ${note}`, pad + code];
}

function forwardCode(model: CheckedModel, e: Emit): string {
  const body: string[] = [];
  const embed = defineWeight(e, model.embeddingName, [model.vocab, model.dModel], model.embedding.data, `${e.quotes.find(/^embed\b/) ?? 'token embedding'}   → [${model.channels.join(', ')}]`);
  body.push(...withNote(`x = ${embed}[ids]`, `residual channels: ${model.channels.join(', ')}`, 8, e.quoted));
  if (model.position) {
    const pos = defineWeight(e, 'POSITION', [model.context, model.dModel], model.position.data, e.quotes.find(/^position\b/) ?? 'fixed positional table');
    body.push(`        x = x + ${pos}[:seq]`);
  }
  // A repeated layer holds the same component objects as its first copy: one function for both.
  const built = new Map<ComponentSpec, string>();
  for (const layer of model.layers) {
    // The functions are named after the layer they first serve; a layer that reuses them says so.
    if (layer.components.some((c) => built.has(c))) body.push(`        # ${layer.name} (the same weights)`);
    layer.components.forEach((comp, ci) => {
      const several = layer.components.filter((c) => c.kind === comp.kind).length > 1;
      const kind = comp.kind === 'attention' ? 'attn' : 'mlp';
      const name = `${layer.name}${several ? `_${kind}${ci}` : ''}`;
      let fn = built.get(comp);
      if (!fn) {
        fn = comp.kind === 'attention' ? attentionFunction(e, comp, name) : mlpFunction(e, comp, name, model.dModel);
        built.set(comp, fn);
      }
      body.push(`        x = x + ${fn}(x)`);
    });
  }
  const final = normCall(e, 'x', model.final, 'final', model.dModel);
  if (final !== 'x') body.push(...withNote(`x = ${final}`, e.quotes.at(spanOf(model.final)), 8, e.quoted));
  const tied = sameMatrix(model.head.weight.data, model.embedding.data) && model.head.biasIsZero;
  const head = tied ? `x @ ${embed}.T` : affine(e, 'x', model.head, 'head', 'the head');
  body.push(...withNote(`return ${head}`, e.quotes.at(model.head.span), 8, e.quoted));
  return [
    'def forward(input_ids):',
    `    """Token ids [batch, seq] -> logits [batch, seq, ${model.vocab}] (DTYPE)."""`,
    '    ids = np.asarray(input_ids, dtype=np.int64)',
    ...(model.position ? ['    seq = ids.shape[1]'] : []),
    '    with np.errstate(all="ignore"):  # inf and 0 on overflow and underflow, as ONNX Runtime gives',
    ...body,
  ].join('\n');
}

function spanOf(n: NormSpec): Span | undefined {
  return n.kind === 'none' ? undefined : n.span;
}

function attentionFunction(e: Emit, a: AttentionSpec, name: string): string {
  const fn = e.ids.get(`attention_${name}`);
  const q = (re: RegExp) => e.quotes.inBlock(a.span, re);
  const lines: string[] = [];
  const add = (code: string, note?: string) => lines.push(...withNote(code, note, 4, e.quoted));
  e.helpers.add('split_heads').add('merge_heads');
  if (a.rope || a.scoreBias) add('seq = x.shape[1]');

  const h = normCall(e, 'x', a.pre, `${name}_attn`, a.q.weight.cols);
  if (h !== 'x') add(`h = ${h}`, q(/^pre\b/));
  const input = h === 'x' ? 'x' : 'h';
  add(`q = split_heads(${affine(e, input, a.q, `q_${name}`, 'query')}, ${a.heads})`, e.quotes.at(a.q.span));
  add(`k = split_heads(${affine(e, input, a.k, `k_${name}`, 'key')}, ${a.kvHeads})`, e.quotes.at(a.k.span));
  add(`v = split_heads(${affine(e, input, a.v, `v_${name}`, 'value')}, ${a.kvHeads})`, e.quotes.at(a.v.span));
  const qn = normCall(e, 'q', a.qNorm, `q_${name}`, a.dim);
  const kn = normCall(e, 'k', a.kNorm, `k_${name}`, a.dim);
  if (qn !== 'q' || kn !== 'k') add(`q, k = ${qn}, ${kn}`, q(/^(qk_norm|q_norm|k_norm)\b/));
  if (a.rope) {
    e.helpers.add('rope');
    add(`angle = ${ropeAngles(e, a, name)}`, e.quotes.at(a.rope.span));
    add('q, k = rope(q, angle), rope(k, angle)');
  }
  if (a.scale !== 1) add(`q = q * ${pyFloat(a.scale)}`, q(/^scale\b/));
  if (a.kvHeads !== a.heads) {
    add(`k, v = np.repeat(k, ${a.heads / a.kvHeads}, axis=1), np.repeat(v, ${a.heads / a.kvHeads}, axis=1)`, `query head h reads key/value head h // ${a.heads / a.kvHeads}`);
  }
  let scores = 'q @ k.transpose(0, 1, 3, 2)';
  if (a.scoreBias) scores += ` + ${scoreTable(e, a, name)}`;
  add(`scores = ${scores}`, q(/^(bias|causal)\b/));
  const soft = a.softmax1 ? 'softmax1' : 'softmax';
  e.helpers.add(soft);
  add(`pattern = ${soft}(scores)`, a.softmax1 ? 'softmax1' : undefined);
  const write = q(/^write\b/) ?? e.quotes.at(a.out.span);
  add(`return ${affine(e, 'merge_heads(pattern @ v)', a.out, `o_${name}`, write)}`, write);
  const what = `${a.heads} head${a.heads > 1 ? 's' : ''}${a.kvHeads !== a.heads ? ` (${a.kvHeads} key/value)` : ''}, dim ${a.dim}`;
  const docLine = e.quotes.lineOf(a.span);
  e.functions.push([`def ${fn}(x):`, `    """${name} attention${docLine ? ` (.hw line ${docLine})` : ''}: ${what}; returns its write to the residual."""`, ...lines].join('\n'));
  return fn;
}

/** The RoPE angles for positions 0..seq-1 as [seq, pairs], in float64 (cos and sin are taken
 * before the cast, as the compiler's tables are). */
function ropeAngles(e: Emit, a: AttentionSpec, name: string): string {
  const { angles, pairs } = a.rope!;
  const context = angles.length / pairs;
  const freq = angles.slice(pairs, 2 * pairs);
  let linear = context > 1;
  for (let p = 0; p < context && linear; p++) {
    for (let i = 0; i < pairs; i++) if (!Object.is(angles[p * pairs + i], p * freq[i]!) && !(p === 0 && angles[i] === 0)) linear = false;
  }
  if (linear) {
    const id = defineWeight(e, `ROPE_FREQ_${name}`, [pairs], freq, 'RoPE angle per position, one per pair (float64: cos and sin are taken before rounding to DTYPE)', 'np.float64');
    return `np.arange(seq)[:, None] * ${id}`;
  }
  const id = defineWeight(e, `ROPE_ANGLE_${name}`, [context, pairs], angles, 'RoPE angle by position and pair (float64)', 'np.float64');
  return `${id}[:seq]`;
}

/** The score table [heads, seq, seq]: by distance i − j when it depends on nothing else and the
 * future is excluded, else the whole [heads, context, context] table. */
function scoreTable(e: Emit, a: AttentionSpec, name: string): string {
  const bias = a.scoreBias!;
  const n = Math.round(Math.sqrt(bias.length / a.heads));
  const byDistance = new Float64Array(a.heads * n);
  let toeplitz = true;
  // Row i, key 0 is the first entry at distance i; every later one at that distance must equal it.
  for (let hd = 0; hd < a.heads && toeplitz; hd++) {
    for (let i = 0; i < n && toeplitz; i++) {
      for (let j = 0; j < n && toeplitz; j++) {
        const v = bias[(hd * n + i) * n + j]!;
        if (j > i) toeplitz = v === -Infinity;
        else if (j === 0) byDistance[hd * n + i] = v;
        else toeplitz = Object.is(v, byDistance[hd * n + i - j]);
      }
    }
  }
  if (toeplitz && byDistance.every((v) => v === 0)) {
    e.helpers.add('causal_mask');
    return 'causal_mask(seq)';
  }
  if (toeplitz) {
    e.helpers.add('by_distance');
    const id = defineWeight(e, `SCORE_BY_DISTANCE_${name}`, [a.heads, n], byDistance, 'score added by head and distance i − j of query i and key j (keys after the query are excluded)');
    return `by_distance(${id}, seq)`;
  }
  const id = defineWeight(e, `SCORE_TABLE_${name}`, [a.heads, n, n], bias, 'score added by head, query and key; -inf excludes the key');
  return `${id}[:, :seq, :seq]`;
}

function mlpFunction(e: Emit, m: MlpSpec, name: string, dModel: number): string {
  const fn = e.ids.get(`mlp_${name}`);
  const lines: string[] = [];
  const add = (code: string, note?: string) => lines.push(...withNote(code, note, 4, e.quoted));
  const h = normCall(e, 'x', m.pre, `${name}_mlp`, dModel);
  if (h !== 'x') add(`h = ${h}`, e.quotes.inBlock(m.span, /^pre\b/));
  const input = h === 'x' ? 'x' : 'h';
  const act = e.quotes.inBlock(m.span, /^act\b/);
  const apply = (t: string) => {
    const call = activationCall(m.act, t);
    if (call.helper) e.helpers.add(call.helper);
    return call.code;
  };
  if (m.gate && m.up) {
    add(`gate = ${affine(e, input, m.gate, `gate_${name}`, 'gate')}`, e.quotes.at(m.gate.span));
    add(`up = ${affine(e, input, m.up, `up_${name}`, 'up')}`, e.quotes.at(m.up.span));
    add(`hidden = ${apply('gate')} * up`, act);
  } else {
    add(`pre_act = ${affine(e, input, m.in!, `in_${name}`, 'in')}`, e.quotes.at(m.in!.span));
    add(`hidden = ${apply('pre_act')}`, act);
  }
  const write = e.quotes.inBlock(m.span, /^write\b/) ?? e.quotes.at(m.out.span);
  add(`return ${affine(e, 'hidden', m.out, `down_${name}`, write ?? 'down')}`, write);
  const docLine = e.quotes.lineOf(m.span);
  e.functions.push([`def ${fn}(x):`, `    """${name} MLP${docLine ? ` (.hw line ${docLine})` : ''}: ${m.act}, width ${m.width}${m.gate ? ', gated' : ''}; returns its write to the residual."""`, ...lines].join('\n'));
  return fn;
}
