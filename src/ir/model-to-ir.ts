// Stage 3: CheckedModel → IrGraph. Lowers the transformer blocks to tensor operations:
//   input_ids [batch, seq] → embedding (+ position table) → layers → final norm → head → logits.
// Choices made here for exactness rather than convenience:
// - norm weights and biases are folded into the projection that follows them, and the attention
//   score scale into the RoPE tables (or the query weights), so no MatMul is followed by a constant
//   Mul (ORT would fuse that with a float32 multiplier even in float64 graphs);
// - every fixed table (positions, RoPE cos/sin, masks) is precomputed in float64 for the whole
//   context and sliced to the current positions at run time (the decode graph goes further: see
//   FastPlan).
// The same block lowering also builds the incremental decoding graph (decode-ir.ts): a
// PositionPlan says which positions a graph computes, and is the only thing that differs.
import type { AffineMap, AttentionSpec, CheckedModel, HaltSpec, LayerSpec, LoopSpec, MlpSpec, NormSpec } from '../check/model.ts';
import type { Span } from '../syntax/ast.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { FloatDType, IrGraph, IrValueInfo } from './types.ts';
import type { LengthExpr } from '../check/model.ts';

/** How `repeat` blocks are lowered: one ONNX Loop each, or unrolled (see lowerRepeat). */
export type LoopLowering = 'loop' | 'unroll';
import { modelMetadata } from './metadata.ts';

/**
 * Which positions a graph computes, as the lowering sees it. The main graph computes every position
 * of `input_ids` from 0; the incremental decoding graph (decode-ir.ts) computes new positions after
 * cached ones. Everything per position is pointwise except attention, so only these hooks differ.
 */
export interface PositionPlan {
  /** Rows of a [context, …] table for the positions computed: 'all' of this run, or only the 'last'
   * one (queries at the cut, below). */
  tableRows(b: GraphBuilder, table: string, name: string, rows: Rows): string;
  /** A [heads, context, context] score table sliced to those query rows × every key seen so far. */
  scoreRows(b: GraphBuilder, table: string, name: string, rows: Rows): string;
  /** Joins the keys/values of this run to the cached ones (the decode graph); absent in the main
   * graph. In: [batch, kv_heads, positions, width]. Out: keys that way, or with `keysByWidth`
   * [batch, kv_heads, dim, keys] (what q·kᵀ reads); values that way, or with `dot` (FastPlan's dot
   * attention at the cut) [batch, kv_heads, value_dim, keys]. */
  extendCache?(b: GraphBuilder, k: string, v: string, attention: number, a: AttentionSpec, dot: boolean): { k: string; v: string; keysByWidth: boolean };
  /** From this attention application on (0-based, in order), only the last position is computed:
   * its keys/values come from every position, its queries and everything after it from the last.
   * −1 cuts right after the embedding (a model without attention). Absent: never cut. */
  cutAt?: number;
  /** The last position of a [batch, seq, …] value. */
  lastRow?(b: GraphBuilder, x: string, name: string): string;
  /** N, the number of positions of this run, as a [1] float: what length-aware formulas read.
   * Absent where a model that reads N cannot be lowered (the decode graph refuses such models). */
  length?(b: GraphBuilder): string;
  /** The decode graph's shortcuts (decode-ir.ts, DecodeFast); absent in the main graph. */
  fast?: FastPlan;
}

export type Rows = 'all' | 'last';

/**
 * Shortcuts only a graph that decodes one new position per step can take. With `fast` set:
 * - the first attention's queries, keys and values (and so everything before them: embedding,
 *   position table, norms, projections, RoPE) are functions of a position's token and index alone,
 *   so they are lowered once more over a constant input holding every (token, position) pair, a
 *   chain of constants that the runtime folds when it loads the graph, and each run gathers its rows
 *   (see `tableIndex`); the same operators on the same values as the per-run chain;
 * - at the cut (one query, the last position, sees every key) a score-bias row that is zero there is
 *   not added: a causal mask adds 0 to every score the last query reads;
 * - with `dot`, at the cut q·kᵀ and weights·v are broadcast products summed over an axis instead of
 *   batched MatMuls of one row each (not the same rounding as MatMul: float32 graphs only).
 */
export interface FastPlan {
  /** [batch, seq] int64 (rows 'all'; [batch, 1] for 'last'): token · context + position of the
   * positions this run computes, the row of each in a [vocab · context, …] table. */
  tableIndex(b: GraphBuilder, rows: Rows): string;
  dot: boolean;
  /** The cut computes several queries (the teacher-forced graph's answer positions), not the last
   * one alone: the score bias is then always added (a later query's row reaches above the diagonal
   * of an earlier one), and `dot` must be off. */
  severalQueries?: boolean;
}

/** At most this many numbers in the first attention's (token, position) tables; larger models
 * keep computing them per run. */
export const TABLE_LIMIT = 1 << 20;

/** Dot attention sums q ⊙ k over at most this many widths by Gather and Add, over more by ReduceSum. */
const DOT_GATHER_WIDTH = 8;

interface Ctx {
  b: GraphBuilder;
  /** Set in the trace build (modelToTraceIr): each Loop also emits its residual per iteration. */
  traces?: LoopTrace[];
  plan: PositionPlan;
  componentIds: Map<object, number>;
  /** Attention applications lowered so far (a shared block applied twice counts twice). */
  attentions: number;
  /** With FastPlan's tables: the residual before the first layer for every (token, position),
   * [vocab, context, channels], and the plan that lowers over it (every table row, no cut). */
  tables?: { h: string; plan: PositionPlan };
}

/** The result of a norm before its weight/bias: y = normalized ⊙ scale + shift, applied lazily so
 * the next projection can absorb it. */
interface Normed {
  value: string;
  scale?: Float64Array;
  shift?: Float64Array;
}

export function modelToIr(model: CheckedModel, opts: { dtype?: FloatDType; loops?: LoopLowering } = {}): IrGraph {
  return buildMain(model, opts.dtype, opts.loops);
}

/**
 * Where the trace build puts one `repeat`'s values (graph output names, all batch-first after the
 * iteration axis): `initial` [batch, seq, d] is the residual entering the loop, `residual`
 * [iterations, batch, seq, d] the residual after each application (ONNX Loop scan outputs, one
 * slice per iteration actually run, so its length is the iteration count). With a halting test,
 * `haltedInitial` [batch, seq, 1] and `halted` [iterations, batch, seq, 1] are 1 where the test
 * holds on that residual (the position is frozen from the next application on), else 0.
 */
export interface LoopTrace {
  /** The loop's node name prefix, e.g. "repeat0". */
  name: string;
  line: number;
  col: number;
  /** The count, or the maximum with `until`. */
  times: number;
  halting: boolean;
  initial: string;
  residual: string;
  haltedInitial?: string;
  halted?: string;
}

/**
 * The main graph with every `repeat` as a Loop whose body also emits the residual after each
 * application as a scan output (and, with `until`, the halting test), plus those values as extra
 * graph outputs. Its logits are the main graph's: the extra nodes only read values. The normal build
 * (modelToIr) never contains them, so compiled files do not change.
 */
export function modelToTraceIr(model: CheckedModel, opts: { dtype?: FloatDType } = {}): { graph: IrGraph; loops: LoopTrace[] } {
  const loops: LoopTrace[] = [];
  const graph = buildMain(model, opts.dtype, 'loop', loops);
  const d = model.dModel;
  const extra: IrValueInfo[] = loops.flatMap((l): IrValueInfo[] => [
    { name: l.initial, elem: 'float', shape: ['batch', 'seq', d] },
    { name: l.residual, elem: 'float', shape: ['iterations', 'batch', 'seq', d] },
    ...(l.halting
      ? [
          { name: l.haltedInitial!, elem: 'float', shape: ['batch', 'seq', 1] },
          { name: l.halted!, elem: 'float', shape: ['iterations', 'batch', 'seq', 1] },
        ] satisfies IrValueInfo[]
      : []),
  ]);
  return { graph: { ...graph, outputs: [...graph.outputs, ...extra] }, loops };
}

function buildMain(model: CheckedModel, dtypeOpt: FloatDType | undefined, loopsAs: LoopLowering | undefined, traces?: LoopTrace[]): IrGraph {
  const opts = { dtype: dtypeOpt, loops: loopsAs };
  const dtype = opts.dtype ?? model.dtype;
  const b = new GraphBuilder(model.name, dtype);
  const seqLen = b.op('Shape', 'seq_len', ['input_ids'], { start: 1, end: 2 }, { doc: 'current sequence length' });
  const seqLen2 = b.op('Concat', 'seq_len_2', [seqLen, seqLen], { axis: 0 });
  const plan: PositionPlan = {
    tableRows: (bb, table, name) => bb.op('Slice', name, [table, bb.intConst('zero1', [0]), seqLen, bb.intConst('axis0', [0])]),
    scoreRows: (bb, table, name) => bb.op('Slice', name, [table, bb.intConst('zero2', [0, 0]), seqLen2, bb.intConst('axes12', [1, 2])]),
    length: (bb) => (lengthValue ??= bb.op('Cast', 'seq_len_float', [seqLen], { to: 'float' }, { doc: 'N, the sequence length, for the formulas that read it' })),
  };
  let lengthValue: string | undefined;
  const logits = lowerTransformer(b, model, plan, opts.loops, traces);
  b.op('Identity', 'logits_out', [logits]);
  const out = b.nodes[b.nodes.length - 1];
  out.outputs = ['logits'];
  return b.graph(
    [{ name: 'input_ids', elem: 'int64', shape: ['batch', 'seq'] }],
    [{ name: 'logits', elem: 'float', shape: ['batch', 'seq', model.vocab] }],
    modelMetadata(model, dtype),
    `handwire model ${model.name}`,
  );
}

/** Number of attention applications in the model, in the order the lowering visits them. */
export function attentionCount(model: CheckedModel): number {
  return model.layers.reduce((n, layer) => n + layer.components.filter((c) => c.kind === 'attention').length, 0);
}

/** Embedding → layers → final norm → head, reading `input_ids`; returns the logits value. */
export function lowerTransformer(b: GraphBuilder, model: CheckedModel, plan: PositionPlan, loopsAs: LoopLowering = 'loop', traces?: LoopTrace[]): string {
  const ctx: Ctx = { b, plan, componentIds: new Map(), attentions: 0, traces };

  const table = b.floatConst('embed.' + model.embeddingName, [model.vocab, model.dModel], model.embedding.data, 'weight', { doc: 'token embedding (vocab × channels)' });
  let h: string;
  if (plan.fast && tabulable(model)) {
    // Every (token, position) pair as a [vocab, context] batch of sequences: row t holds token t at
    // each position. All that reads it is constant, so the runtime computes these tables once.
    const ids = Array.from({ length: model.vocab * model.context }, (_, i) => Math.floor(i / model.context));
    const tablePlan: PositionPlan = {
      tableRows: (_bb, t) => t,
      scoreRows: () => {
        throw new Error('no attention is lowered over the (token, position) tables');
      },
    };
    const hTable = embed(b, model, tablePlan, table, b.intConst('table.ids', ids, [model.vocab, model.context]));
    ctx.tables = { h: hTable, plan: tablePlan };
    const rows = b.op('Reshape', 'table.residual_rows', [hTable, b.intConst('shape_table_rows', [model.vocab * model.context, model.dModel])]);
    h = b.op('Gather', 'embed', [rows, plan.fast.tableIndex(b, 'all')], { axis: 0 }, { doc: `residual channels: ${model.channels.join(', ')} (embedding and position, tabulated)` });
  } else {
    h = embed(b, model, plan, table, 'input_ids');
  }
  if (plan.cutAt === -1) h = plan.lastRow!(b, h, 'embed.last');

  const loops = model.loops ?? [];
  for (let i = 0; i < model.layers.length; ) {
    const loop = loops.find((l) => l.start === i);
    if (loop) {
      h = lowerRepeat(ctx, model, loop, h, loopsAs);
      i += loop.length * loop.times;
    } else {
      h = lowerLayer(ctx, model.layers[i], h, model.dModel);
      i++;
    }
  }

  const z = norm(ctx, h, model.final, 'final_norm', model.dModel);
  return project(ctx, z, model.head, 'head', 'head');
}

/** Whether FastPlan's tables apply: the first thing the model does is attention (so its inputs
 * read the embedded token and position only), and the tables are small enough. */
function tabulable(model: CheckedModel): boolean {
  const first = model.layers[0]?.components[0];
  if (first?.kind !== 'attention') return false;
  const perPosition = model.dModel + first.heads * first.dim + first.kvHeads * (first.dim + first.valueDim);
  return model.vocab * model.context * perPosition <= TABLE_LIMIT;
}

/** The embedding (and the position table's rows) of `ids`. */
function embed(b: GraphBuilder, model: CheckedModel, plan: PositionPlan, table: string, ids: string): string {
  let h = b.op('Gather', 'embed', [table, ids], { axis: 0 }, { doc: `residual channels: ${model.channels.join(', ')}` });
  if (model.position) {
    const lengthColumns = model.positionLength ?? [];
    // Channels computed from N at run time are 0 in the fixed table and added in below.
    const data = Float64Array.from(model.position.data);
    for (const { channel } of lengthColumns) for (let p = 0; p < model.context; p++) data[p * model.dModel + channel] = 0;
    const pos = b.floatConst('position.table', [model.context, model.dModel], data, 'encoding', { doc: 'fixed positional table (context × channels)' });
    let sliced = plan.tableRows(b, pos, 'position.slice', 'all');
    for (const { channel, expr } of lengthColumns) {
      const name = `position.${model.channels[channel]}`;
      const column = lowerLength(b, plan, expr, name, (t) => plan.tableRows(b, b.floatConst(`${name}.table`, [model.context], t, 'encoding'), `${name}.slice`, 'all'));
      const asColumn = b.op('Reshape', `${name}.column`, [column, b.intConst('shape_column', [-1, 1])]);
      const oneHot = new Float64Array(model.dModel);
      oneHot[channel] = 1;
      const placed = b.op('Mul', `${name}.placed`, [asColumn, b.floatConst(`one_hot.${channel}`, [1, model.dModel], oneHot, 'structural', { key: `one_hot:${channel}` })], undefined, { doc: `channel ${model.channels[channel]} of the position row, a formula of N` });
      sliced = b.op('Add', `${name}.add`, [sliced, placed]);
    }
    h = b.op('Add', 'embed.plus_position', [h, sliced]);
  }
  return h;
}

function lowerLayer(ctx: Ctx, layer: LayerSpec, h: string, dModel: number): string {
  const b = ctx.b;
  layer.components.forEach((comp, ci) => {
    const prefix = `${layer.name}.${comp.kind === 'attention' ? 'attn' : 'mlp'}${layer.components.filter((c) => c.kind === comp.kind).length > 1 ? ci : ''}`;
    let residual = h;
    let delta: string;
    if (comp.kind === 'attention') ({ delta, residual } = attention(ctx, comp, h, prefix, sharedKey(ctx, comp)));
    else delta = mlp(ctx, comp, h, prefix, sharedKey(ctx, comp));
    h = b.op('Add', `${prefix}.residual`, [residual, delta], undefined, { span: comp.span });
    // Post-norm: the residual stream itself is normalised, so its weight and bias are applied here
    // (several later blocks read it, none can absorb them).
    if (comp.post.kind !== 'none') {
      h = materialize(ctx, norm(ctx, h, comp.post, `${prefix}.post_norm`, dModel), `${prefix}.post_norm`, [dModel], `${sharedKey(ctx, comp)}:post`, comp.post.span);
    }
  });
  return h;
}

// ---- loops ----

/**
 * A `repeat` block as one ONNX Loop ('loop': the body's nodes once, its weights once, so the file
 * does not grow with the count) or as its applications one after another ('unroll'). Unrolling
 * stays for the incremental decoding graph, whose every attention application has its own cache
 * input and output (a Loop would have to carry caches whose length differs per call), and for the
 * analyses that walk a flat graph (prove's bounds, the numpy export, inspect's per-layer probes).
 * Both compute the same operations in the same order, so they agree bit for bit.
 */
function lowerRepeat(ctx: Ctx, model: CheckedModel, loop: LoopSpec, h: string, as: LoopLowering): string {
  const body = model.layers.slice(loop.start, loop.start + loop.length);
  const name = `repeat${loop.start}`;
  // A plan that tracks attention applications (the decode graph's caches and cut) needs each one
  // lowered by itself: it can only unroll.
  if (as === 'unroll' || ctx.plan.extendCache || ctx.plan.cutAt !== undefined) {
    for (let r = 0; r < loop.times; r++) {
      const layers = model.layers.slice(loop.start + r * loop.length, loop.start + (r + 1) * loop.length);
      h = loop.halt ? haltingStep(ctx, loop.halt, h, `${name}.${r}`, (x) => layers.reduce((y, l) => lowerLayer(ctx, l, y, model.dModel), x)) : layers.reduce((y, l) => lowerLayer(ctx, l, y, model.dModel), h);
    }
    return h;
  }
  const b = ctx.b;
  const d = model.dModel;
  const residualShape: IrValueInfo['shape'] = ['batch', 'seq', d];
  const iter = b.fresh(`${name}.iteration`);
  const condIn = b.fresh(`${name}.cond_in`);
  const hIn = b.fresh(`${name}.residual_in`);
  let condOut = '';
  let hOut = '';
  const scans: string[] = [];
  const nodes = b.inBody(() => {
    const step = (x: string) => body.reduce((y, l) => lowerLayer(ctx, l, y, model.dModel), x);
    if (loop.halt) {
      hOut = haltingStep(ctx, loop.halt, hIn, name, step);
      condOut = anyRunning(ctx, loop.halt, hOut, `${name}.continue`);
    } else {
      hOut = step(hIn);
      condOut = b.op('Identity', `${name}.cond_out`, [condIn]);
    }
    // The trace build only: the residual after this application (and the halting test on it) as
    // scan outputs, which the Loop stacks over the iterations it runs.
    if (ctx.traces) {
      scans.push(b.op('Identity', `${name}.trace.residual_step`, [hOut], undefined, { doc: 'trace: the residual after this application' }));
      if (loop.halt) scans.push(haltedFloat(ctx, loop.halt, hOut, `${name}.trace.halted_step`));
    }
  });
  const maxTrips = b.intConst(`${name}.trips`, [loop.times], []);
  // Without a halting test the condition stays true (ONNX's empty input); with one, the loop only
  // starts when some position has not halted yet.
  const condStart = loop.halt ? anyRunning(ctx, loop.halt, h, `${name}.start`) : '';
  const out = b.fresh(`${name}.residual`);
  const scanOuts = scans.map((v) => b.fresh(v.replace('_step', '')));
  if (ctx.traces) {
    const initial = b.op('Identity', `${name}.trace.initial`, [h], undefined, { doc: 'trace: the residual entering the loop' });
    const haltedInitial = loop.halt ? haltedFloat(ctx, loop.halt, h, `${name}.trace.halted_initial`) : undefined;
    ctx.traces.push({ name, line: loop.span.line, col: loop.span.col, times: loop.times, halting: !!loop.halt, initial, residual: scanOuts[0]!, haltedInitial, halted: scanOuts[1] });
  }
  const scanShape = (v: string): IrValueInfo => ({ name: v, elem: 'float', shape: v === scans[0] ? residualShape : ['batch', 'seq', 1] });
  b.nodes.push({
    op: 'Loop',
    name: b.fresh(`${name}.loop`),
    inputs: [maxTrips, condStart, h],
    outputs: [out, ...scanOuts],
    // The count stays out of the doc string: it is in the trip-count constant, and the file's size
    // must not depend on it, not even by a digit.
    doc: loop.halt ? `the shared layers, at most as often as the trip count, each position stopping once it halts` : 'the shared layers, as often as the trip count',
    source: { line: loop.span.line, col: loop.span.col },
    body: {
      inputs: [
        { name: iter, elem: 'int64', shape: [] },
        { name: condIn, elem: 'bool', shape: [] },
        { name: hIn, elem: 'float', shape: residualShape },
      ],
      outputs: [
        { name: condOut, elem: 'bool', shape: [] },
        { name: hOut, elem: 'float', shape: residualShape },
        ...scans.map(scanShape),
      ],
      nodes,
    },
  });
  return out;
}

/** One application with per-position halting: positions that satisfy the test keep their residual. */
function haltingStep(ctx: Ctx, halt: HaltSpec, h: string, name: string, step: (x: string) => string): string {
  const before = ctx.attentions;
  let frozen = halted(ctx, halt, h, `${name}.halted`);
  const next = step(h);
  let kept = h;
  // The decode graph computes only the last position from its cut on: when the cut falls inside
  // this application, the frozen residual it selects from is cut the same way.
  const cut = ctx.plan.cutAt;
  if (cut !== undefined && cut >= before && cut < ctx.attentions) {
    kept = ctx.plan.lastRow!(ctx.b, h, `${name}.kept_last`);
    frozen = ctx.plan.lastRow!(ctx.b, frozen, `${name}.halted_last`);
  }
  return ctx.b.op('Where', `${name}.residual`, [frozen, kept, next], undefined, { doc: 'halted positions keep their residual', span: halt.span });
}

/** [batch, seq, 1] bool: weight · h + bias > 0 (≥ 0 when not strict). */
function halted(ctx: Ctx, halt: HaltSpec, h: string, name: string): string {
  const b = ctx.b;
  const w = b.floatConst(`halt.weight`, [halt.weight.length, 1], halt.weight, 'weight', { key: `halt:${halt.span.offset}:w`, span: halt.span, doc: 'halting test: residual · weight + bias' });
  let score = b.op('MatMul', `${name}.score`, [h, w], undefined, { span: halt.span });
  if (halt.bias !== 0) score = b.op('Add', `${name}.score_bias`, [score, b.floatConst('halt.bias', [], Float64Array.of(halt.bias), 'weight', { key: `halt:${halt.span.offset}:b`, span: halt.span })]);
  const zero = b.floatConst('zero_scalar', [], Float64Array.of(0), 'structural', { key: 'zero_scalar' });
  return b.op(halt.strict ? 'Greater' : 'GreaterOrEqual', name, [score, zero], undefined, { span: halt.span });
}

/** [batch, seq, 1] in the model's float type: 1 where the halting test holds, else 0 (the trace). */
function haltedFloat(ctx: Ctx, halt: HaltSpec, h: string, name: string): string {
  return ctx.b.op('Cast', name, [halted(ctx, halt, h, `${name}.test`)], { to: 'float' }, { doc: 'trace: 1 where the halting test holds' });
}

/** A bool scalar: true while some position of some row has not halted. */
function anyRunning(ctx: Ctx, halt: HaltSpec, h: string, name: string): string {
  const b = ctx.b;
  const running = b.op('Cast', `${name}.running`, [b.op('Not', `${name}.not_halted`, [halted(ctx, halt, h, `${name}.halted`)])], { to: 'float' });
  const most = b.op('ReduceMax', `${name}.any_running`, [running], { keepdims: 0 });
  const zero = b.floatConst('zero_scalar', [], Float64Array.of(0), 'structural', { key: 'zero_scalar' });
  return b.op('Greater', name, [most, zero]);
}

/** Components of repeated layers are the same objects: give them the same constant keys, so a
 * shared block stores its weights once. */
function sharedKey(ctx: Ctx, comp: object): string {
  if (!ctx.componentIds.has(comp)) ctx.componentIds.set(comp, ctx.componentIds.size);
  return `c${ctx.componentIds.get(comp)}`;
}

// ---- norms ----

function norm(ctx: Ctx, x: string, spec: NormSpec, name: string, size: number): Normed {
  const b = ctx.b;
  if (spec.kind === 'none') return { value: x };
  const span = spec.span;
  const epsName = b.floatConst(`${name}.eps`, [], Float64Array.of(spec.eps), 'weight', { doc: 'norm epsilon', span });
  let centered = x;
  if (spec.kind === 'layernorm') {
    const mean = b.op('ReduceMean', `${name}.mean`, [x], { axes: [-1], keepdims: 1 }, { span });
    centered = b.op('Sub', `${name}.center`, [x, mean], undefined, { span });
  }
  const sq = b.op('Mul', `${name}.square`, [centered, centered], undefined, { span });
  const ms = b.op('ReduceMean', `${name}.mean_square`, [sq], { axes: [-1], keepdims: 1 }, { span });
  const plus = b.op('Add', `${name}.plus_eps`, [ms, epsName], undefined, { span });
  const root = b.op('Sqrt', `${name}.rms`, [plus], undefined, { span });
  const y = b.op('Div', `${name}.normalized`, [centered, root], undefined, { doc: `${spec.kind} over ${size} values`, span });
  return { value: y, scale: spec.weight, shift: spec.kind === 'layernorm' ? spec.bias : undefined };
}

/** Applies a pending norm weight/bias explicitly (when no projection follows to absorb it). */
function materialize(ctx: Ctx, n: Normed, name: string, shapeTail: number[], key: string, span?: Span): string {
  let v = n.value;
  if (n.scale) v = ctx.b.op('Mul', `${name}.weight`, [v, ctx.b.floatConst(`${name}.weight`, shapeTail, n.scale, 'weight', { key: `${key}:w`, span })]);
  if (n.shift) v = ctx.b.op('Add', `${name}.bias`, [v, ctx.b.floatConst(`${name}.bias`, shapeTail, n.shift, 'weight', { key: `${key}:b`, span })]);
  return v;
}

// ---- projections ----

/** y = outScale ⊙ (M (scale ⊙ x + shift) + bias), emitted as one MatMul with the folded,
 * transposed weight and one Add for the folded bias. */
function project(ctx: Ctx, x: Normed, m: AffineMap, name: string, key: string, outScale?: Float64Array): string {
  const { rows, cols, data } = m.weight;
  const wt = new Float64Array(cols * rows); // [in, out] for x @ W
  const bias = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = outScale ? outScale[i] : 1;
    let bi = m.bias[i];
    for (let j = 0; j < cols; j++) {
      const w = data[i * cols + j];
      wt[j * rows + i] = w * (x.scale ? x.scale[j] : 1) * o;
      if (x.shift) bi += w * x.shift[j];
    }
    bias[i] = bi * o;
  }
  const b = ctx.b;
  const wName = b.floatConst(`${name}.weight`, [cols, rows], wt, 'weight', { doc: `${name}: ${cols} inputs → ${rows} outputs`, span: m.span, key: `${key}:${name}:W` });
  let y = b.op('MatMul', name, [x.value, wName], undefined, { span: m.span });
  if (bias.some((v) => v !== 0)) {
    y = b.op('Add', `${name}.add_bias`, [y, b.floatConst(`${name}.bias`, [rows], bias, 'weight', { span: m.span, key: `${key}:${name}:b` })], undefined, { span: m.span });
  }
  return y;
}

// ---- attention ----

/** One attention block; returns its residual update and the residual it applies to (the last
 * position only when the plan cuts here). */
function attention(ctx: Ctx, a: AttentionSpec, h: string, prefix: string, key: string): { delta: string; residual: string } {
  const b = ctx.b;
  const index = ctx.attentions++;
  const cut = ctx.plan.cutAt === index;
  const { q, k: k0, v: v0, residual } = ctx.tables && index === 0 ? tabulatedQkv(ctx, a, h, prefix, key, cut) : qkv(ctx, a, h, prefix, key, cut);
  let k = k0;
  let v = v0;
  // The decode graph caches keys and values here: after norms and RoPE (both depend on the key's
  // own position only) and before the GQA broadcast, so the cache holds kv_heads, not heads. From
  // here on both graphs run the same operations on the same layouts, which keeps their results
  // equal bit for bit wherever ORT picks the same kernels (measured: all the adders in float64
  // but the GQA one, whose margins differ by ≤ 6e-10 relative). FastPlan keeps that in float64:
  // keys cached by width are the values the Transpose below would make; only float32 graphs take
  // dot attention.
  const dot = cut && !!ctx.plan.fast?.dot;
  let keysByWidth = false;
  if (ctx.plan.extendCache) ({ k, v, keysByWidth } = ctx.plan.extendCache(b, k, v, index, a, dot));
  const group = a.heads / a.kvHeads;
  let kk = k;
  let vv = v;
  if (group > 1) {
    const idx = b.intConst(`${prefix}.kv_for_head`, Array.from({ length: a.heads }, (_, hh) => Math.floor(hh / group)));
    kk = b.op('Gather', `${prefix}.k_shared`, [k, idx], { axis: 1 }, { doc: `each of ${a.heads} query heads reads key head ⌊h/${group}⌋` });
    vv = b.op('Gather', `${prefix}.v_shared`, [v, idx], { axis: 1 });
  }
  // FastPlan: the last query reads score-bias row (total − 1) at keys 0 … total − 1, all on or below
  // the diagonal; where the table is 0 there (a plain causal mask), adding it changes no score.
  const bias = a.scoreBias && !(cut && ctx.plan.fast && !ctx.plan.fast.severalQueries && zeroOnAndBelowDiagonal(a.scoreBias, a.heads)) ? a.scoreBias : undefined;
  if (dot) return { delta: dotAttention(ctx, a, q, kk, vv, bias, prefix, key), residual };
  const kt = keysByWidth ? kk : b.op('Transpose', `${prefix}.k_t`, [kk], { perm: [0, 1, 3, 2] });
  let scores = b.op('MatMul', `${prefix}.scores`, [q, kt], undefined, { doc: 'query · key', span: a.span });
  if (bias) {
    const n = Math.round(Math.sqrt(bias.length / a.heads));
    const table = b.floatConst(`${prefix}.score_bias`, [a.heads, n, n], bias, 'encoding', { doc: 'additive scores by (head, query, key): masks and fixed biases', key: `${key}:bias` });
    const sliced = ctx.plan.scoreRows(b, table, `${prefix}.score_bias_slice`, cut ? 'last' : 'all');
    scores = b.op('Add', `${prefix}.masked_scores`, [scores, sliced]);
  }
  if (a.scoreBiasLength) {
    const bias = lowerLength(b, ctx.plan, a.scoreBiasLength, `${prefix}.length_bias`, (t) => {
      const n = Math.round(Math.sqrt(t.length / a.heads));
      const values = b.floatConst(`${prefix}.length_bias.table`, [a.heads, n, n], t, 'encoding', { doc: 'an N-free part of a score bias that reads N' });
      return ctx.plan.scoreRows(b, values, `${prefix}.length_bias.slice`, cut ? 'last' : 'all');
    });
    scores = b.op('Add', `${prefix}.length_scores`, [scores, bias], undefined, { doc: 'additive scores that read N' });
  }
  const weights = a.softmax1 ? softmax1(ctx, scores, prefix) : b.op('Softmax', `${prefix}.weights`, [scores], { axis: -1 });
  const mixed = b.op('MatMul', `${prefix}.mix`, [weights, vv]);
  const merged = b.op('Transpose', `${prefix}.merge_t`, [mixed], { perm: [0, 2, 1, 3] });
  const flat = b.op('Reshape', `${prefix}.merge`, [merged, b.intConst(`shape_bs${a.heads * a.valueDim}`, [0, 0, a.heads * a.valueDim])]);
  return { delta: project(ctx, { value: flat }, a.out, `${prefix}.o_proj`, key), residual };
}

/** Queries, keys and values of one attention block, after their norms, RoPE and the score scale,
 * [batch, heads, positions, width]; and the residual the block adds to. */
function qkv(ctx: Ctx, a: AttentionSpec, h: string, prefix: string, key: string, cut: boolean): { q: string; k: string; v: string; residual: string } {
  const b = ctx.b;
  const x = norm(ctx, h, a.pre, `${prefix}.pre_norm`, a.q.weight.cols);
  // At the cut, keys and values still come from every position, queries from the last one only.
  const xq: Normed = cut ? { ...x, value: ctx.plan.lastRow!(b, x.value, `${prefix}.query_last`) } : x;
  const residual = cut ? ctx.plan.lastRow!(b, h, `${prefix}.residual_last`) : h;
  // The score scale goes into the RoPE tables of q when there are any, else into q's weights when
  // no norm follows them, else into a per-lane multiplier after the q norm.
  const scaleInWeights = !a.rope && a.qNorm.kind === 'none';
  const qScale = scaleInWeights ? new Float64Array(a.q.weight.rows).fill(a.scale) : undefined;
  let q = heads(ctx, project(ctx, xq, a.q, `${prefix}.q_proj`, key, qScale), a.heads, a.dim, `${prefix}.q`);
  let k = heads(ctx, project(ctx, x, a.k, `${prefix}.k_proj`, key), a.kvHeads, a.dim, `${prefix}.k`);
  const v = heads(ctx, project(ctx, x, a.v, `${prefix}.v_proj`, key), a.kvHeads, a.valueDim, `${prefix}.v`);

  if (a.qNorm.kind !== 'none') q = materialize(ctx, norm(ctx, q, a.qNorm, `${prefix}.q_norm`, a.dim), `${prefix}.q_norm`, [a.dim], `${key}:qn`, a.qNorm.span);
  if (a.kNorm.kind !== 'none') k = materialize(ctx, norm(ctx, k, a.kNorm, `${prefix}.k_norm`, a.dim), `${prefix}.k_norm`, [a.dim], `${key}:kn`, a.kNorm.span);
  let scaleDone = scaleInWeights;
  if (a.rope) {
    q = rope(ctx, q, a, `${prefix}.q_rope`, a.scale, `${key}:rq`, cut ? 'last' : 'all');
    k = rope(ctx, k, a, `${prefix}.k_rope`, 1, `${key}:rk`, 'all');
    scaleDone = true;
  }
  if (!scaleDone && a.scale !== 1) {
    q = b.op('Mul', `${prefix}.q_scale`, [q, b.floatConst(`${prefix}.score_scale`, [a.dim], new Float64Array(a.dim).fill(a.scale), 'weight', { key: `${key}:scale` })]);
  }
  return { q, k, v, residual };
}

/**
 * FastPlan's tables: qkv lowered over the (token, position) residual table (constants only, folded
 * when the graph is loaded), laid out [vocab · context, heads, width], and this run's rows gathered
 * from it by token · context + position. Queries at the cut: the last position's row only.
 */
function tabulatedQkv(ctx: Ctx, a: AttentionSpec, h: string, prefix: string, key: string, cut: boolean): { q: string; k: string; v: string; residual: string } {
  const b = ctx.b;
  const tables = ctx.tables!;
  const residual = cut ? ctx.plan.lastRow!(b, h, `${prefix}.residual_last`) : h;
  const t = qkv({ ...ctx, plan: tables.plan }, a, tables.h, `${prefix}.table`, key, false);
  const fast = ctx.plan.fast!;
  const gather = (table: string, n: number, width: number, name: string, rows: Rows) => {
    // [vocab, n, context, width] → [vocab, context, n, width] → one row per (token, position).
    const byPosition = b.op('Transpose', `${name}.by_position`, [table], { perm: [0, 2, 1, 3] });
    const flat = b.op('Reshape', `${name}.rows`, [byPosition, b.intConst(`shape_table_rows${n}x${width}`, [-1, n, width])]);
    const picked = b.op('Gather', `${name}.gather`, [flat, fast.tableIndex(b, rows)], { axis: 0 }, { doc: 'this run\'s rows of the (token, position) table' });
    return b.op('Transpose', `${name}.heads`, [picked], { perm: [0, 2, 1, 3] });
  };
  return {
    q: gather(t.q, a.heads, a.dim, `${prefix}.q`, cut ? 'last' : 'all'),
    k: gather(t.k, a.kvHeads, a.dim, `${prefix}.k`, 'all'),
    v: gather(t.v, a.kvHeads, a.valueDim, `${prefix}.v`, 'all'),
    residual,
  };
}

/** Whether every head's score bias is 0 at every (query i, key j ≤ i). */
function zeroOnAndBelowDiagonal(bias: Float64Array, heads: number): boolean {
  const n = Math.round(Math.sqrt(bias.length / heads));
  for (let hh = 0; hh < heads; hh++) {
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) if (bias[(hh * n + i) * n + j] !== 0) return false;
  }
  return true;
}

/**
 * FastPlan's dot attention at the cut, where each row has one query. With the cache laid out by
 * width ([batch, heads, width, keys], so that each product runs along the keys): scores =
 * Σ_d q_d ⊙ k_d and weights·v = Σ_t w_t ⊙ v_t, each a broadcast Mul and a ReduceSum, in place of
 * batched MatMuls that ORT runs as one tiny product per row and head.
 */
function dotAttention(ctx: Ctx, a: AttentionSpec, q: string, kt: string, vt: string, bias: Float64Array | undefined, prefix: string, key: string): string {
  const b = ctx.b;
  // q [batch, heads, 1, dim] as a column [batch, heads, dim, 1] ⊙ kᵀ [batch, heads, dim, keys], Σ over dim.
  const column = b.op('Reshape', `${prefix}.q_column`, [q, b.intConst('shape_column4', [0, 0, -1, 1])]);
  const products = b.op('Mul', `${prefix}.qk`, [column, kt]);
  // Σ over dim, an axis between others: ORT's ReduceSum there costs several ns a number, so a few
  // widths are picked out (Gather on that axis, one block of keys per row and head) and added.
  let scores: string;
  if (a.dim <= DOT_GATHER_WIDTH) {
    const lane = (i: number) => b.op('Gather', `${prefix}.qk${i}`, [products, b.intConst(`index${i}`, [i], [])], { axis: 2 });
    scores = lane(0);
    for (let i = 1; i < a.dim; i++) scores = b.op('Add', `${prefix}.scores${i}`, [scores, lane(i)], undefined, i === a.dim - 1 ? { doc: 'query · key: [batch, heads, keys]', span: a.span } : {});
  } else {
    scores = b.op('ReduceSum', `${prefix}.scores`, [products, b.intConst('axis2', [2])], { keepdims: 0 }, { doc: 'query · key: [batch, heads, keys]', span: a.span });
  }
  if (bias) {
    const n = Math.round(Math.sqrt(bias.length / a.heads));
    const table = b.floatConst(`${prefix}.score_bias`, [a.heads, n, n], bias, 'encoding', { doc: 'additive scores by (head, query, key): masks and fixed biases', key: `${key}:bias` });
    const sliced = ctx.plan.scoreRows(b, table, `${prefix}.score_bias_slice`, 'last');
    const row = b.op('Reshape', `${prefix}.score_bias_row`, [sliced, b.intConst(`shape_${a.heads}xkeys`, [a.heads, -1])]);
    scores = b.op('Add', `${prefix}.masked_scores`, [scores, row]);
  }
  const weights = a.softmax1 ? softmax1(ctx, scores, prefix) : b.op('Softmax', `${prefix}.weights`, [scores], { axis: -1 });
  // w [batch, heads, 1, keys] ⊙ vᵀ [batch, heads, value_dim, keys], Σ over keys → [batch, heads, value_dim].
  const row = b.op('Reshape', `${prefix}.weights_row`, [weights, b.intConst('shape_row4', [0, 0, 1, -1])]);
  const mixed = b.op('ReduceSum', `${prefix}.mix`, [b.op('Mul', `${prefix}.wv`, [row, vt]), b.intConst('axis_last', [-1])], { keepdims: 0 });
  const flat = b.op('Reshape', `${prefix}.merge`, [mixed, b.intConst(`shape_b1x${a.heads * a.valueDim}`, [0, 1, a.heads * a.valueDim])]);
  return project(ctx, { value: flat }, a.out, `${prefix}.o_proj`, key);
}

/** [batch, seq, heads*dim] → [batch, heads, seq, dim]. */
function heads(ctx: Ctx, x: string, n: number, dim: number, name: string): string {
  const b = ctx.b;
  const r = b.op('Reshape', `${name}.split`, [x, b.intConst(`shape_bs${n}x${dim}`, [0, 0, n, dim])]);
  return b.op('Transpose', `${name}.heads`, [r], { perm: [0, 2, 1, 3] });
}

/** RoPE on the last axis, pairs (i, i + dim/2): y = x ⊙ cos + (x @ R) ⊙ sin with R the half swap
 * [a, b] → [−b, a]. `factor` multiplies both tables (the folded score scale). */
function rope(ctx: Ctx, x: string, a: AttentionSpec, name: string, factor: number, key: string, rows: Rows): string {
  const b = ctx.b;
  const { angles, pairs } = a.rope!;
  const dim = a.dim;
  const context = angles.length / pairs;
  const cos = new Float64Array(context * dim);
  const sin = new Float64Array(context * dim);
  for (let p = 0; p < context; p++) {
    for (let i = 0; i < pairs; i++) {
      const t = angles[p * pairs + i];
      cos[p * dim + i] = cos[p * dim + i + pairs] = Math.cos(t) * factor;
      sin[p * dim + i] = sin[p * dim + i + pairs] = Math.sin(t) * factor;
    }
  }
  const rot = new Float64Array(dim * dim);
  for (let i = 0; i < pairs; i++) {
    rot[(i + pairs) * dim + i] = -1; // out[i] = -x[i+pairs]
    rot[i * dim + i + pairs] = 1; // out[i+pairs] = x[i]
  }
  const doc = factor === 1 ? 'RoPE table' : `RoPE table × score scale ${factor}`;
  const cosT = b.floatConst(`${name}.cos`, [context, dim], cos, 'encoding', { doc, key: `${key}:cos`, span: a.rope!.span });
  const sinT = b.floatConst(`${name}.sin`, [context, dim], sin, 'encoding', { doc, key: `${key}:sin`, span: a.rope!.span });
  const rotT = b.floatConst(`rope_half_swap_${dim}`, [dim, dim], rot, 'structural', { key: `rot${dim}` });
  const c = ctx.plan.tableRows(b, cosT, `${name}.cos_slice`, rows);
  const s = ctx.plan.tableRows(b, sinT, `${name}.sin_slice`, rows);
  const swapped = b.op('MatMul', `${name}.swap`, [x, rotT]);
  const xc = b.op('Mul', `${name}.x_cos`, [x, c]);
  const xs = b.op('Mul', `${name}.swap_sin`, [swapped, s]);
  return b.op('Add', name, [xc, xs], undefined, { span: a.rope!.span });
}

/** softmax with an extra zero logit: exp(s) / (1 + Σ exp(s)), computed stably with m = max(0, max s). */
function softmax1(ctx: Ctx, scores: string, prefix: string): string {
  const b = ctx.b;
  const zero = b.floatConst('zero_scalar', [], Float64Array.of(0), 'structural', { key: 'zero_scalar' });
  const rowMax = b.op('ReduceMax', `${prefix}.row_max`, [scores], { axes: [-1], keepdims: 1 });
  const m = b.op('Max', `${prefix}.row_max_or_zero`, [rowMax, zero]);
  const shifted = b.op('Sub', `${prefix}.shifted`, [scores, m]);
  const e = b.op('Exp', `${prefix}.exp`, [shifted]);
  const sum = b.op('ReduceSum', `${prefix}.exp_sum`, [e, b.intConst('axis_last', [-1])], { keepdims: 1 });
  const negM = b.op('Neg', `${prefix}.neg_max`, [m]);
  const sink = b.op('Exp', `${prefix}.sink`, [negM], undefined, { doc: 'the extra zero logit' });
  const den = b.op('Add', `${prefix}.denominator`, [sum, sink]);
  return b.op('Div', `${prefix}.weights`, [e, den], undefined, { doc: 'softmax1: exp(s) / (1 + Σ exp(s))' });
}

// ---- MLP ----

function mlp(ctx: Ctx, m: MlpSpec, h: string, prefix: string, key: string): string {
  const b = ctx.b;
  const x = norm(ctx, h, m.pre, `${prefix}.pre_norm`, m.out.weight.rows);
  let hidden: string;
  if (m.gate && m.up) {
    const g = project(ctx, x, m.gate, `${prefix}.gate_proj`, key);
    const u = project(ctx, x, m.up, `${prefix}.up_proj`, key);
    hidden = b.op('Mul', `${prefix}.gated`, [activation(ctx, g, m.act, `${prefix}.act`), u], undefined, { span: m.span });
  } else {
    hidden = activation(ctx, project(ctx, x, m.in!, `${prefix}.in_proj`, key), m.act, `${prefix}.act`);
  }
  return project(ctx, { value: hidden }, m.out, `${prefix}.down_proj`, key);
}

function activation(ctx: Ctx, x: string, act: MlpSpec['act'], name: string): string {
  const b = ctx.b;
  switch (act) {
    case 'relu':
      return b.op('Relu', name, [x]);
    case 'sigmoid':
      return b.op('Sigmoid', name, [x]);
    case 'tanh':
      return b.op('Tanh', name, [x]);
    case 'abs':
      return b.op('Abs', name, [x]);
    case 'identity':
      return x;
    case 'silu': {
      // silu(t) = t / (1 + e^-t). ONNX has no SiLU op at opset 17, and the obvious t·Sigmoid(t) is
      // fused by ORT's default optimisations into QuickGelu, which has no float64 kernel: a float64
      // model written that way fails to load for anyone not choosing the 'basic' level. Large
      // negative t gives e^-t = inf and t/inf = -0, the right limit.
      const one = b.floatConst('one_scalar', [], Float64Array.of(1), 'structural', { key: 'one_scalar' });
      const expNeg = b.op('Exp', `${name}.exp_neg`, [b.op('Neg', `${name}.neg`, [x])]);
      return b.op('Div', name, [x, b.op('Add', `${name}.one_plus`, [one, expNeg])], undefined, { doc: 'silu(t) = t / (1 + exp(-t))' });
    }
    case 'gelu_tanh': {
      // 0.5 t (1 + tanh(√(2/π) (t + 0.044715 t³))), from basic ops so float64 has kernels.
      const c = (v: number, n: string) => b.floatConst(n, [], Float64Array.of(v), 'structural', { key: `gelu:${n}` });
      const t3 = b.op('Mul', `${name}.t3`, [b.op('Mul', `${name}.t2`, [x, x]), x]);
      const inner = b.op('Add', `${name}.inner`, [x, b.op('Mul', `${name}.cubic`, [t3, c(0.044715, 'gelu_c')])]);
      const th = b.op('Tanh', `${name}.tanh`, [b.op('Mul', `${name}.scaled`, [inner, c(Math.sqrt(2 / Math.PI), 'gelu_k')])]);
      const onePlus = b.op('Add', `${name}.one_plus`, [th, c(1, 'gelu_one')]);
      return b.op('Mul', name, [b.op('Mul', `${name}.half_t`, [x, c(0.5, 'gelu_half')]), onePlus], undefined, { doc: 'gelu, tanh form' });
    }
  }
}

/** A formula of N (length-formula.ts) as tensor operations: its N-free tables sliced to this run's
 * positions by `table`, N from the plan. Every table was computed in float64 at compile time. */
function lowerLength(b: GraphBuilder, plan: PositionPlan, e: LengthExpr, name: string, table: (values: Float64Array) => string): string {
  const go = (x: LengthExpr): string => lowerLength(b, plan, x, name, table);
  switch (e.kind) {
    case 'table':
      return e.scalar !== undefined ? b.floatConst(`${name}.const`, [], Float64Array.of(e.scalar), 'encoding') : table(e.values);
    case 'length':
      if (!plan.length) throw new Error('this graph cannot compute formulas of the sequence length N');
      return plan.length(b);
    case 'unary':
      return b.op(e.op, `${name}.${e.op.toLowerCase()}`, [go(e.x)]);
    case 'binary':
      return b.op(e.op, `${name}.${e.op.toLowerCase()}`, [go(e.a), go(e.b)]);
    case 'where': {
      const test = b.op(e.test.op, `${name}.test`, [go(e.test.a), go(e.test.b)]);
      const [yes, no] = e.test.negate ? [e.else, e.then] : [e.then, e.else];
      return b.op('Where', `${name}.where`, [test, go(yes), go(no)]);
    }
  }
}
