// The teacher-forced graph: the model over a prompt followed by a known answer (all of it but its
// last token), returning the logits at the `answer` positions that predict the answer's tokens.
// Greedy decoding writes answer token s from the logits at position prompt + s − 1 after reading
// the prompt and the tokens it wrote before; when those are the expected ones, that is exactly this
// graph's row s. So one run tells, for every answer position, what greedy decoding picks there if
// every earlier pick was right, and greedy decoding gives the expected answer iff every row's
// argmax is the expected token (induction on s). Used by verify for digit tasks, whose answer is
// fixed by the input (src/runtime/teacher-forced.ts).
//
//   inputs   input_ids [batch, seq] int64   prompt then answer[0 .. answer−2], from position 0
//   outputs  logits    [batch, answer, vocab] at positions seq − answer .. seq − 1
//
// Exact only for a causal model whose positions do not read N (decodeUnsupportedReason): a
// position must not see the tokens after it, which greedy decoding has not written yet. Lowered as
// the decode graph is (model-to-ir.ts), without caches: FastPlan's (token, position) tables before
// the first attention, and from the last attention on only the `answer` last positions (its keys
// and values still from every position). float64 keeps the MatMuls of the main graph, so its
// logits are the main graph's (test/teacher-forced.test.ts checks the margins bit for bit).
import type { CheckedModel } from '../check/model.ts';
import { decodeUnsupportedReason, tokenPositionIndex } from './decode-ir.ts';
import { GraphBuilder } from './graph-builder.ts';
import { modelMetadata } from './metadata.ts';
import { attentionCount, lowerTransformer, type FastPlan, type PositionPlan, type Rows } from './model-to-ir.ts';
import type { FloatDType, IrGraph } from './types.ts';

/** Metadata key holding the number of answer positions the graph returns. */
export const TEACHER_FORCED_METADATA_KEY = 'handwire.teacher_forced';

export interface TeacherForcedIrOptions {
  dtype?: FloatDType;
  /** Answer tokens checked per run: the logits rows returned (the task's `decode`). */
  answer: number;
  /** FastPlan's (token, position) tables (default on); off lowers the chain per run. */
  fast?: boolean;
}

export function modelToTeacherForcedIr(model: CheckedModel, opts: TeacherForcedIrOptions): IrGraph {
  const reason = decodeUnsupportedReason(model);
  if (reason) throw new Error(`a teacher-forced check needs a causal model: ${reason}`);
  const answer = opts.answer;
  if (!Number.isInteger(answer) || answer < 1) throw new Error(`answer must be a positive integer, got ${answer}`);
  const dtype = opts.dtype ?? model.dtype;
  const b = new GraphBuilder(model.name, dtype);

  const seqLen = b.op('Shape', 'seq_len', ['input_ids'], { start: 1, end: 2 }, { doc: 'positions of this run' });
  const first = b.op('Sub', 'answer_start', [seqLen, b.intConst('answer_rows', [answer])], undefined, { doc: 'the first position whose logits are returned' });
  const start: Record<Rows, string> = { all: b.intConst('zero1', [0]), last: first };
  const scoreStarts = new Map<Rows, string>();
  let scoreEnds: string | undefined;
  const lastRows = (bb: GraphBuilder, x: string, name: string) =>
    bb.op('Slice', name, [x, bb.intConst('minus_answer', [-answer]), seqLen, bb.intConst('axis1', [1])], undefined, { doc: `the last ${answer} positions` });

  const tableIndex = new Map<Rows, string>();
  const fast: FastPlan = {
    tableIndex: (bb, rows) => {
      let index = tableIndex.get(rows);
      if (index) return index;
      if (rows === 'last') {
        index = lastRows(bb, fast.tableIndex(bb, 'all'), 'table.index_last');
      } else {
        index = tokenPositionIndex(bb, model.context, start.all, seqLen, 'position');
      }
      tableIndex.set(rows, index);
      return index;
    },
    // Several queries at the cut: MatMul attention, as the main graph computes it.
    dot: false,
    severalQueries: true,
  };
  const plan: PositionPlan = {
    tableRows: (bb, table, name, rows) => bb.op('Slice', name, [table, start[rows], seqLen, bb.intConst('axis0', [0])]),
    scoreRows: (bb, table, name, rows) => {
      let starts = scoreStarts.get(rows);
      if (!starts) {
        starts = bb.op('Concat', `score_rows_${rows}.starts`, [start[rows], bb.intConst('zero1', [0])], { axis: 0 });
        scoreStarts.set(rows, starts);
      }
      scoreEnds ??= bb.op('Concat', 'score_rows.ends', [seqLen, seqLen], { axis: 0 });
      return bb.op('Slice', name, [table, starts, scoreEnds, bb.intConst('axes12', [1, 2])]);
    },
    cutAt: attentionCount(model) - 1,
    lastRow: lastRows,
    ...(opts.fast === false ? {} : { fast }),
  };

  const logits = lowerTransformer(b, model, plan);
  b.op('Identity', 'logits_out', [logits]);
  b.nodes[b.nodes.length - 1].outputs = ['logits'];
  return b.graph(
    [{ name: 'input_ids', elem: 'int64', shape: ['batch', 'seq'] }],
    [{ name: 'logits', elem: 'float', shape: ['batch', answer, model.vocab] }],
    { ...modelMetadata(model, dtype), [TEACHER_FORCED_METADATA_KEY]: JSON.stringify({ answer }) },
    `handwire teacher-forced graph of ${model.name}: logits at the last ${answer} positions`,
  );
}
