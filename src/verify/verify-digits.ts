// Verifying a digit Task (`input a, b: 10 digits`, addition among them): take the cases it offers
// (the AdderBoard protocol, seeded random inputs, or the exhaustive and carry-chain sweeps), decode them
// greedily in one or several threads, and build the report; with both dtypes, also list where the
// float32 and float64 builds disagree. Prints nothing and touches no file: notices and progress
// are callbacks, and a misuse is a VerifyError.
import { availableParallelism } from 'node:os';
import type { CheckedModel, FloatDType } from '../check/model.ts';
import { compileDecodeGraph, compileTeacherForcedGraph } from '../compile.ts';
import { parameterManifest } from '../ir/metadata.ts';
import { modelToIr } from '../ir/model-to-ir.ts';
import { irToOnnx } from '../onnx/ir-to-onnx.ts';
import { openDecoderPool } from '../runtime/decoder-pool.ts';
import { greedyDecode } from '../runtime/greedy.ts';
import { incrementalDecode } from '../runtime/incremental.ts';
import { openSession, type Device, type OpenedSession } from '../runtime/session.ts';
import { completeDecode, teacherForcedCheck, type TeacherForcedResult } from '../runtime/teacher-forced.ts';
import type { DigitCaseOptions, DigitTask } from '../runtime/tasks/digits.ts';
import type { CaseSet } from '../runtime/tasks/protocol.ts';
import { buildReport, dtypeDisagreements, reportAccumulator, type DecodeResult, type DtypeDisagreement, type VerifyReport } from './report.ts';
import { runCases, streamCases, type Decoder } from './run.ts';
import { VerifyError } from './verify-model.ts';

export interface DigitRunOptions {
  device?: Device;
  /** Decoding threads, one worker each (default: see defaultThreads). */
  threads?: number;
  /** Decode by re-running the whole sequence each step, even where a cached-key graph exists. */
  fullRecompute?: boolean;
  /** Decode every case step by step (the cached-key graph, else full recompute) instead of checking
   * the expected answers in one teacher-forced run per batch and decoding only the cases it finds
   * wrong. The same report either way (tokens; margins as full recompute gives them). */
  stepwise?: boolean;
  /** The runtime's one-line notice (e.g. cuda fell back to cpu), before that build runs. */
  onNotice?(notice: string): void;
  /** The model has no cached-key graph, so this build decodes by full recompute (not called when asked for). */
  onFullRecompute?(reason: string): void;
  /** Cases per decoder call (default 2048 per thread); results are the same for any size. */
  chunkSize?: number;
  /** Called once per build, after its session opened; what it returns hears that build's progress. */
  track?(dtype: FloatDType): { update(done: number, total: number): void; finish(): void } | undefined;
}

export interface DigitVerification {
  /** One report per build, in the order of `dtypes`. */
  reports: VerifyReport[];
  /** With both dtypes: every case where the two builds generated different tokens. */
  disagreements?: DtypeDisagreement[];
  /** Every case passed in every build, and the builds agree. */
  ok: boolean;
}

/** Below this many cases per thread, starting the workers (each loads onnxruntime and the
 * model) costs more than the second core saves, so the default stays at one thread. */
export const MIN_CASES_PER_THREAD = 20_000;
export const MAX_THREADS = 64;

/** The machine's cores when there are MIN_CASES_PER_THREAD cases per core, else fewer (at least 1). */
export function defaultThreads(cases: number): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(cases / MIN_CASES_PER_THREAD)));
}

/** The cases a digit task is verified on (what the task offers for these options); a VerifyError
 * when the options do not fit the task. */
export function digitCaseSet(task: DigitTask, opts: DigitCaseOptions = {}): CaseSet {
  const cases = task.cases(opts);
  if ('error' in cases) throw new VerifyError(cases.error);
  return cases;
}

/** Runs `cases` through each build in `dtypes` (both: also compares them token for token). */
export async function verifyDigits(model: CheckedModel, task: DigitTask, cases: CaseSet, dtypes: readonly FloatDType[], opts: DigitRunOptions = {}): Promise<DigitVerification> {
  const threads = opts.threads ?? defaultThreads(cases.size);
  if (!Number.isSafeInteger(threads) || threads < 1) throw new VerifyError(`--threads needs a whole number of at least 1, got '${threads}'`);
  if (threads > MAX_THREADS) throw new VerifyError(`--threads ${threads} is more than ${MAX_THREADS}`);
  // One build streams (counters only, memory flat in the number of cases); comparing two builds
  // keeps both builds' tokens to list their disagreements.
  const keep = dtypes.length > 1;
  const runs: { report: VerifyReport; result?: DecodeResult }[] = [];
  for (const dtype of dtypes) runs.push(await verifyBuild(model, task, cases, dtype, threads, opts, keep));
  const reports = runs.map((r) => r.report);
  const disagreements = runs.length === 2 ? dtypeDisagreements(task, cases, runs[0]!.result!, runs[1]!.result!) : undefined;
  const ok = reports.every((r) => r.failures.length === 0) && (disagreements ?? []).length === 0;
  return { reports, ...(disagreements ? { disagreements } : {}), ok };
}

async function verifyBuild(model: CheckedModel, task: DigitTask, cases: CaseSet, dtype: FloatDType, threads: number, opts: DigitRunOptions, keep: boolean) {
  const device = opts.device ?? 'cpu';
  const steps = task.contract.decode;
  // The digit task fixes each case's answer, so by default one teacher-forced run per batch checks
  // it (src/ir/teacher-forced-ir.ts) and only the cases it finds wrong are decoded; that decode, and
  // the stepwise path, use the cached-key graph (the same tokens as full recompute,
  // test/incremental.test.ts); models neither graph can serve, and fullRecompute, use the plain graph.
  const checkGraph = opts.fullRecompute || opts.stepwise || steps < 1 ? undefined : compileTeacherForcedGraph(model, { dtype, answer: steps });
  const teacherForced = checkGraph !== undefined && 'onnx' in checkGraph;
  const decodeGraph = opts.fullRecompute ? undefined : compileDecodeGraph(model, { dtype });
  const incremental = decodeGraph !== undefined && 'onnx' in decodeGraph;
  const decodeBytes = incremental ? decodeGraph.onnx : irToOnnx(modelToIr(model, { dtype }));
  const bytes = teacherForced ? checkGraph.onnx : decodeBytes;
  // Several threads: one worker per thread, each with its own one-thread session, each checking or
  // decoding a slice of every chunk (identical results: test/decoder-pool.test.ts). One thread: in
  // process, one intra-op thread for the decode and check graphs (on 2 shared cores a second
  // intra-op thread gains ~10% and loses 2-3x under load, docs/benchmarks.md).
  const pool = threads > 1 ? await openDecoderPool(bytes, { threads, dtype, device, incremental: !teacherForced && incremental, teacherForced }) : undefined;
  const opened = pool ? undefined : await openSession(bytes, { device, dtype, threads: incremental || teacherForced ? 1 : undefined });
  const notice = pool ? pool.notice : opened!.notice;
  if (notice) opts.onNotice?.(notice);
  if (decodeGraph !== undefined && !incremental) opts.onFullRecompute?.(decodeGraph.reason);
  // The cases a teacher-forced check finds wrong are decoded in process, with threads or without,
  // on a session opened at the first such case.
  let wrongDecoder: OpenedSession | undefined;
  const decodeWrong = async (prompts: number[][], n: number) => {
    wrongDecoder ??= await openSession(decodeBytes, { device, dtype, threads: incremental ? 1 : undefined });
    return incremental ? incrementalDecode(wrongDecoder.session, prompts, n) : greedyDecode(wrongDecoder.session, prompts, n);
  };
  const progress = opts.track?.(dtype);
  try {
    const check = (prompts: number[][], n: number, expected: (number[] | undefined)[]): Promise<TeacherForcedResult> =>
      pool ? pool.check(prompts, n, expected) : teacherForcedCheck(opened!.session, prompts, expected, n);
    const decoder: Decoder = teacherForced
      ? async (prompts, n, expected) => completeDecode(await check(prompts, n, expected), prompts, n, decodeWrong)
      : pool
        ? (prompts, n) => pool.decode(prompts, n)
        : incremental
          ? (prompts, n) => incrementalDecode(opened!.session, prompts, n)
          : (prompts, n) => greedyDecode(opened!.session, prompts, n);
    const meta = { model: modelName(model), params: parameterManifest(model).count, device: pool ? pool.device : opened!.device };
    const chunkSize = opts.chunkSize ?? 2048 * threads;
    if (keep) {
      const { result, seconds } = await runCases(task, cases, decoder, { onProgress: progress?.update, chunkSize });
      return { report: buildReport({ ...meta, dtype, task, cases, result, seconds }), result };
    }
    const acc = reportAccumulator(task, dtype, cases);
    const seconds = await streamCases(task, cases, decoder, (pairs, result) => acc.add(pairs, result), { onProgress: progress?.update, chunkSize });
    return { report: acc.finish({ ...meta, seconds }) };
  } finally {
    progress?.finish();
    await (pool ? pool.close() : opened!.session.release());
    await wrongDecoder?.session.release();
  }
}

/** The design's `about name`, else its model name. */
function modelName(model: CheckedModel): string {
  const name = model.about['name'];
  return typeof name === 'string' ? name : model.name;
}
