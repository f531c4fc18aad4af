// Batched greedy decoding with a key/value cache, on the incremental decoding graph
// (src/ir/decode-ir.ts): one prefill run over the prompt with empty caches, then one run per
// generated token that feeds the new token and the caches the previous run returned. Same tokens
// as greedyDecode's full recompute on the main graph (for causal models, which the decode graph
// requires; in float64 the margins too, bit for bit on 7 of the 8 adders, see docs/benchmarks.md),
// at a cost per step that no longer grows with the whole sequence's attention matrix.

import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { allStopped, decodeBatchSize, emptyResult, fillStopped, greedyPick, groupByLength, type GreedyOptions, type GreedyResult } from './greedy.ts';

/** One cache tensor: fed as `past`, returned as `present`, [batch, heads, positions, width] or
 * [batch, heads, width, positions] (`positionAxis` 2 or 3: the decode graph's choice per tensor). */
export interface CacheSlot {
  past: string;
  present: string;
  heads: number;
  width: number;
  positionAxis: 2 | 3;
}

export interface DecodeLayout {
  float: 'float32' | 'float64';
  caches: CacheSlot[];
}

/** Reads the cache inputs of a decode graph from the session; refuses any other graph. */
export function decodeLayout(session: InferenceSession): DecodeLayout {
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
  const problem = (what: string) =>
    new Error(`not an incremental decoding graph (${what}); compile it with modelToDecodeIr`);
  if (!inputs.has('input_ids') || !inputs.has('position')) throw problem('inputs input_ids and position are needed');
  if (!session.outputNames.includes('logits')) throw problem("no 'logits' output");
  const caches: CacheSlot[] = [];
  let float: DecodeLayout['float'] | undefined;
  for (const m of session.inputMetadata) {
    const match = /^past_([kv]_\d+)$/.exec(m.name);
    if (!match) continue;
    if (!m.isTensor || (m.type !== 'float32' && m.type !== 'float64')) throw problem(`${m.name} is not a float tensor`);
    const [, heads, third, fourth] = m.shape;
    // The positions axis is the symbolic one of the last two.
    const positionAxis = typeof fourth === 'number' ? 2 : 3;
    const width = positionAxis === 2 ? fourth : third;
    if (m.shape.length !== 4 || typeof heads !== 'number' || typeof width !== 'number' || typeof (positionAxis === 2 ? third : fourth) === 'number') {
      throw problem(`${m.name} should be [batch, heads, past, width] or [batch, heads, width, past] with fixed heads and width`);
    }
    const present = `present_${match[1]}`;
    if (!session.outputNames.includes(present)) throw problem(`${m.name} has no ${present} output`);
    if (float && float !== m.type) throw problem('caches of different float types');
    float = m.type;
    caches.push({ past: m.name, present, heads, width, positionAxis });
  }
  // A model without attention has no cache; its float type comes from the logits.
  const logits = session.outputMetadata.find((m) => m.name === 'logits');
  const logitsType = logits?.isTensor ? logits.type : undefined;
  if (logitsType !== 'float32' && logitsType !== 'float64') throw problem('logits are not float32 or float64');
  return { float: float ?? logitsType, caches };
}

/**
 * Greedy decoding of `steps` tokens after each prompt, with the same result shape, tie rule and
 * NaN refusal as greedyDecode. `session` must hold a decode graph (modelToDecodeIr); on a 2-core
 * machine open it with 1 intra-op thread (docs/benchmarks.md: 2 threads gain little and lose much
 * under load).
 */
export async function incrementalDecode(
  session: InferenceSession,
  prompts: number[][],
  steps: number,
  opts: GreedyOptions = {},
): Promise<GreedyResult> {
  const batchSize = decodeBatchSize(opts, steps);
  const layout = decodeLayout(session);

  const { tokens, margins, top1Logit } = emptyResult(prompts.length, steps);
  const total = prompts.length * steps;
  let done = 0;
  if (steps === 0) return { tokens, margins, top1Logit };
  // All rows of a run share one position, so a batch holds prompts of one length.
  const byLength = groupByLength(prompts);
  const allOutputs = ['logits', ...layout.caches.map((c) => c.present)];

  for (const [len, members] of byLength) {
    for (let start = 0; start < members.length; start += batchSize) {
      const idx = members.slice(start, start + batchSize);
      const b = idx.length;
      const ids = new BigInt64Array(b * len);
      idx.forEach((p, r) => prompts[p]!.forEach((t, j) => (ids[r * len + j] = BigInt(t))));
      let feeds: Record<string, Tensor> = { input_ids: new Tensor('int64', ids, [b, len]), position: positionTensor(0) };
      for (const c of layout.caches) feeds[c.past] = emptyCache(layout.float, b, c);

      for (let step = 0; step < steps; step++) {
        const last = step === steps - 1;
        // The caches are not needed after the last step; asking only for logits saves copying them out.
        const out = await session.run(feeds, last ? ['logits'] : allOutputs);
        const data = lastLogits(out, b);
        const vocab = data.length / b;
        const next = new BigInt64Array(b);
        for (let r = 0; r < b; r++) {
          const p = idx[r]!;
          const pick = greedyPick(data, r * vocab, vocab, p, step);
          tokens[p]!.push(pick.token);
          margins[p * steps + step] = pick.margin;
          top1Logit[p * steps + step] = pick.top1;
          next[r] = BigInt(pick.token);
        }
        done += b;
        opts.onProgress?.(done, total);
        if (last) break;
        if (allStopped(tokens, idx, opts.stop)) {
          done += fillStopped({ tokens, margins }, idx, steps, opts.stop!);
          opts.onProgress?.(done, total);
          break;
        }
        // The token chosen at step s sits at position len + s; the caches come back as they were returned.
        feeds = { input_ids: new Tensor('int64', next, [b, 1]), position: positionTensor(len + step) };
        for (const c of layout.caches) feeds[c.past] = out[c.present] as Tensor;
      }
    }
  }
  return { tokens, margins, top1Logit };
}

function positionTensor(p: number): Tensor {
  return new Tensor('int64', BigInt64Array.of(BigInt(p)), [1]);
}

/** A cache with no positions yet, in the slot's layout (the prefill's `past`). */
export function emptyCache(float: DecodeLayout['float'], batch: number, c: CacheSlot): Tensor {
  const data = float === 'float64' ? new Float64Array(0) : new Float32Array(0);
  return new Tensor(float, data, c.positionAxis === 2 ? [batch, c.heads, 0, c.width] : [batch, c.heads, c.width, 0]);
}

function lastLogits(out: InferenceSession.ReturnType, batch: number): Float32Array | Float64Array {
  const logits = out['logits'];
  if (!logits) throw new Error('the decode graph returned no logits');
  const dims = logits.dims;
  if (dims.length !== 3 || dims[0] !== batch || dims[1] !== 1) {
    throw new Error(`logits have shape [${dims.join(', ')}], expected [${batch}, 1, vocab]`);
  }
  const data = logits.data;
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new Error(`logits have type ${logits.type}, expected float32 or float64`);
  }
  return data;
}
