// From test cases and greedy-decode results to a verification report. Pure: no I/O, no clock (the
// caller passes the elapsed seconds in). What passes is decided by the digit Task alone: its
// `expect` gives the answer, its contract's answer order says which place each decode step writes.

import type { TaskContract } from '../check/model.ts';
import type { FloatDType } from '../ir/types.ts';
import { casesHasher } from '../runtime/tasks/adderboard-cases.ts';
import type { CaseSet, Pair } from '../runtime/tasks/protocol.ts';
import { digitOf } from '../runtime/task.ts';
import type { DigitTask } from '../runtime/tasks/digits.ts';

/** What any decoder returns (same shape as greedyDecode's result). */
export interface DecodeResult {
  /** Generated tokens, `steps` per prompt, in case order. */
  tokens: number[][];
  /** top1 − top2 logit at each step, row-major [case][step]. */
  margins: Float64Array;
  /** The winning logit at each step, same layout. */
  top1Logit: Float64Array;
}

/** AdderBoard qualifies a submission at this accuracy (percent) or above. */
export const QUALIFY_PERCENT = 99;
/** A margin this many ULPs of its logit or fewer could flip under a different summation order or device. */
export const WARN_ULPS = 4;

export interface Failure {
  /** The first two inputs (a and b of an addition); b is absent for one-input tasks. */
  a: number;
  b?: number;
  /** Every input by name. */
  inputs: Record<string, number>;
  expected: number;
  /** The answer as read from the tokens; null when a token is not a digit. */
  got: number | null;
  tokens: number[];
}

export interface MarginPoint {
  /** top1 − top2 logit. */
  value: number;
  /** `value` in units in the last place of the top-1 logit, in the model's dtype. */
  ulps: number;
  /** The top-1 logit there (the magnitude the ULP is taken at). */
  logit: number;
  a: number;
  b?: number;
  step: number;
}

export interface DigitAccuracy {
  step: number;
  /** The answer's place value this step writes: the digit of base^place. */
  place: number;
  correct: number;
  /** Percent of cases with this digit right. */
  accuracy: number;
}

export interface VerifyReport {
  model: string;
  params: number;
  dtype: FloatDType;
  device: string;
  cases: { kind: CaseSet['kind']; description: string; seed?: number; random: number };
  total: number;
  passed: number;
  /** Percent, as AdderBoard reports it (passed / total × 100). */
  accuracy: number;
  /** AdderBoard's rule (accuracy ≥ 99 %); null for sweeps, where the rule does not apply. */
  qualified: boolean | null;
  failures: Failure[];
  /** The smallest margin by value, and the smallest counted in ULPs (the one that matters for rounding). */
  min_margin: MarginPoint | null;
  min_margin_ulps: MarginPoint | null;
  /** Per decode step: the smallest margin at that step over all cases. */
  min_margin_per_step: MarginPoint[];
  per_digit_accuracy: DigitAccuracy[];
  /**
   * With no failures among the random pairs: the exact one-sided 95 % upper bound on the error rate
   * (Clopper–Pearson, 1 − 0.05^(1/n)); null otherwise or with no random pairs.
   */
  error_rate_upper_95: number | null;
  seconds: number;
  additions_per_second: number;
  cases_sha256: string;
  warnings: string[];
}

export interface ReportInput {
  model: string;
  params: number;
  dtype: FloatDType;
  device: string;
  task: DigitTask;
  cases: CaseSet;
  result: DecodeResult;
  seconds: number;
}

export function buildReport(input: ReportInput): VerifyReport {
  const n = input.cases.size;
  if (input.result.tokens.length !== n) throw new Error(`decoder returned ${input.result.tokens.length} results for ${n} cases`);
  const acc = reportAccumulator(input.task, input.dtype, input.cases);
  acc.add(input.cases.pairs, input.result);
  return acc.finish(input);
}

/** Failures a report keeps (the first ones, in case order); `passed` still counts every case. */
export const MAX_FAILURES_KEPT = 1000;

/**
 * buildReport fed one batch of cases at a time, in case order: it keeps counters, the smallest
 * margins and the first MAX_FAILURES_KEPT failures, never the decoded tokens, so a run's memory
 * does not grow with its number of cases.
 */
export function reportAccumulator(digitTask: DigitTask, dtype: FloatDType, cases: CaseSet) {
  const task = digitTask.contract;
  const steps = task.decode;
  const failures: Failure[] = [];
  const digitCorrect = new Array<number>(steps).fill(0);
  let seen = 0;
  let failed = 0;
  let randomFailures = 0;
  const perStep: Array<MarginPoint | null> = new Array(steps).fill(null);
  let byValue: MarginPoint | null = null;
  let byUlps: MarginPoint | null = null;
  const hash = casesHasher();

  function add(pairs: readonly Pair[], result: DecodeResult): void {
    if (result.tokens.length !== pairs.length) throw new Error(`decoder returned ${result.tokens.length} results for ${pairs.length} cases`);
    hash.add(pairs);
    for (let i = 0; i < pairs.length; i++, seen++) {
      const pair = pairs[i]!;
      const tokens = result.tokens[i]!;
      const inputs = digitTask.operandsOf(pair);
      const expected = digitTask.expectedValue(inputs);
      let allDigits = tokens.length === steps;
      for (let s = 0; s < steps; s++) {
        const want = expectedDigit(task, expected, s);
        if (want !== undefined && tokens[s] === want) digitCorrect[s]!++;
        else allDigits = false;
      }
      // Every digit matching is exact for any answer length; the value comparison also catches an
      // expected answer that needs more digits than the task decodes.
      const got = digitTask.answerOf(tokens);
      if (!(allDigits && got === expected)) {
        failed++;
        if (failures.length < MAX_FAILURES_KEPT) failures.push({ a: pair[0]!, b: pair[1], inputs, expected, got: Number.isNaN(got) ? null : got, tokens: [...tokens] });
        if (seen >= cases.size - cases.randomCount) randomFailures++;
      }
      for (let s = 0; s < steps; s++) {
        const value = result.margins[i * steps + s]!;
        const logit = result.top1Logit[i * steps + s]!;
        const ulps = value / ulp(logit, dtype);
        // Points are built only when they win: a million-case sweep has tens of millions of steps.
        const point = () => ({ value, ulps, logit, a: pair[0]!, b: pair[1], step: s });
        if (perStep[s] === null || value < perStep[s]!.value) perStep[s] = point();
        if (byValue === null || value < byValue.value) byValue = point();
        if (byUlps === null || ulps < byUlps.ulps) byUlps = point();
      }
    }
  }

  function finish(meta: { model: string; params: number; device: string; seconds: number }): VerifyReport {
    const n = seen;
    if (n !== cases.size) throw new Error(`the report saw ${n} cases of ${cases.size}`);
    const passed = n - failed;
    const accuracy = n === 0 ? 0 : (passed / n) * 100;
    const warnings: string[] = [];
    const tightest = byUlps as MarginPoint | null;
    if (tightest !== null && tightest.ulps <= WARN_ULPS) {
      warnings.push(
        `the top-1 logit beats the runner-up by only ${formatUlps(tightest.ulps)} ULP${tightest.ulps === 1 ? '' : 's'} ` +
          `(${tightest.value}) at (${tightest.a}, ${tightest.b}) step ${tightest.step}: ` +
          `a different summation order, thread count or device may change this answer`,
      );
    }
    if (failed > failures.length) warnings.push(`${failed.toLocaleString('en-US')} cases failed; the report lists the first ${failures.length.toLocaleString('en-US')}`);
    return {
      model: meta.model,
      params: meta.params,
      dtype,
      device: meta.device,
      cases: {
        kind: cases.kind,
        description: cases.description,
        ...(cases.seed !== undefined ? { seed: cases.seed } : {}),
        random: cases.randomCount,
      },
      total: n,
      passed,
      accuracy,
      qualified: cases.kind === 'protocol' ? accuracy >= QUALIFY_PERCENT : null,
      failures,
      min_margin: byValue,
      min_margin_ulps: byUlps,
      min_margin_per_step: perStep.filter((p): p is MarginPoint => p !== null),
      per_digit_accuracy: digitCorrect.map((correct, step) => ({
        step,
        place: placeOfStep(task, step),
        correct,
        accuracy: n === 0 ? 0 : (correct / n) * 100,
      })),
      error_rate_upper_95: randomFailures === 0 && cases.randomCount > 0 ? zeroFailureUpperBound(cases.randomCount) : null,
      seconds: meta.seconds,
      additions_per_second: meta.seconds > 0 ? n / meta.seconds : 0,
      cases_sha256: hash.hex(),
      warnings,
    };
  }
  return { add, finish };
}

/** The place value (power of the base) written at decode step `step`. */
export function placeOfStep(task: TaskContract, step: number): number {
  return task.answer === 'lsb' ? step : task.decode - 1 - step;
}

/** The digit step `step` should produce, or undefined when the expected answer is not a non-negative integer. */
function expectedDigit(task: TaskContract, expected: number, step: number): number | undefined {
  if (!Number.isSafeInteger(expected) || expected < 0) return undefined;
  return digitOf(expected, placeOfStep(task, step), task.base);
}

// ---------------------------------------------------------------- ULPs

const scratch = new DataView(new ArrayBuffer(8));

/**
 * The unit in the last place of `x` in `dtype`: the gap from |x| (rounded to that dtype) to the next
 * representable number away from zero. For a power of two this is the gap above it, the one a
 * larger rival logit would have to cross. Subnormals and zero get the smallest subnormal gap.
 * NaN for NaN and ±Infinity.
 */
export function ulp(x: number, dtype: FloatDType): number {
  if (!Number.isFinite(x)) return NaN;
  if (dtype === 'float32') {
    scratch.setFloat32(0, Math.abs(x));
    const exponentBits = (scratch.getUint32(0) >>> 23) & 0xff;
    // Exponent field 0 is zero or subnormal: same spacing as the smallest normal binade.
    return 2 ** (Math.max(exponentBits, 1) - 127 - 23);
  }
  scratch.setFloat64(0, Math.abs(x));
  const exponentBits = (scratch.getUint32(0) >>> 20) & 0x7ff;
  return 2 ** (Math.max(exponentBits, 1) - 1023 - 52);
}

function formatUlps(u: number): string {
  return Number.isInteger(u) ? String(u) : u.toPrecision(3);
}

// ---------------------------------------------------------------- statistics

/**
 * Exact one-sided 95 % upper confidence bound on an error rate after 0 failures in n independent
 * trials (Clopper–Pearson): the p at which seeing no failures has probability 5 %, (1 − p)^n = 0.05.
 */
export function zeroFailureUpperBound(n: number): number {
  if (!(n > 0)) throw new RangeError(`need at least one trial, got ${n}`);
  // -expm1(log(0.05)/n) is 1 − 0.05^(1/n) without cancellation for large n.
  return -Math.expm1(Math.log(0.05) / n);
}

// ---------------------------------------------------------------- float32 vs float64

export interface DtypeDisagreement {
  a: number;
  b: number;
  expected: number;
  float32: number | null;
  float64: number | null;
  float32_tokens: number[];
  float64_tokens: number[];
}

/** Every case where the two builds generate different tokens (even when both read as the same number). */
export function dtypeDisagreements(
  task: DigitTask,
  cases: CaseSet,
  f32: DecodeResult,
  f64: DecodeResult,
): DtypeDisagreement[] {
  const out: DtypeDisagreement[] = [];
  cases.pairs.forEach((pair, i) => {
    const t32 = f32.tokens[i]!;
    const t64 = f64.tokens[i]!;
    if (t32.length === t64.length && t32.every((t, s) => t === t64[s])) return;
    const read = (tokens: number[]) => {
      const v = task.answerOf(tokens);
      return Number.isNaN(v) ? null : v;
    };
    out.push({
      a: pair[0],
      b: pair[1],
      expected: task.expectedValue(task.operandsOf(pair)),
      float32: read(t32),
      float64: read(t64),
      float32_tokens: [...t32],
      float64_tokens: [...t64],
    });
  });
  return out;
}
