// verify: the one library entry for every task kind. It makes the model's Task (runtime/tasks/): a
// token-string task (or a dataset's lines) goes to verifyTask (its domain enumerated or sampled), a
// digit task to verifyDigits (the AdderBoard protocol or a sweep, as the digit Task offers them); either way in one dtype or in both side by side. The CLI's `verify` only
// parses its options into these, calls this and prints the result. Errors are VerifyErrors, with
// each option named as the command line spells it (`exhaustiveDigits` is `--exhaustive-digits`).
import type { CheckedModel, FloatDType } from '../check/model.ts';
import { parameterManifest } from '../ir/metadata.ts';
import { datasetTaskOf, type DatasetCase } from '../runtime/tasks/dataset.ts';
import { digitTaskOf, type DigitCaseOptions } from '../runtime/tasks/digits.ts';
import { stringTaskOf } from '../runtime/tasks/strings.ts';
import type { Task } from '../runtime/tasks/task.ts';
import { digitCaseSet, verifyDigits, type DigitRunOptions, type DigitVerification } from './verify-digits.ts';
import { verifyTask, VerifyError, type ModelVerification } from './verify-model.ts';

export interface VerifyOptions extends DigitCaseOptions, DigitRunOptions {
  /** The build's float type (default: the model's own); not with compareDtypes. */
  dtype?: FloatDType;
  /** Run the float32 and the float64 build, in that order. */
  compareDtypes?: boolean;
  /** Token-string tasks: enumerate the domain when it has at most this many cases (default 1,000,000). */
  budget?: number;
  /** Token-string tasks: cases sampled, stratified by length, over the budget (default 10,000). */
  samples?: number;
  /** Token-string tasks: verify against these lines instead of the task's `expect`. */
  dataset?: { cases: readonly DatasetCase[]; source: string };
}

export type Verification =
  | { kind: 'string'; params: number; reports: ModelVerification[]; ok: boolean }
  | ({ kind: 'digits' } & DigitVerification);

/** Options of one task kind only, in the order they are reported, with their command-line names. */
const DIGIT_ONLY = { tests: '--tests', edge: '--no-edge', exhaustiveDigits: '--exhaustive-digits', carryChains: '--carry-chains', threads: '--threads', stepwise: '--stepwise' } as const;
const STRING_ONLY = { budget: '--budget', samples: '--samples', dataset: '--dataset' } as const;

/**
 * Why these options cannot verify this model (an option of the other task kind, or a dtype with
 * compareDtypes), or undefined when they can. `given` names the options that are set; the CLI
 * calls this before it reads a dataset file, verify calls it first of all.
 */
export function verifyOptionsProblem(model: CheckedModel, given: Iterable<keyof VerifyOptions>): string | undefined {
  const set = new Set(given);
  if (set.has('compareDtypes') && set.has('dtype')) return '--compare-dtypes runs both dtypes; drop --dtype';
  if (!model.stringTask && !model.task) return 'the model defines no task, so there is nothing to verify';
  if (model.stringTask) {
    const digitOnly = (Object.keys(DIGIT_ONLY) as (keyof typeof DIGIT_ONLY)[]).find((o) => set.has(o));
    if (digitOnly) return `${DIGIT_ONLY[digitOnly]} is for digit tasks; for token-string tasks use --budget, --samples, --seed or --dataset`;
  } else {
    const stringOnly = (Object.keys(STRING_ONLY) as (keyof typeof STRING_ONLY)[]).find((o) => set.has(o));
    if (stringOnly) return `${STRING_ONLY[stringOnly]} is for token-string tasks; this model has a digit task`;
  }
  return undefined;
}

export async function verify(model: CheckedModel, opts: VerifyOptions = {}): Promise<Verification> {
  // An option is given when it asks for something other than the default: `edge` only when false
  // (skip the edge cases), the switches only when true.
  const given = (Object.keys(opts) as (keyof VerifyOptions)[]).filter((k) => (k === 'edge' ? opts.edge === false : opts[k] !== undefined && opts[k] !== false));
  const problem = verifyOptionsProblem(model, given);
  if (problem) throw new VerifyError(problem);
  const dtypes: FloatDType[] = opts.compareDtypes ? ['float32', 'float64'] : [opts.dtype ?? model.dtype];

  if (!model.stringTask) {
    const task = digitTaskOf(model.task!, model.tokenNames);
    const cases = digitCaseSet(task, opts);
    return { kind: 'digits', ...(await verifyDigits(model, task, cases, dtypes, opts)) };
  }
  const { dataset } = opts;
  const task: Task<unknown> = (dataset ? datasetTaskOf(model, dataset.cases, dataset.source) : stringTaskOf(model)) as Task<unknown>;
  const reports: ModelVerification[] = [];
  for (const dtype of dtypes) {
    const progress = opts.track?.(dtype);
    try {
      const { device, budget, samples, seed, fullRecompute } = opts;
      reports.push(await verifyTask(model, task, { dtype, device, budget, samples, seed, dataset, fullRecompute, onProgress: progress?.update }));
    } finally {
      progress?.finish();
    }
  }
  return { kind: 'string', params: parameterManifest(model).count, reports, ok: reports.every((r) => r.passed === r.cases) };
}
