// Proof by enumeration: when a task's whole input domain can be listed within a budget (every bit
// string up to length 12, every SCAN command of its dataset, every pair of 2-digit operands), running
// the model on every input and comparing with the right answer is a proof for that dtype and that
// runtime: PROVED with the count, or REFUTED with the first failing input. Larger domains are
// UNKNOWN with the reason; the affine prover (prove.ts) stays the path for addition.
import type { CheckedModel, FloatDType } from '../../check/model.ts';
import { datasetTaskOf, type DatasetCase } from '../../runtime/tasks/dataset.ts';
import { taskOf } from '../../runtime/tasks/model-task.ts';
import { formatCount } from '../../runtime/tasks/strings.ts';
import type { Task } from '../../runtime/tasks/task.ts';
import { verifyTask, VerifyError, type VerifyFailure } from '../../verify/verify-model.ts';

export interface EnumerationProof {
  status: 'proved' | 'refuted' | 'unknown';
  method: 'enumeration';
  dtype: FloatDType;
  /** The domain in words and its size. */
  domain: string;
  size: number;
  /** Inputs run (all of them when proved; up to and including the counterexample when refuted). */
  checked: number;
  counterexample?: VerifyFailure;
  /** Smallest top1 − top2 logit margin over every input (proved only). */
  minMargin?: number;
  reason?: string;
  seconds: number;
}

export const DEFAULT_ENUMERATION_BUDGET = 1_000_000;

export interface EnumerationOptions {
  dtype?: FloatDType;
  budget?: number;
  /** The task to enumerate (default: the model's own, or the dataset's lines when `dataset` is given). */
  task?: Task<unknown>;
  dataset?: { cases: readonly DatasetCase[]; source: string };
  onProgress?(done: number, total: number): void;
}

export async function proveByEnumeration(model: CheckedModel, opts: EnumerationOptions = {}): Promise<EnumerationProof> {
  const dtype = opts.dtype ?? model.dtype;
  const budget = opts.budget ?? DEFAULT_ENUMERATION_BUDGET;
  if (opts.dataset && !model.stringTask) throw new VerifyError('a dataset gives answers for a token-string task; this model has a digit task');
  const task = opts.task ?? (opts.dataset ? (datasetTaskOf(model, opts.dataset.cases, opts.dataset.source) as Task<unknown>) : taskOf(model));
  if (!task) throw new VerifyError('the model defines no task, so there is nothing to verify');
  // A dataset is enumerated whatever its size: its lines are the domain, and they were all read.
  const size = task.domain.size;
  if (!opts.dataset && size > budget) {
    return {
      status: 'unknown',
      method: 'enumeration',
      dtype,
      domain: task.domain.describe,
      size,
      checked: 0,
      reason: `the domain has ${formatCount(size)} inputs, over the enumeration budget of ${budget.toLocaleString('en-US')} (raise it with --budget)`,
      seconds: 0,
    };
  }
  const r = await verifyTask(model, task, { dtype, budget: Math.max(budget, size), dataset: opts.dataset, stopAtFirstFailure: true, maxFailures: 1, onProgress: opts.onProgress });
  const proved = r.passed === r.cases;
  return {
    status: proved ? 'proved' : 'refuted',
    method: 'enumeration',
    dtype,
    domain: r.domain,
    size: r.cases,
    checked: r.checked,
    ...(proved ? { minMargin: r.minMargin } : { counterexample: r.failures[0] }),
    seconds: r.seconds,
  };
}
