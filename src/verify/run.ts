// Driving a decoder over a case list. The decoder is any function from prompts to greedy results
// (full recompute, incremental, another device), so this file knows nothing about sessions; it
// builds prompts with the digit Task, feeds them in chunks so progress can be reported, and
// stitches the chunks back into one result in case order. No terminal I/O: progress is a callback.

import type { DigitTask } from '../runtime/tasks/digits.ts';
import { caseBatches, type CaseSet, type Pair } from '../runtime/tasks/protocol.ts';
import type { DecodeResult } from './report.ts';

/** `expected[i]`: prompt i's right answer tokens, undefined where the task's `expect` gives none
 * of `steps` tokens; a decoder may use it to check instead of decode (src/runtime/teacher-forced.ts),
 * and must return what greedy decoding returns either way. */
export type Decoder = (prompts: number[][], steps: number, expected: (number[] | undefined)[]) => Promise<DecodeResult>;

export interface RunOptions {
  /** Cases per decoder call (default 2048): the progress granularity; the decoder may batch further. */
  chunkSize?: number;
  /** Called after each chunk with cases done so far and the total. */
  onProgress?(done: number, total: number): void;
}

/**
 * The cases through `decode` in chunks, each chunk's pairs and results handed to `onChunk` and then
 * dropped: nothing grows with the number of cases. Returns the loop's wall time in seconds.
 */
export async function streamCases(task: DigitTask, cases: CaseSet, decode: Decoder, onChunk: (pairs: Pair[], result: DecodeResult) => void, opts: RunOptions = {}): Promise<number> {
  const chunkSize = opts.chunkSize ?? 2048;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunkSize must be a positive integer, got ${chunkSize}`);
  const steps = task.readout.kind === 'tokens' ? task.readout.decode : 0;
  const n = cases.size;
  const started = performance.now();
  let done = 0;
  opts.onProgress?.(0, n);
  for (const chunk of caseBatches(cases, chunkSize)) {
    const operands = chunk.map((pair) => task.operandsOf(pair));
    const prompts = operands.map((c) => task.prompt(c));
    const out = await decode(prompts, steps, operands.map((c) => expectedTokens(task, c)));
    if (out.tokens.length !== chunk.length || out.margins.length !== chunk.length * steps || out.top1Logit.length !== chunk.length * steps) {
      throw new Error(`the decoder returned results for ${out.tokens.length} prompts × ${steps} steps, expected ${chunk.length}`);
    }
    onChunk(chunk, out);
    done += chunk.length;
    opts.onProgress?.(done, n);
  }
  return (performance.now() - started) / 1000;
}

export interface RunOutput {
  result: DecodeResult;
  /** Wall time of the whole loop, prompt building included (AdderBoard times its loop the same way). */
  seconds: number;
}

export async function runCases(task: DigitTask, cases: CaseSet, decode: Decoder, opts: RunOptions = {}): Promise<RunOutput> {
  const chunkSize = opts.chunkSize ?? 2048;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunkSize must be a positive integer, got ${chunkSize}`);
  const steps = task.readout.kind === 'tokens' ? task.readout.decode : 0;
  const n = cases.pairs.length;
  const tokens: number[][] = [];
  const margins = new Float64Array(n * steps);
  const top1Logit = new Float64Array(n * steps);

  const started = performance.now();
  opts.onProgress?.(0, n);
  for (let start = 0; start < n; start += chunkSize) {
    const chunk = cases.pairs.slice(start, start + chunkSize);
    const operands = chunk.map((pair) => task.operandsOf(pair));
    const prompts = operands.map((c) => task.prompt(c));
    const out = await decode(prompts, steps, operands.map((c) => expectedTokens(task, c)));
    if (out.tokens.length !== chunk.length || out.margins.length !== chunk.length * steps || out.top1Logit.length !== chunk.length * steps) {
      throw new Error(`the decoder returned results for ${out.tokens.length} prompts × ${steps} steps, expected ${chunk.length}`);
    }
    for (const t of out.tokens) tokens.push(t);
    margins.set(out.margins, start * steps);
    top1Logit.set(out.top1Logit, start * steps);
    opts.onProgress?.(start + chunk.length, n);
  }
  const seconds = (performance.now() - started) / 1000;
  return { result: { tokens, margins, top1Logit }, seconds };
}

/** The case's answer as tokens, or undefined where `expect` is not a whole number of the task's
 * digits (the report counts such a case as failed whatever is decoded). */
function expectedTokens(task: DigitTask, c: ReturnType<DigitTask['operandsOf']>): number[] | undefined {
  try {
    return task.expected(c);
  } catch {
    return undefined;
  }
}
