// The incremental decoding graph: the same CheckedModel lowered (by model-to-ir.ts's block code)
// to a graph that computes only new positions, reading the keys and values of earlier positions
// from a cache instead of recomputing them.
//
//   inputs   input_ids [batch, seq] int64   tokens at positions position .. position+seq−1
//            position  [1] int64             absolute position of input_ids[:, 0] = cached length
//            past_k_<l> [batch, kv_heads, past, dim], past_v_<l> [batch, kv_heads, past, value_dim]
//                      (with the fast shortcuts, keys [batch, kv_heads, dim, past], and in float32
//                      the last attention's values [batch, kv_heads, value_dim, past] too: the
//                      layout the products read; the runtime takes the symbolic axis as positions)
//   outputs  logits    [batch, 1, vocab]     at the last new position only
//            present_k_<l>, present_v_<l>    past joined with this run's keys/values (total = past + seq)
//
// <l> counts attention applications in order. One graph serves both phases: the prefill runs the
// prompt with empty caches (past = 0, position 0), each decoding step runs one token. All rows of a
// batch share `position`, so prompts in one batch must have equal lengths.
//
// Only the last position's logits are needed, so from the last attention on the graph computes the
// last position only (its keys/values still cover every position): in a prefill this skips the
// seq × seq score matrix of that layer. This is exact because the model is causal (checked below):
// a position never reads later ones, and everything outside attention is per position.
import type { CheckedModel } from '../check/model.ts';
import { GraphBuilder } from './graph-builder.ts';
import { attentionCount, lowerTransformer, type FastPlan, type PositionPlan, type Rows } from './model-to-ir.ts';
import { modelMetadata } from './metadata.ts';
import type { FloatDType, IrGraph, IrValueInfo } from './types.ts';

/** Metadata key of the decode graph's cache layout (JSON, see DecodeContract). */
export const DECODE_METADATA_KEY = 'handwire.decode';

/** One attention application's cache: keys [batch, kvHeads, positions, dim] and values
 * [batch, kvHeads, positions, valueDim]. */
export interface DecodeCache {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
  kvHeads: number;
  dim: number;
  valueDim: number;
}

export interface DecodeContract {
  positionInput: 'position';
  caches: DecodeCache[];
}

/**
 * Why the model cannot be decoded incrementally, or undefined when it can. Caching is exact only
 * when every attention is causal: with a key after the query allowed, earlier positions change as
 * tokens are appended, and full recompute is the only faithful decoder.
 */
export function decodeUnsupportedReason(model: CheckedModel): string | undefined {
  // A formula of N gives every position a value that changes as the sequence grows, so cached keys
  // and values would go stale.
  if (model.positionLength?.length) return 'its position row reads N (the sequence length), which changes every earlier position as the sequence grows';
  for (const layer of model.layers) {
    if (layer.components.some((c) => c.kind === 'attention' && c.scoreBiasLength)) return `an attention block in ${layer.name} has a score bias that reads N (the sequence length)`;
  }
  for (const layer of model.layers) {
    for (const comp of layer.components) {
      if (comp.kind !== 'attention') continue;
      const t = comp.scoreBias;
      if (!t) return `an attention block in ${layer.name} is not causal (no mask), so earlier positions see later tokens`;
      const n = Math.round(Math.sqrt(t.length / comp.heads));
      for (let h = 0; h < comp.heads; h++) {
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            if (t[(h * n + i) * n + j] !== -Infinity) {
              return `an attention block in ${layer.name} lets query ${i} see key ${j} (head ${h}), so earlier positions see later tokens`;
            }
          }
        }
      }
    }
  }
  return undefined;
}

export interface DecodeIrOptions {
  dtype?: FloatDType;
  /** The decode-only shortcuts of FastPlan (model-to-ir.ts): the first attention's inputs as
   * (token, position) tables, no zero mask at the cut, and in float32 dot attention at the cut.
   * Default on; off gives the graph as the shared lowering builds it, for comparison. */
  fast?: boolean;
}

export function modelToDecodeIr(model: CheckedModel, opts: DecodeIrOptions = {}): IrGraph {
  const reason = decodeUnsupportedReason(model);
  if (reason) throw new Error(`incremental decoding needs a causal model: ${reason}`);
  const dtype = opts.dtype ?? model.dtype;
  const b = new GraphBuilder(model.name, dtype);

  const seqLen = b.op('Shape', 'new_len', ['input_ids'], { start: 1, end: 2 }, { doc: 'positions computed in this run' });
  const total = b.op('Add', 'total_len', ['position', seqLen], undefined, { doc: 'cached + new positions' });
  const lastPos = b.op('Sub', 'last_position', [total, b.intConst('one1', [1])]);
  const start: Record<Rows, string> = { all: 'position', last: lastPos };
  // The score-table slices' bounds, [query start, 0] and [total, total], built on first use.
  const scoreStarts = new Map<Rows, string>();
  let scoreEnds: string | undefined;
  const inputs: IrValueInfo[] = [
    { name: 'input_ids', elem: 'int64', shape: ['batch', 'seq'] },
    { name: 'position', elem: 'int64', shape: [1] },
  ];
  const outputs: IrValueInfo[] = [{ name: 'logits', elem: 'float', shape: ['batch', 1, model.vocab] }];
  const caches: DecodeCache[] = [];

  const attentions = attentionCount(model);
  const tableIndex = new Map<Rows, string>();
  const fast: FastPlan = {
    tableIndex: (bb, rows) => {
      let index = tableIndex.get(rows);
      if (index) return index;
      if (rows === 'last') {
        index = bb.op('Slice', 'table.index_last', [fast.tableIndex(bb, 'all'), bb.intConst('minus1', [-1]), seqLen, bb.intConst('axis1', [1])]);
      } else {
        index = tokenPositionIndex(bb, model.context, 'position', total, 'new position');
      }
      tableIndex.set(rows, index);
      return index;
    },
    // Broadcast sums round differently from MLAS's MatMul; float64 keeps the MatMuls, so that its
    // results stay those of the main graph bit for bit.
    dot: dtype === 'float32',
  };
  const plan: PositionPlan = {
    tableRows: (bb, table, name, rows) => bb.op('Slice', name, [table, start[rows], total, bb.intConst('axis0', [0])]),
    scoreRows: (bb, table, name, rows) => {
      let starts = scoreStarts.get(rows);
      if (!starts) {
        starts = bb.op('Concat', `score_rows_${rows}.starts`, [start[rows], bb.intConst('zero1', [0])], { axis: 0 });
        scoreStarts.set(rows, starts);
      }
      scoreEnds ??= bb.op('Concat', 'score_rows.ends', [total, total], { axis: 0 });
      return bb.op('Slice', name, [table, starts, scoreEnds, bb.intConst('axes12', [1, 2])]);
    },
    extendCache: (bb, k, v, index, a, dot) => {
      // FastPlan: keys cached as q·kᵀ reads them, so no step transposes the whole cache.
      const keysByWidth = plan.fast !== undefined;
      const cache: DecodeCache = {
        pastKey: `past_k_${index}`,
        pastValue: `past_v_${index}`,
        presentKey: `present_k_${index}`,
        presentValue: `present_v_${index}`,
        kvHeads: a.kvHeads,
        dim: a.dim,
        valueDim: a.valueDim,
      };
      caches.push(cache);
      const shape = (n: 'past' | 'total', width: number, byWidth: boolean) => (byWidth ? ['batch', a.kvHeads, width, n] : ['batch', a.kvHeads, n, width]) as IrValueInfo['shape'];
      inputs.push(
        { name: cache.pastKey, elem: 'float', shape: shape('past', a.dim, keysByWidth) },
        { name: cache.pastValue, elem: 'float', shape: shape('past', a.valueDim, dot) },
      );
      outputs.push(
        { name: cache.presentKey, elem: 'float', shape: shape('total', a.dim, keysByWidth) },
        { name: cache.presentValue, elem: 'float', shape: shape('total', a.valueDim, dot) },
      );
      const byWidth = (x: string, name: string) => bb.op('Transpose', name, [x], { perm: [0, 1, 3, 2] }, { doc: 'this run\'s part of the cache, by width' });
      return {
        k: keysByWidth ? joinCache(bb, cache.pastKey, byWidth(k, `${cache.presentKey}.new`), cache.presentKey, 3) : joinCache(bb, cache.pastKey, k, cache.presentKey, 2),
        v: dot ? joinCache(bb, cache.pastValue, byWidth(v, `${cache.presentValue}.new`), cache.presentValue, 3) : joinCache(bb, cache.pastValue, v, cache.presentValue, 2),
        keysByWidth,
      };
    },
    cutAt: attentions - 1,
    lastRow: (bb, x, name) => bb.op('Slice', name, [x, bb.intConst('minus1', [-1]), seqLen, bb.intConst('axis1', [1])], undefined, { doc: 'last position only' }),
    ...(opts.fast === false ? {} : { fast }),
  };

  const logits = lowerTransformer(b, model, plan);
  b.op('Identity', 'logits_out', [logits]);
  b.nodes[b.nodes.length - 1].outputs = ['logits'];
  const contract: DecodeContract = { positionInput: 'position', caches };
  return b.graph(
    inputs,
    outputs,
    { ...modelMetadata(model, dtype), [DECODE_METADATA_KEY]: JSON.stringify(contract) },
    `handwire incremental decoding graph of ${model.name}`,
  );
}

/** Concat(past, new) along the position axis, written straight into the graph output `out` (the
 * present cache) so the joined keys are not copied once more by an Identity. */
function joinCache(b: GraphBuilder, past: string, fresh: string, out: string, axis: 2 | 3): string {
  b.nodes.push({ op: 'Concat', name: b.fresh(`${out}.concat`), inputs: [past, fresh], outputs: [b.fresh(out)], attrs: { axis }, doc: 'cached positions, then this run' });
  return out;
}

/** `token · context + position` for the positions from..to of `input_ids`: each one's row in the
 * (token, position) tables that FastPlan folds (shared with the teacher-forced graph). */
export function tokenPositionIndex(bb: GraphBuilder, context: number, from: string, to: string, what: string): string {
  const positions = bb.op('Slice', 'table.positions', [bb.intConst('table.position_ids', Array.from({ length: context }, (_, p) => p)), from, to, bb.intConst('axis0', [0])]);
  const base = bb.op('Mul', 'table.token_rows', ['input_ids', bb.intConst('table.context', [context], [])]);
  return bb.op('Add', 'table.index', [base, positions], undefined, { doc: `token · context + position: the row of each ${what} in the (token, position) tables` });
}
