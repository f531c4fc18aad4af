// Checking greedy decoding against known answers in one run per batch, on the teacher-forced graph
// (src/ir/teacher-forced-ir.ts): each row is a prompt followed by its expected answer but the last
// token, and the graph returns the logits at the answer positions. Row s's argmax is what greedy
// decoding picks at step s when steps 0 … s−1 picked the expected tokens, so a case whose every
// argmax is its expected token decodes greedily to exactly that answer, with these margins and
// top-1 logits (the same picks by greedyPick: lowest index on ties, NaN refused). Any other case
// (or one without an expected answer) is left for a real greedy decode, which alone can say what
// the model writes after its first wrong token: `completeDecode` runs it.

import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { decodeBatchSize, emptyResult, greedyPick, groupByLength, type GreedyResult } from './greedy.ts';

export interface TeacherForcedResult extends GreedyResult {
  /** Prompts (indices, ascending) whose greedy answer is not the expected one, or that had none:
   * their tokens are empty and their margins and top-1 logits NaN until completeDecode fills them. */
  undecided: number[];
}

/**
 * One run per batch over prompt + expected[0 .. steps−2]. `expected[i]` is prompt i's answer of
 * `steps` tokens (undefined: no known answer, decoded for real). `session` holds a teacher-forced
 * graph for `steps` answer positions; the float type is read from its logits.
 */
export async function teacherForcedCheck(
  session: InferenceSession,
  prompts: number[][],
  expected: readonly (readonly number[] | undefined)[],
  steps: number,
  opts: { batchSize?: number } = {},
): Promise<TeacherForcedResult> {
  const batchSize = decodeBatchSize(opts, steps);
  if (expected.length !== prompts.length) throw new Error(`${expected.length} expected answers for ${prompts.length} prompts`);
  const { tokens, margins, top1Logit } = emptyResult(prompts.length, steps);
  const undecided: number[] = [];
  if (steps === 0) return { tokens, margins, top1Logit, undecided };
  const known: number[][] = prompts.map(() => []);
  const rows: number[] = [];
  expected.forEach((e, i) => {
    if (e === undefined || e.length !== steps) undecided.push(i);
    else rows.push(i);
  });
  const byLength = groupByLength(rows.map((i) => prompts[i]!));

  for (const [len, members] of byLength) {
    const seq = len + steps - 1;
    for (let start = 0; start < members.length; start += batchSize) {
      const idx = members.slice(start, start + batchSize).map((m) => rows[m]!);
      const b = idx.length;
      const ids = new BigInt64Array(b * seq);
      idx.forEach((p, r) => {
        const prompt = prompts[p]!;
        const answer = expected[p]!;
        for (let t = 0; t < len; t++) ids[r * seq + t] = BigInt(prompt[t]!);
        for (let t = 0; t < steps - 1; t++) ids[r * seq + len + t] = BigInt(answer[t]!);
      });
      const out = await session.run({ input_ids: new Tensor('int64', ids, [b, seq]) });
      const logits = out['logits'];
      if (!logits) throw new Error('the teacher-forced graph returned no logits');
      if (logits.dims.length !== 3 || logits.dims[0] !== b || logits.dims[1] !== steps) {
        throw new Error(`logits have shape [${logits.dims.join(', ')}], expected [${b}, ${steps}, vocab]: the graph was built for another answer length`);
      }
      const data = logits.data;
      if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) throw new Error(`logits have type ${logits.type}, expected float32 or float64`);
      const vocab = logits.dims[2]!;
      for (let r = 0; r < b; r++) {
        const p = idx[r]!;
        const answer = expected[p]!;
        let right = true;
        for (let s = 0; s < steps; s++) {
          const pick = greedyPick(data, (r * steps + s) * vocab, vocab, p, s);
          margins[p * steps + s] = pick.margin;
          top1Logit[p * steps + s] = pick.top1;
          if (pick.token !== answer[s]) right = false;
        }
        if (right) known[p] = [...answer];
        else undecided.push(p);
      }
    }
  }
  undecided.sort((x, y) => x - y);
  for (const p of undecided) {
    margins.fill(NaN, p * steps, (p + 1) * steps);
    top1Logit.fill(NaN, p * steps, (p + 1) * steps);
  }
  known.forEach((t, i) => (tokens[i] = t));
  return { tokens, margins, top1Logit, undecided };
}

/** Fills the undecided prompts of `checked` by a real greedy decode of just those (`decode`: any
 * greedy decoder, e.g. incrementalDecode on a decode graph) and returns the whole result. */
export async function completeDecode(
  checked: TeacherForcedResult,
  prompts: number[][],
  steps: number,
  decode: (prompts: number[][], steps: number) => Promise<GreedyResult>,
): Promise<GreedyResult> {
  const { tokens, margins, top1Logit, undecided } = checked;
  if (undecided.length > 0) {
    const out = await decode(
      undecided.map((p) => prompts[p]!),
      steps,
    );
    undecided.forEach((p, j) => {
      tokens[p] = out.tokens[j]!;
      margins.set(out.margins.subarray(j * steps, (j + 1) * steps), p * steps);
      top1Logit.set(out.top1Logit.subarray(j * steps, (j + 1) * steps), p * steps);
    });
  }
  return { tokens, margins, top1Logit };
}
