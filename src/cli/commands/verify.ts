// `handwire verify FILE`: compile a design, run its task over the AdderBoard protocol (or a sweep)
// with greedy decoding, and print what passed, what failed and how close the closest call was.
// `--compare-dtypes` runs the float32 and float64 builds side by side and lists every disagreement.
// This is the only verify file that touches files, the terminal and the process exit code.

import { Option, type Command } from 'commander';
import { env as ortEnv, type InferenceSession } from 'onnxruntime-node';
import { compileDecodeGraph, compileSource } from '../../compile.ts';
import type { CheckedModel, TaskContract } from '../../check/model.ts';
import type { FloatDType } from '../../ir/types.ts';
import { parameterManifest } from '../../ir/metadata.ts';
import { greedyDecode } from '../../runtime/greedy.ts';
import { openSession, type Device } from '../../runtime/session.ts';
import { incrementalDecode } from '../../runtime/incremental.ts';
import { openDecoderPool } from '../../runtime/decoder-pool.ts';
import { availableParallelism } from 'node:os';
import { ADDERBOARD_DEFAULT_SEED, ADDERBOARD_DEFAULT_TESTS } from '../../verify/adderboard-cases.ts';
import {
  carryChainCaseSet,
  caseSetProblem,
  combineCaseSets,
  exhaustiveCaseSet,
  protocolCaseSet,
  taskRandomCaseSet,
  type CaseSet,
} from '../../verify/protocol.ts';
import { buildReport, dtypeDisagreements, QUALIFY_PERCENT, type DtypeDisagreement, type VerifyReport } from '../../verify/report.ts';
import { runCases, type Decoder } from '../../verify/run.ts';
import { UserError } from '../io.ts';
import { progressBar } from '../progress.ts';
import { verifyStringTask } from './verify-task.ts';
import { compileFileOrReport, dtypeOption } from '../load.ts';

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
    .option('--full-recompute', 'decode by re-running the whole sequence each step (as AdderBoard does) instead of with cached keys/values')
    .action(async (file: string, opts: VerifyOptions, cmd: Command) => {
      process.exitCode = await verify(file, opts, (name) => cmd.getOptionValueSource(name) === 'cli');
    });
}

/** Exit code: 0 every case passed (and, comparing, the builds agree), 1 a failure or a compile error. */
async function verify(file: string, opts: VerifyOptions, given: (option: string) => boolean): Promise<number> {
  if (opts.compareDtypes && opts.dtype !== undefined) throw new UserError('--compare-dtypes runs both dtypes; drop --dtype');

  const first = compileFileOrReport(file, opts.compareDtypes ? 'float32' : opts.dtype);
  if (!first) return 1;
  if (first.model.stringTask) return verifyStringTask(file, first.model, opts, given);
  const task = first.model.task;
  if (!task) throw new UserError(`${file} defines no task, so there is nothing to verify`);
  for (const [flag, value] of [['--budget', opts.budget], ['--samples', opts.samples], ['--dataset', opts.dataset]] as const) {
    if (value !== undefined) throw new UserError(`${flag} is for token-string tasks; this model has a digit task`);
  }
  const cases = chooseCases(task, opts, given);
  const problem = caseSetProblem(task, cases);
  if (problem) throw new UserError(problem);

  const threads = chooseThreads(opts.threads, cases.pairs.length);
  // ORT's own multi-line log for a failed CUDA load is replaced by the runtime's one-line notice.
  if (opts.device === 'cuda' && process.env.HANDWIRE_DEBUG !== '1') ortEnv.logLevel = 'fatal';
  const showProgress = !opts.json && process.stderr.isTTY === true;
  const run = async (onnx: Uint8Array, dtype: FloatDType) => {
    // Cached-key decoding gives the same tokens as full recompute (test/incremental.test.ts) at many
    // times the speed; models it cannot serve, and --full-recompute, use the plain graph.
    const decodeGraph = opts.fullRecompute ? { reason: '--full-recompute' } : compileDecodeGraph(first.model, { dtype });
    const incremental = 'onnx' in decodeGraph;
    const bytes = incremental ? decodeGraph.onnx : onnx;
    // Several threads: one worker per thread, each with its own one-thread session, each decoding a
    // slice of every chunk (identical results: test/decoder-pool.test.ts). One thread: in process,
    // one intra-op thread for the decode graph (on 2 shared cores a second intra-op thread gains
    // ~10% and loses 2-3x under load, docs/benchmarks.md).
    const pool = threads > 1 ? await openDecoderPool(bytes, { threads, dtype, device: opts.device, incremental }) : undefined;
    const opened = pool ? undefined : await openSession(bytes, { device: opts.device, dtype, threads: incremental ? 1 : undefined });
    const notice = pool ? pool.notice : opened!.notice;
    if (notice) process.stderr.write(`${notice}\n`);
    if (!incremental && !opts.fullRecompute && !opts.json) process.stderr.write(`note: decoding by full recompute (${decodeGraph.reason})\n`);
    const bar = showProgress ? progressBar(opts.compareDtypes ? `${dtype} ` : '') : undefined;
    try {
      const decoder: Decoder = pool
        ? (prompts, steps) => pool.decode(prompts, steps)
        : incremental
          ? (prompts, steps) => incrementalDecode(opened!.session, prompts, steps)
          : fullRecomputeDecoder(opened!.session);
      const { result, seconds } = await runCases(task, cases, decoder, { onProgress: bar?.update, chunkSize: 2048 * threads });
      const report = buildReport({
        model: modelName(first.model),
        params: parameterManifest(first.model).count,
        dtype,
        device: pool ? pool.device : opened!.device,
        task,
        cases,
        result,
        seconds,
      });
      return { report, result };
    } finally {
      bar?.finish();
      await (pool ? pool.close() : opened!.session.release());
    }
  };

  if (!opts.compareDtypes) {
    const { report } = await run(first.onnx, first.dtype);
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.failures.length === 0 ? 0 : 1;
  }

  const f32 = await run(first.onnx, 'float32');
  // Same source, so the same diagnostics: the float64 build is not reported a second time.
  const f64onnx = compileSource(first.source, { dtype: 'float64' }).onnx;
  if (!f64onnx) throw new Error('the float64 build failed where the float32 build of the same source compiled');
  const f64 = await run(f64onnx, 'float64');
  const disagreements = dtypeDisagreements(task, cases, f32.result, f64.result);
  if (opts.json) {
    const comparison = {
      model: f32.report.model,
      params: f32.report.params,
      cases: f32.report.cases,
      total: f32.report.total,
      cases_sha256: f32.report.cases_sha256,
      float32: f32.report,
      float64: f64.report,
      disagreements,
    };
    process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
  } else {
    process.stdout.write(formatComparison(f32.report, f64.report, disagreements));
  }
  return disagreements.length === 0 && f32.report.failures.length === 0 && f64.report.failures.length === 0 ? 0 : 1;
}

/**
 * The default decoder: greedy by full recompute, valid for any compiled graph. Anything with the
 * same signature (an incremental decoder, another device) can take its place.
 */
function fullRecomputeDecoder(session: InferenceSession): Decoder {
  return (prompts, steps) => greedyDecode(session, prompts, steps);
}

// ---------------------------------------------------------------- inputs

function chooseCases(task: TaskContract, opts: VerifyOptions, given: (option: string) => boolean): CaseSet {
  const sweeps: CaseSet[] = [];
  if (opts.exhaustiveDigits !== undefined) {
    const digits = parseWhole(opts.exhaustiveDigits, '--exhaustive-digits');
    const narrowest = Math.min(...task.operands.map((o) => o.digits));
    if (digits > narrowest) throw new UserError(`--exhaustive-digits ${digits} is wider than the task's inputs (${narrowest} digits)`);
    const set = exhaustiveCaseSet(digits, task.base);
    if ('error' in set) throw new UserError(set.error);
    sweeps.push(set);
  }
  if (opts.carryChains) {
    sweeps.push(carryChainCaseSet(Math.min(...task.operands.map((o) => o.digits)), task.base));
  }
  if (sweeps.length > 0) {
    const protocolOnly = ['tests', 'seed', 'edge'].filter(given).map((o) => (o === 'edge' ? '--no-edge' : `--${o}`));
    if (protocolOnly.length > 0) throw new UserError(`${protocolOnly.join(', ')} only appl${protocolOnly.length === 1 ? 'ies' : 'y'} to the random protocol, not to sweeps`);
    return combineCaseSets(sweeps);
  }
  const sampling = {
    tests: opts.tests === undefined ? undefined : parseWhole(opts.tests, '--tests', 0),
    seed: opts.seed === undefined ? undefined : parseWhole(opts.seed, '--seed', 0),
    edge: opts.edge,
  };
  // The AdderBoard protocol is for two-input tasks; any other task gets seeded random inputs.
  return task.operands.length === 2 ? protocolCaseSet(sampling) : taskRandomCaseSet(task, sampling);
}

/** Below this many cases per thread, starting the workers (each loads onnxruntime and the
 * model) costs more than the second core saves, so the default stays at one thread. */
const MIN_CASES_PER_THREAD = 20_000;
const MAX_THREADS = 64;

function chooseThreads(option: string | undefined, cases: number): number {
  if (option !== undefined) {
    const n = parseWhole(option, '--threads');
    if (n > MAX_THREADS) throw new UserError(`--threads ${n} is more than ${MAX_THREADS}`);
    return n;
  }
  return Math.max(1, Math.min(availableParallelism(), Math.floor(cases / MIN_CASES_PER_THREAD)));
}

function parseWhole(text: string, option: string, min = 1): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UserError(`${option} needs a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${text}'`);
  }
  return n;
}

function modelName(model: CheckedModel): string {
  const name = model.about['name'];
  return typeof name === 'string' ? name : model.name;
}

// ---------------------------------------------------------------- output

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${x.toFixed(2)}%`;

function formatReport(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`${r.model}: ${int(r.params)} params, ${r.dtype} on ${r.device}`);
  lines.push(`Cases: ${r.cases.description}`);
  lines.push(`  sha256 of the pairs: ${r.cases_sha256}`);
  lines.push(`Results: ${int(r.passed)}/${int(r.total)} correct (${pct(r.accuracy)})`);
  lines.push(`Time: ${r.seconds.toFixed(2)}s (${int(Math.round(r.additions_per_second))} additions/sec)`);
  if (r.qualified !== null) lines.push(`Status: ${r.qualified ? 'QUALIFIED' : 'NOT QUALIFIED'} (threshold: ${QUALIFY_PERCENT}%)`);
  if (r.error_rate_upper_95 !== null) {
    lines.push(
      `Error rate: 0 failures in ${int(r.cases.random)} random ${r.cases.kind === 'random' ? 'cases' : 'pairs'}, so below ${formatRate(r.error_rate_upper_95)} ` +
        'with 95% confidence (exact one-sided Clopper-Pearson bound)',
    );
  }
  lines.push('Per-digit accuracy (decode step, place of the answer digit it writes):');
  lines.push(...columns(r.per_digit_accuracy.map((d) => `step ${d.step} (place ${d.place}): ${pct(d.accuracy)}`)));
  if (r.min_margin) {
    lines.push(`Smallest top-1 minus top-2 logit gap: ${describeMargin(r.min_margin)}`);
    if (r.min_margin_ulps && r.min_margin_ulps !== r.min_margin && r.min_margin_ulps.ulps < r.min_margin.ulps) {
      lines.push(`Smallest gap in ULPs: ${describeMargin(r.min_margin_ulps)}`);
    }
    lines.push('  per decode step:');
    for (const m of r.min_margin_per_step) lines.push(`    step ${String(m.step).padStart(2)}: ${describeMargin(m)}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.failures.length > 0) {
    lines.push(`Failures (${int(r.failures.length)}):`);
    for (const f of r.failures) {
      lines.push(`  ${describeInputs(f.inputs)}: expected ${f.expected}, got ${f.got ?? `tokens [${f.tokens.join(', ')}]`}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function describeInputs(inputs: Record<string, number>): string {
  return Object.entries(inputs).map(([k, v]) => `${k}=${v}`).join(' ');
}

function describeMargin(m: { value: number; ulps: number; logit: number; a: number; b?: number; step: number }): string {
  const at = m.b === undefined ? `${m.a}` : `(${m.a}, ${m.b})`;
  return `${m.value.toPrecision(6)} = ${formatUlpCount(m.ulps)} ULPs of the top-1 logit ${m.logit.toPrecision(6)}, at ${at} step ${m.step}`;
}

function formatUlpCount(u: number): string {
  if (!Number.isFinite(u)) return String(u);
  return u >= 1e6 ? u.toExponential(3) : u >= 100 ? int(Math.round(u)) : u.toPrecision(3);
}

function formatRate(p: number): string {
  return `${(p * 100).toPrecision(3)}% (${p.toExponential(3)})`;
}

/** Short items in rows of four, so 11 digits fit in three lines. */
function columns(items: string[]): string[] {
  const width = Math.max(...items.map((s) => s.length)) + 3;
  const rows: string[] = [];
  for (let i = 0; i < items.length; i += 4) rows.push(`  ${items.slice(i, i + 4).map((s) => s.padEnd(width)).join('').trimEnd()}`);
  return rows;
}

function formatComparison(f32: VerifyReport, f64: VerifyReport, disagreements: DtypeDisagreement[]): string {
  const lines: string[] = [];
  lines.push(`${f32.model}: ${int(f32.params)} params, float32 vs float64 on ${f32.device}`);
  lines.push(`Cases: ${f32.cases.description}`);
  lines.push(`  sha256 of the pairs: ${f32.cases_sha256}`);
  const row = (label: string, a: string, b: string) => `  ${label.padEnd(22)}${a.padEnd(34)}${b}`;
  lines.push(row('', 'float32', 'float64'));
  lines.push(row('correct', `${int(f32.passed)}/${int(f32.total)} (${pct(f32.accuracy)})`, `${int(f64.passed)}/${int(f64.total)} (${pct(f64.accuracy)})`));
  if (f32.qualified !== null && f64.qualified !== null) {
    lines.push(row('status', f32.qualified ? 'QUALIFIED' : 'NOT QUALIFIED', f64.qualified ? 'QUALIFIED' : 'NOT QUALIFIED'));
  }
  const gap = (r: VerifyReport) => (r.min_margin ? `${r.min_margin.value.toPrecision(4)} (${formatUlpCount(r.min_margin.ulps)} ULPs)` : '-');
  const gapUlps = (r: VerifyReport) => (r.min_margin_ulps ? `${formatUlpCount(r.min_margin_ulps.ulps)} ULPs` : '-');
  lines.push(row('smallest gap', gap(f32), gap(f64)));
  lines.push(row('smallest gap in ULPs', gapUlps(f32), gapUlps(f64)));
  lines.push(row('time', `${f32.seconds.toFixed(2)}s`, `${f64.seconds.toFixed(2)}s`));
  for (const w of f32.warnings) lines.push(`warning (float32): ${w}`);
  for (const w of f64.warnings) lines.push(`warning (float64): ${w}`);
  if (disagreements.length === 0) {
    lines.push('The two builds generate the same tokens on every case.');
  } else {
    lines.push(`Disagreements (${int(disagreements.length)}):`);
    for (const d of disagreements) {
      const show = (v: number | null, tokens: number[]) => (v === null ? `tokens [${tokens.join(', ')}]` : String(v));
      lines.push(`  ${d.a} + ${d.b} = ${d.expected}: float32 ${show(d.float32, d.float32_tokens)}, float64 ${show(d.float64, d.float64_tokens)}`);
    }
  }
  for (const [label, r] of [['float32', f32], ['float64', f64]] as const) {
    if (r.failures.length === 0) continue;
    lines.push(`Failures of the ${label} build (${int(r.failures.length)}):`);
    for (const f of r.failures) lines.push(`  ${describeInputs(f.inputs)}: expected ${f.expected}, got ${f.got ?? `tokens [${f.tokens.join(', ')}]`}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A one-line bar on stderr, redrawn at most every 100 ms (and always at the end). */
