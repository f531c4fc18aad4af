// verifyTask: run a Task over its domain (every case when the domain fits a budget, else a seeded
// sample stratified by length, or every line of a dataset) and report exact matches, per-token
// accuracy, the first failures and the smallest margin; verifyModel does it for the model's own
// task or a dataset. What verify (for token-string tasks) and prove-by-enumeration call; it prints
// nothing and touches no file.
import type { CheckedModel, FloatDType } from '../check/model.ts';
import type { Device } from '../runtime/session.ts';
import { datasetTaskOf, type DatasetCase } from '../runtime/tasks/dataset.ts';
import { taskOf } from '../runtime/tasks/model-task.ts';
import { judge, openTaskRunner } from '../runtime/tasks/runner.ts';
import type { Task } from '../runtime/tasks/task.ts';

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

/** The model's own task, or its dataset's lines when `dataset` is given. */
export async function verifyModel(model: CheckedModel, opts: VerifyModelOptions = {}): Promise<ModelVerification> {
  if (opts.dataset && !model.stringTask) throw new VerifyError('a dataset gives answers for a token-string task; this model has a digit task');
  const task: Task<unknown> | undefined = opts.dataset
    ? (datasetTaskOf(model, opts.dataset.cases, opts.dataset.source) as Task<unknown>)
    : taskOf(model);
  if (!task) throw new VerifyError('the model defines no task, so there is nothing to verify');
  return verifyTask(model, task, opts);
}

/** `task`'s cases run on `model`: every case when the domain fits the budget (always for a dataset
 * option), else a seeded sample. */
export async function verifyTask<C>(model: CheckedModel, task: Task<C>, opts: VerifyModelOptions = {}): Promise<ModelVerification> {
  const dtype = opts.dtype ?? model.dtype;
  const budget = opts.budget ?? 1_000_000;
  const dataset = opts.dataset !== undefined;
  if (opts.cases && dataset) throw new VerifyError('give either cases or a dataset, not both');
  const exhaustive = !opts.cases && (dataset || task.domain.size <= budget);
  const cases: C[] = opts.cases ? ([...opts.cases] as C[]) : exhaustive ? [...task.domain.enumerate()] : task.domain.sample(opts.samples ?? 10_000, opts.seed ?? 0);
  const maxFailures = opts.maxFailures ?? 10;

  // Tokens after a stop token are never judged, so a batch may end once all of its rows have stopped.
  const run = await openTaskRunner(model, task, { dtype, device: opts.device, fullRecompute: opts.fullRecompute, stopEarly: true });
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
        const j = judge(a, expected);
        const wrong = j.firstWrong;
        right += j.right;
        total += j.total;
        minMargin = Math.min(minMargin, j.minMargin);
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
