// Reading answers at positions of the prompt itself (a class at the last position, a label at every
// input position): one full forward pass per batch of prompts of one length, argmax at the asked
// positions, with the same tie rule and NaN refusal as greedy decoding.
import type { InferenceSession } from 'onnxruntime-node';
import { greedyPick, groupByLength } from './greedy.ts';
import { runLogits } from './session.ts';

export interface PositionsResult {
  /** Per prompt: the argmax token at each asked position, in the order asked. */
  tokens: number[][];
  /** Per prompt: top1 − top2 at each asked position. */
  margins: number[][];
}

export async function readPositions(
  session: InferenceSession,
  prompts: readonly number[][],
  positions: readonly number[][],
  opts: { batchSize?: number } = {},
): Promise<PositionsResult> {
  const batchSize = opts.batchSize ?? 1024;
  const tokens: number[][] = prompts.map(() => []);
  const margins: number[][] = prompts.map(() => []);
  for (const [len, members] of groupByLength(prompts)) {
    // A batch of long prompts is kept to about 4M ids and 16M attention scores per head (rows × len²:
    // a 900-token maze grid is 810,000 scores a row), so memory stays flat for long strings.
    const rows = Math.max(1, Math.min(batchSize, Math.floor(4_000_000 / len), Math.floor(16_000_000 / (len * len))));
    for (let start = 0; start < members.length; start += rows) {
      const idx = members.slice(start, start + rows);
      const ids = new BigInt64Array(idx.length * len);
      idx.forEach((p, r) => prompts[p]!.forEach((t, j) => (ids[r * len + j] = BigInt(t))));
      const { data, vocab } = await runLogits(session, ids, idx.length, len);
      idx.forEach((p, r) => {
        for (const at of positions[p]!) {
          if (at < 0 || at >= len) throw new Error(`position ${at} is outside prompt ${p} (length ${len})`);
          const pick = greedyPick(data, (r * len + at) * vocab, vocab, p, at);
          tokens[p]!.push(pick.token);
          margins[p]!.push(pick.margin);
        }
      });
    }
  }
  return { tokens, margins };
}
