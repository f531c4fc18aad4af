// Running a Task's cases on a model: the prompts go through greedy decoding (`answer tokens`, with
// the cached-key graph where the model has one) or one forward pass read at the task's positions,
// and each case's answer is judged against the right one the same way for run, verify and prove.
import type { CheckedModel, FloatDType } from '../../check/model.ts';
import { compileDecodeGraph } from '../../compile.ts';
import { modelToIr } from '../../ir/model-to-ir.ts';
import { irToOnnx } from '../../onnx/ir-to-onnx.ts';
import { greedyDecode } from '../greedy.ts';
import { incrementalDecode } from '../incremental.ts';
import { readPositions } from '../read-positions.ts';
import { openSession, type Device } from '../session.ts';
import type { Task } from './task.ts';

/** What the model did on one case: the tokens it read out (generated, stop included, or at the
 * readout positions), the answer they make, and how to line the right answer up against them. */
export interface CaseAnswer {
  read: number[];
  margins: number[];
  answer: number[];
  /** `answer tokens`: whether generation reached the stop token (false for a task without one). */
  stopped?: boolean;
  /** `answer tokens`: every generated token, past the stop token too. */
  generated?: number[];
  /** The right answer as the tokens `read` must hold (a generated answer ends with the stop token). */
  reference(expected: number[]): number[];
  /** True when tokens read past the reference count as wrong (none for positions readouts). */
  exactLength: boolean;
}

export interface TaskRunnerOptions {
  dtype: FloatDType;
  device?: Device;
  /** Decode by re-running the whole sequence each step, even where a cached-key graph exists. */
  fullRecompute?: boolean;
  /** The model's graph already built: run it (by full recompute) instead of building one. */
  onnx?: Uint8Array;
  /** End a batch of generated answers once every row has generated the stop token: the tokens
   * after it (in `generated`) are then the stop token again, not the model's. For readers that
   * judge only up to the stop token (verify). */
  stopEarly?: boolean;
}

export type TaskRunner<C> = ((cases: readonly C[], prompts: number[][]) => Promise<CaseAnswer[]>) & {
  close(): Promise<void>;
  device: Device;
  /** The onnxruntime's one-line notice (cuda fell back to cpu), if any. */
  notice?: string;
};

export async function openTaskRunner<C>(model: CheckedModel, task: Task<C>, opts: TaskRunnerOptions): Promise<TaskRunner<C>> {
  const { dtype } = opts;
  const readout = task.readout;
  if (readout.kind === 'positions') {
    const opened = await openSession(opts.onnx ?? irToOnnx(modelToIr(model, { dtype })), { dtype, device: opts.device });
    const runner = async (cases: readonly C[], prompts: number[][]) => {
      const at = cases.map((c, i) => readout.at(c, prompts[i]!));
      const out = await readPositions(opened.session, prompts, at);
      return out.tokens.map((read, i): CaseAnswer => ({ read, margins: out.margins[i]!, answer: read, reference: (e) => e, exactLength: false }));
    };
    return Object.assign(runner, { close: () => opened.session.release(), device: opened.device, notice: opened.notice });
  }
  const decodeGraph = opts.fullRecompute || opts.onnx ? undefined : compileDecodeGraph(model, { dtype });
  const incremental = decodeGraph !== undefined && 'onnx' in decodeGraph;
  const bytes = incremental ? decodeGraph.onnx : (opts.onnx ?? irToOnnx(modelToIr(model, { dtype })));
  const opened = await openSession(bytes, { dtype, device: opts.device, threads: incremental ? 1 : undefined });
  const { decode, stop } = readout;
  const runner = async (_cases: readonly C[], prompts: number[][]) => {
    const options = opts.stopEarly && stop !== undefined ? { stop } : {};
    const out = incremental ? await incrementalDecode(opened.session, prompts, decode, options) : await greedyDecode(opened.session, prompts, decode, options);
    return out.tokens.map((generated, i): CaseAnswer => {
      const end = stop === undefined ? -1 : generated.indexOf(stop);
      const read = end < 0 ? generated : generated.slice(0, end + 1);
      const margins = Array.from(out.margins.subarray(i * decode, i * decode + read.length));
      return {
        read,
        margins,
        answer: end < 0 ? read : read.slice(0, -1),
        stopped: end >= 0,
        generated,
        // The answer, then the stop token when there is room for it.
        reference: (e) => (stop !== undefined && e.length < decode ? [...e, stop] : e),
        exactLength: true,
      };
    });
  };
  return Object.assign(runner, { close: () => opened.session.release(), device: opened.device, notice: opened.notice });
}

export interface Judgement {
  /** The first wrong read token's index (step or position), or -1 when the answer is right. */
  firstWrong: number;
  /** Read tokens that match the reference, of the reference's tokens. */
  right: number;
  total: number;
  /** The smallest margin over the reference's tokens (Infinity with none). */
  minMargin: number;
}

/** One case's answer against its right answer. */
export function judge(a: CaseAnswer, expected: number[]): Judgement {
  const reference = a.reference(expected);
  let wrong = -1;
  let right = 0;
  for (let k = 0; k < reference.length; k++) {
    if (a.read[k] === reference[k]) right++;
    else if (wrong < 0) wrong = k;
  }
  if (wrong < 0 && a.read.length > reference.length && a.exactLength) wrong = reference.length;
  let minMargin = Infinity;
  for (let k = 0; k < Math.min(a.margins.length, reference.length); k++) minMargin = Math.min(minMargin, a.margins[k]!);
  return { firstWrong: wrong, right, total: reference.length, minMargin };
}
