// `handwire verify FILE`: compile a design, turn the command line into the library's options, call
// the library's verify (every task kind: digit tasks over the AdderBoard protocol or a sweep,
// token-string tasks over their domain or a dataset) and print its report as text or JSON.
// This is the only verify file that touches files, the terminal and the process exit code.

import { Option, type Command } from 'commander';
import { env as ortEnv } from 'onnxruntime-node';
import type { FloatDType } from '../../ir/types.ts';
import type { Device } from '../../runtime/session.ts';
import { ADDERBOARD_DEFAULT_SEED, ADDERBOARD_DEFAULT_TESTS } from '../../runtime/tasks/adderboard-cases.ts';
import { verify, verifyOptionsProblem, type Verification, type VerifyOptions as LibraryOptions } from '../../verify/verify.ts';
import { MIN_CASES_PER_THREAD } from '../../verify/verify-digits.ts';
import { VerifyError } from '../../verify/verify-model.ts';
import { datasetFor, DatasetRefused } from '../dataset-file.ts';
import { UserError } from '../io.ts';
import { checkFileOrReport, dtypeOption, whole } from '../load.ts';
import { progressBar } from '../progress.ts';
import { formatComparison, formatReport, formatVerification } from './verify-text.ts';

interface VerifyOptions {
  tests?: string;
  seed?: string;
  edge: boolean;
  dtype?: FloatDType;
  device: Device;
  json?: boolean;
  compareDtypes?: boolean;
  exhaustiveDigits?: string;
  carryChains?: boolean;
  fullRecompute?: boolean;
  stepwise?: boolean;
  threads?: string;
  budget?: string;
  samples?: string;
  dataset?: string;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('run the task over the AdderBoard protocol (or a sweep) and report accuracy and logit margins')
    .argument('<file>', '.hw source file with a task block')
    .option('--tests <n>', `random pairs after the edge cases (default ${ADDERBOARD_DEFAULT_TESTS})`)
    .option('--seed <s>', `seed of Python's random.Random for the pairs (default ${ADDERBOARD_DEFAULT_SEED})`)
    .option('--no-edge', 'skip the 10 fixed edge cases')
    .addOption(dtypeOption())
    .addOption(new Option('--device <device>', 'where to run; cuda falls back to cpu with a notice').choices(['cpu', 'cuda']).default('cpu'))
    .option('--json', 'print one JSON object instead of text')
    .option('--compare-dtypes', 'run the float32 and float64 builds side by side and list every disagreement')
    .option('--exhaustive-digits <k>', 'instead of the protocol: every pair of k-digit operands (at most 1,000,000 pairs: k ≤ 3 in base 10)')
    .option('--carry-chains', 'instead of the protocol: runs of 9s and every carry pattern over a sliding window')
    .option('--threads <n>', `decoding threads, one worker each with identical results (default: the machine's cores when there are ${MIN_CASES_PER_THREAD.toLocaleString('en-US')}+ cases per core, else 1)`)
    .option('--budget <n>', 'token-string tasks: check every input when there are at most n (default 1,000,000), else sample')
    .option('--samples <n>', 'token-string tasks: inputs sampled (stratified by length) when the domain is over the budget (default 10,000)')
    .option('--dataset <file>', 'token-string tasks: check every `input -> output` line of FILE (.gz too) instead of `expect`')
    .option('--stepwise', 'digit tasks: decode every case step by step instead of checking the known answers in one teacher-forced run per batch')
    .option('--full-recompute', 'decode by re-running the whole sequence each step (as AdderBoard does) instead of with cached keys/values')
    .action(async (file: string, opts: VerifyOptions, cmd: Command) => {
      process.exitCode = await verifyFile(file, opts, (name) => cmd.getOptionValueSource(name) === 'cli');
    });
}

/** Exit code: 0 every case passed (and, comparing, the builds agree), 1 a failure or a compile error. */
async function verifyFile(file: string, opts: VerifyOptions, given: (option: string) => boolean): Promise<number> {
  if (opts.compareDtypes && opts.dtype !== undefined) throw new UserError('--compare-dtypes runs both dtypes; drop --dtype');
  // Checked only: the library builds the graphs it runs, in the dtypes it runs.
  const checked = checkFileOrReport(file);
  if (!checked) return 1;
  const model = checked.model;
  if (!model.stringTask && !model.task) throw new UserError(`${file} defines no task, so there is nothing to verify`);
  // Options of the other task kind are refused before a dataset file is read.
  const problem = verifyOptionsProblem(model, (Object.keys(opts) as (keyof LibraryOptions)[]).filter(given));
  if (problem) throw new UserError(problem);

  let dataset: LibraryOptions['dataset'];
  if (model.stringTask) {
    try {
      dataset = datasetFor(model, file, opts.dataset);
    } catch (e) {
      if (e instanceof DatasetRefused) return 1;
      throw e;
    }
  }
  // The two task kinds have always parsed their numbers with slightly different words.
  const number = model.stringTask ? whole : parseWhole;
  const optional = (text: string | undefined, option: string, min = 1) => (text === undefined ? undefined : number(text, option, min));
  const options: LibraryOptions = {
    dtype: opts.dtype,
    compareDtypes: opts.compareDtypes,
    device: opts.device,
    fullRecompute: opts.fullRecompute,
    stepwise: opts.stepwise,
    exhaustiveDigits: optional(opts.exhaustiveDigits, '--exhaustive-digits'),
    carryChains: opts.carryChains,
    tests: optional(opts.tests, '--tests', 0),
    seed: optional(opts.seed, '--seed', 0),
    edge: opts.edge ? undefined : false,
    threads: optional(opts.threads, '--threads'),
    budget: optional(opts.budget, '--budget'),
    samples: optional(opts.samples, '--samples'),
    dataset,
    onNotice: (notice) => process.stderr.write(`${notice}\n`),
    onFullRecompute: opts.json ? undefined : (reason) => process.stderr.write(`note: decoding by full recompute (${reason})\n`),
    track: !opts.json && process.stderr.isTTY === true ? (dtype) => progressBar(opts.compareDtypes ? `${dtype} ` : '') : undefined,
  };
  // ORT's own multi-line log for a failed CUDA load is replaced by the runtime's one-line notice.
  if (opts.device === 'cuda' && !model.stringTask && process.env.HANDWIRE_DEBUG !== '1') ortEnv.logLevel = 'fatal';
  let verification: Verification;
  try {
    verification = await verify(model, options);
  } catch (e) {
    if (e instanceof VerifyError) throw new UserError(e.message);
    throw e;
  }
  process.stdout.write(opts.json ? `${JSON.stringify(asJson(file, verification), (_k, v) => (v === Infinity ? null : v), 2)}\n` : asText(model.name, verification));
  return verification.ok ? 0 : 1;
}

/** The --json object: one report as it is, two side by side (digit tasks: with their disagreements). */
function asJson(file: string, v: Verification): unknown {
  if (v.kind === 'string') return v.reports.length === 1 ? { file, params: v.params, ...v.reports[0] } : { file, params: v.params, reports: v.reports };
  const [f32, f64] = v.reports;
  if (!f32 || !f64) return f32;
  return { model: f32.model, params: f32.params, cases: f32.cases, total: f32.total, cases_sha256: f32.cases_sha256, float32: f32, float64: f64, disagreements: v.disagreements };
}

function asText(name: string, v: Verification): string {
  if (v.kind === 'string') return v.reports.map((r) => formatVerification(name, v.params, r)).join('\n');
  return v.reports.length === 1 ? formatReport(v.reports[0]!) : formatComparison(v.reports[0]!, v.reports[1]!, v.disagreements ?? []);
}

/** The digit options' whole-number parser (its wording is older than load.ts's `whole`). */
function parseWhole(text: string, option: string, min = 1): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UserError(`${option} needs a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${text}'`);
  }
  return n;
}
