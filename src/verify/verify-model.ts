// verifyModel: run a model's task over its domain (every case when the domain fits a budget, else a
// seeded sample stratified by length, or every line of a dataset) and report exact matches, per-token
// accuracy, the first failures and the smallest margin. The library entry the CLI's verify and
// prove-by-enumeration call; it prints nothing and touches no file.
import type { CheckedModel, FloatDType } from '../check/model.ts';
import { compileDecodeGraph } from '../compile.ts';
import { modelToIr } from '../ir/model-to-ir.ts';
import { irToOnnx } from '../onnx/ir-to-onnx.ts';
import { greedyDecode } from '../runtime/greedy.ts';
import { incrementalDecode } from '../runtime/incremental.ts';
import { readPositions } from '../runtime/read-positions.ts';
import { openSession, type Device } from '../runtime/session.ts';
import { datasetTaskOf, taskOf, type DatasetCase, type Task } from './task.ts';

export interface VerifyModelOptions {
  dtype?: FloatDType;
  device?: Device;
  /** Enumerate the domain when it has at most this many cases (default 1,000,000). */
  budget?: number;
  /** Cases to sample when the domain is larger than the budget (default 10,000). */
  samples?: number;
  seed?: number;
  /** Verify exactly these cases of the task's own kind (token strings by input name for a string
   * task), in this order, instead of enumerating or sampling the domain. */
  cases?: readonly unknown[];
  /** Verify against these dataset lines instead of the task's `expect`. */
  dataset?: { cases: readonly DatasetCase[]; source: string };
  /** Decode by re-running the whole sequence each step, even where a cached-key graph exists. */
  fullRecompute?: boolean;
  /** Failures kept in the report (default 10). */
  maxFailures?: number;
  /** Stop at the first failure (prove by enumeration). */
  stopAtFirstFailure?: boolean;
  onProgress?(done: number, total: number): void;
}

export interface VerifyFailure {
  input: string;
  expected: string;
  got: string;
  /** `answer tokens`: the 0-based step of the first wrong token; positions readouts: the position. */
  firstWrong: number;
}

export interface ModelVerification {
  task: string;
  dtype: FloatDType;
  device: Device;
  /** The domain in words, and how it was covered. */
  domain: string;
  domainSize: number;
  mode: 'exhaustive' | 'sampled' | 'dataset' | 'given';
  cases: number;
  passed: number;
  tokens: { right: number; total: number };
  /** Smallest top1 − top2 logit over every read position of every case (Infinity with none). */
  minMargin: number;
  failures: VerifyFailure[];
  /** Cases checked before a stop at the first failure (= cases otherwise). */
  checked: number;
  seconds: number;
}

export class VerifyError extends Error {}

const CHUNK = 2048;

export async function verifyModel(model: CheckedModel, opts: VerifyModelOptions = {}): Promise<ModelVerification> {
  const task: Task<unknown> | undefined = opts.dataset
    ? (datasetTaskOf(model, opts.dataset.cases, opts.dataset.source) as Task<unknown>)
    : taskOf(model);
  if (!task) throw new VerifyError('the model defines no task, so there is nothing to verify');
  if (opts.dataset && !model.stringTask) throw new VerifyError('a dataset gives answers for a token-string task; this model has a digit task');
  const dtype = opts.dtype ?? model.dtype;
  const budget = opts.budget ?? 1_000_000;
  const dataset = opts.dataset !== undefined;
  if (opts.cases && dataset) throw new VerifyError('give either cases or a dataset, not both');
  const exhaustive = !opts.cases && (dataset || task.domain.size <= budget);
  const cases: unknown[] = opts.cases ? [...opts.cases] : exhaustive ? [...task.domain.enumerate()] : task.domain.sample(opts.samples ?? 10_000, opts.seed ?? 0);
  const maxFailures = opts.maxFailures ?? 10;

  const run = await openRunner(model, task, dtype, opts);
  const started = performance.now();
  let passed = 0;
  let right = 0;
  let total = 0;
  let minMargin = Infinity;
  let checked = 0;
  const failures: VerifyFailure[] = [];
  try {
    opts.onProgress?.(0, cases.length);
    for (let start = 0; start < cases.length; start += CHUNK) {
      const chunk = cases.slice(start, start + CHUNK);
      const prompts = chunk.map((c) => task.prompt(c));
      for (const p of prompts) {
        if (model.context > 0 && p.length > model.context) throw new VerifyError(`a prompt of ${p.length} tokens does not fit the model's context of ${model.context}`);
      }
      const answers = await run(chunk, prompts);
      let stop = false;
      chunk.forEach((c, i) => {
        if (stop) return;
        checked++;
        const expected = task.expected(c);
        const a = answers[i]!;
        const reference = a.reference(expected);
        let wrong = -1;
        for (let k = 0; k < reference.length; k++) {
          total++;
          if (a.read[k] === reference[k]) right++;
          else if (wrong < 0) wrong = k;
        }
        if (wrong < 0 && a.read.length > reference.length && a.exactLength) wrong = reference.length;
        for (let k = 0; k < Math.min(a.margins.length, reference.length); k++) minMargin = Math.min(minMargin, a.margins[k]!);
        if (wrong < 0) passed++;
        else {
          if (failures.length < maxFailures) failures.push({ input: task.show(c), expected: task.showTokens(expected), got: task.showTokens(a.answer), firstWrong: wrong });
          if (opts.stopAtFirstFailure) stop = true;
        }
      });
      opts.onProgress?.(Math.min(start + chunk.length, cases.length), cases.length);
      if (stop) break;
    }
  } finally {
    await run.close();
  }
  return {
    task: task.name,
    dtype,
    device: run.device,
    domain: task.domain.describe,
    domainSize: task.domain.size,
    mode: opts.cases ? 'given' : dataset ? 'dataset' : exhaustive ? 'exhaustive' : 'sampled',
    cases: cases.length,
    passed,
    tokens: { right, total },
    minMargin,
    failures,
    checked,
    seconds: (performance.now() - started) / 1000,
  };
}

/** What the model did on one case: the tokens it read out (generated, stop included, or at the
 * readout positions), the answer they make, and how to line the right answer up against them. */
interface CaseAnswer {
  read: number[];
  margins: number[];
  answer: number[];
  /** The right answer as the tokens `read` must hold (a generated answer ends with the stop token). */
  reference(expected: number[]): number[];
  /** True when tokens read past the reference count as wrong (none for positions readouts). */
  exactLength: boolean;
}

type Runner = ((cases: unknown[], prompts: number[][]) => Promise<CaseAnswer[]>) & { close(): Promise<void>; device: Device };

async function openRunner(model: CheckedModel, task: Task<unknown>, dtype: FloatDType, opts: VerifyModelOptions): Promise<Runner> {
  const readout = task.readout;
  if (readout.kind === 'positions') {
    const opened = await openSession(irToOnnx(modelToIr(model, { dtype })), { dtype, device: opts.device });
    const runner = async (cases: unknown[], prompts: number[][]) => {
      const at = cases.map((c, i) => readout.at(c, prompts[i]!));
      const out = await readPositions(opened.session, prompts, at);
      return out.tokens.map((read, i): CaseAnswer => ({ read, margins: out.margins[i]!, answer: read, reference: (e) => e, exactLength: false }));
    };
    return Object.assign(runner, { close: () => opened.session.release(), device: opened.device });
  }
  const decodeGraph = opts.fullRecompute ? undefined : compileDecodeGraph(model, { dtype });
  const incremental = decodeGraph !== undefined && 'onnx' in decodeGraph;
  const bytes = incremental ? decodeGraph.onnx : irToOnnx(modelToIr(model, { dtype }));
  const opened = await openSession(bytes, { dtype, device: opts.device, threads: incremental ? 1 : undefined });
  const { decode, stop } = readout;
  const runner = async (_cases: unknown[], prompts: number[][]) => {
    // Rows past their stop token are not read, so a batch ends once all of its rows have stopped.
    const options = stop === undefined ? {} : { stop };
    const out = incremental ? await incrementalDecode(opened.session, prompts, decode, options) : await greedyDecode(opened.session, prompts, decode, options);
    return out.tokens.map((generated, i): CaseAnswer => {
      const end = stop === undefined ? -1 : generated.indexOf(stop);
      const read = end < 0 ? generated : generated.slice(0, end + 1);
      const margins = Array.from(out.margins.subarray(i * decode, i * decode + read.length));
      return {
        read,
        margins,
        answer: end < 0 ? read : read.slice(0, -1),
        // The answer, then the stop token when there is room for it.
        reference: (e) => (stop !== undefined && e.length < decode ? [...e, stop] : e),
        exactLength: true,
      };
    });
  };
  return Object.assign(runner, { close: () => opened.session.release(), device: opened.device });
}
