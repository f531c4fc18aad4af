// `handwire verify`: case lists, report arithmetic, the decoder driver and the command, on the real
// onnxruntime. Expectations come from the AdderBoard protocol text and the official CSV of random
// pairs (docs/designs/README.md, test/data/), the 10p spec's prompt layout, and
// float64 arithmetic done here (a + b, bit-level float neighbours, bisection) — never from the
// code under test.

import { runCli, type CliResult } from './helpers/cli.ts';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskContract } from '../src/check/model.ts';
import { compileSource } from '../src/compile.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { carryChainCaseSet, caseSetOf, caseSetProblem, exhaustiveCaseSet, protocolCaseSet, type CaseSet } from '../src/runtime/tasks/protocol.ts';
import { digitTaskOf, type DigitTask } from '../src/runtime/tasks/digits.ts';
import { buildReport, dtypeDisagreements, ulp, zeroFailureUpperBound, type DecodeResult, type VerifyReport } from '../src/verify/report.ts';
import { runCases } from '../src/verify/run.ts';
import { verifyDigits } from '../src/verify/verify-digits.ts';
import { PROTOCOL_EDGE_CASES } from './reference/common.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_10P = join(ROOT, 'examples', 'adder', 'adder-10p-rope19.hw');
const CSV = join(ROOT, 'test', 'data', 'seed2025_random_pairs.csv');
const TMP = mkdtempSync(join(tmpdir(), 'handwire-verify-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const EDGE = PROTOCOL_EDGE_CASES;

function csvPairs(): Array<[number, number]> {
  const lines = readFileSync(CSV, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('a,b');
  return lines.slice(1).map((l) => l.split(',').map(Number) as [number, number]);
}

function sha256Lines(pairs: ReadonlyArray<readonly [number, number]>): string {
  return createHash('sha256').update(pairs.map(([a, b]) => `${a},${b}\n`).join('')).digest('hex');
}

/** Digits of n, least significant first, exactly `count` of them. */
function digitsLsb(n: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(n / 10 ** i) % 10);
}

/** The 10p prompt, from its spec §2: 0, a_0..a_9, nine 0s, b_0..b_9, 0 (31 tokens). */
function prompt10p(a: number, b: number): number[] {
  return [0, ...digitsLsb(a, 10), ...new Array(9).fill(0), ...digitsLsb(b, 10), 0];
}

/** The 11 generated digits of the 10p, read least significant first. */
function answerLsb(tokens: number[]): number {
  return tokens.reduceRight((acc, d) => acc * 10 + d, 0);
}

// ---------------------------------------------------------------- case lists

describe('case lists', () => {
  it('the default protocol is the ten edge cases followed by the shared seed-2025 CSV', () => {
    const set = protocolCaseSet();
    const expected = [...EDGE, ...csvPairs()];
    expect(set.pairs.length).toBe(10_010);
    expect(set.pairs).toEqual(expected);
    expect(set.randomCount).toBe(10_000);
    expect(set.kind).toBe('protocol');
  });

  it('--tests and --no-edge shorten and drop the right parts', () => {
    const set = protocolCaseSet({ tests: 25, edge: false });
    expect(set.pairs).toEqual(csvPairs().slice(0, 25));
    expect(set.randomCount).toBe(25);
  });

  it('the exhaustive 2-digit sweep is every pair in [0, 100)² exactly once', () => {
    const set = exhaustiveCaseSet(2);
    if ('error' in set) throw new Error(set.error);
    expect(set.pairs.length).toBe(10 ** 4);
    expect(new Set(set.pairs.map(([a, b]) => a * 100 + b)).size).toBe(10 ** 4);
    expect(set.pairs.every(([a, b]) => a >= 0 && a < 100 && b >= 0 && b < 100 && Number.isInteger(a) && Number.isInteger(b))).toBe(true);
    expect(set.randomCount).toBe(0);
  });

  it('refuses an exhaustive sweep that would be too large, saying how large it would be', () => {
    const set = exhaustiveCaseSet(4);
    expect('error' in set).toBe(true);
    if ('error' in set) {
      expect(set.error).toContain('100,000,000');
      expect(set.error).toContain('3 digits');
    }
  });

  describe('carry chains over 10 digits', () => {
    const set = carryChainCaseSet(10);
    const keys = new Set(set.pairs.map(([a, b]) => `${a},${b}`));

    it('contains every 10^k − 1 against every m·10^j, in both orders', () => {
      expect(keys.has('9999999999,1')).toBe(true);
      for (let k = 1; k <= 10; k++) {
        for (let j = 0; j < 10; j++) {
          for (let m = 1; m <= 9; m++) {
            expect(keys.has(`${10 ** k - 1},${m * 10 ** j}`)).toBe(true);
            expect(keys.has(`${m * 10 ** j},${10 ** k - 1}`)).toBe(true);
          }
        }
      }
      // A run of nines that starts above the units digit, turned over by a 1 at its lowest place.
      expect(keys.has('9999900000,100000')).toBe(true);
    });

    it('covers every kill/propagate/generate pattern over every 4-column window, with both carry-ins', () => {
      // Column classes and the carry into each column, by ripple, computed here from the digits.
      const seen = new Set<string>();
      for (const [a, b] of set.pairs) {
        const da = digitsLsb(a, 10);
        const db = digitsLsb(b, 10);
        const cls = da.map((x, i) => (x + db[i]! < 9 ? 'k' : x + db[i]! === 9 ? 'p' : 'g'));
        const carryIn: number[] = [0];
        for (let i = 0; i < 10; i++) carryIn.push(da[i]! + db[i]! + carryIn[i]! >= 10 ? 1 : 0);
        for (let o = 0; o + 4 <= 10; o++) seen.add(`${o}:${carryIn[o]}:${cls.slice(o, o + 4).join('')}`);
      }
      let want = 0;
      for (let o = 0; o + 4 <= 10; o++) {
        for (const c of o === 0 ? [0] : [0, 1]) {
          for (let p = 0; p < 81; p++) {
            const pattern = [0, 1, 2, 3].map((i) => 'kpg'[Math.floor(p / 3 ** i) % 3]).join('');
            expect(seen.has(`${o}:${c}:${pattern}`), `offset ${o}, carry-in ${c}, ${pattern}`).toBe(true);
            want++;
          }
        }
      }
      expect(want).toBe(81 + 6 * 2 * 81);
    });

    it('lists each pair once and only operands of at most 10 digits', () => {
      expect(keys.size).toBe(set.pairs.length);
      expect(set.pairs.every(([a, b]) => a < 1e10 && b < 1e10 && a >= 0 && b >= 0)).toBe(true);
    });
  });

  it('refuses cases that do not fit the task', () => {
    const narrow = additionTask({ digits: 3 });
    expect(caseSetProblem(narrow, protocolCaseSet({ tests: 3 }))).toMatch(/does not fit input 'a'/);
    const triple: TaskContract = { ...narrow, operands: [...narrow.operands, { name: 'c', digits: 3 }] };
    expect(caseSetProblem(triple, protocolCaseSet({ tests: 3 }))).toMatch(/has 3 inputs/);
    const fits = exhaustiveCaseSet(2) as CaseSet;
    expect(caseSetProblem(narrow, fits)).toBeUndefined();
  });
});

// ---------------------------------------------------------------- report arithmetic

function additionTask(opts: { digits?: number; decode?: number; answer?: 'lsb' | 'msb' } = {}): TaskContract {
  const digits = opts.digits ?? 2;
  return {
    name: 'addition',
    operands: [
      { name: 'a', digits },
      { name: 'b', digits },
    ],
    prompt: [
      ...Array.from({ length: digits }, (_, place) => ({ kind: 'digit' as const, operand: 'a', place })),
      ...Array.from({ length: digits }, (_, place) => ({ kind: 'digit' as const, operand: 'b', place })),
    ],
    decode: opts.decode ?? digits + 1,
    answer: opts.answer ?? 'lsb',
    expect: 'a + b',
    base: 10,
  };
}

describe('ulp', () => {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const f64 = new Float64Array(1);
  const u64 = new BigUint64Array(f64.buffer);
  /** The next float32 above a non-negative float32, by incrementing its bit pattern. */
  const nextUp32 = (x: number) => {
    f32[0] = x;
    u32[0]! += 1;
    return f32[0]!;
  };
  const nextUp64 = (x: number) => {
    f64[0] = x;
    u64[0]! += 1n;
    return f64[0]!;
  };

  // Float32 values across the whole exponent range (subnormals included), exact powers of two, and
  // values just below them, from a fixed generator so a failure reproduces.
  const samples: number[] = [0, 2 ** -149, 2 ** -126, 1, 2, 0.75, 99741.2265625, 3e6, 2 ** 127];
  let s = 12345;
  for (let i = 0; i < 400; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const e = -149 + (i % 276);
    samples.push(Math.fround((1 + s / 2 ** 31) * 2 ** e));
    samples.push(Math.fround(2 ** e * (1 - 2 ** -24)));
  }

  it('float32: the gap to the next float32 away from zero', () => {
    for (const x of samples) {
      if (!Number.isFinite(x) || x >= 3.4e38) continue;
      const gap = nextUp32(x) - x;
      expect(ulp(x, 'float32'), `x = ${x}`).toBe(gap);
      expect(ulp(-x, 'float32'), `x = ${-x}`).toBe(gap);
      // Math.fround agrees: x + gap is a float32, and nothing lies strictly between.
      expect(Math.fround(x + gap)).toBe(x + gap);
      if (x > 0) {
        expect(Math.fround(x + gap * 0.49)).toBe(x);
        expect(Math.fround(x + gap * 0.51)).toBe(x + gap);
      }
    }
  });

  it('float32: a float64 value is judged at its float32 rounding', () => {
    expect(ulp(99741.23, 'float32')).toBe(2 ** -7);
    expect(ulp(1 - 2 ** -30, 'float32')).toBe(2 ** -23); // rounds up to 1.0
  });

  it('float64: the gap to the next float64 away from zero', () => {
    const values = [0, Number.MIN_VALUE, 2 ** -1022, 1, 1.5, 99741.2265625, 2 ** 52, 1e300, ...samples];
    for (const x of values) {
      if (!Number.isFinite(x)) continue;
      expect(ulp(x, 'float64'), `x = ${x}`).toBe(nextUp64(x) - x);
    }
    expect(ulp(1, 'float64')).toBe(Number.EPSILON);
    expect(ulp(Infinity, 'float64')).toBeNaN();
  });
});

describe('zero-failure upper bound', () => {
  it('is the p with (1 − p)^n = 0.05, found here by bisection', () => {
    for (const n of [1, 2, 10, 1000, 10_000, 1_000_000]) {
      let lo = 0;
      let hi = 1;
      for (let i = 0; i < 200; i++) {
        const mid = (lo + hi) / 2;
        if (n * Math.log1p(-mid) > Math.log(0.05)) lo = mid;
        else hi = mid;
      }
      expect(zeroFailureUpperBound(n) / lo).toBeCloseTo(1, 12);
    }
    expect(zeroFailureUpperBound(10_000)).toBeCloseTo(2.9953e-4, 7);
  });
});

describe('buildReport on a synthetic run', () => {
  // Two-digit addition, 3 decode steps, LSB first. The last two cases are the "random" ones.
  const task = digitTaskOf(additionTask());
  const pairs: Array<[number, number]> = [
    [12, 34],
    [99, 1],
    [50, 50],
    [7, 8],
  ];
  const cases: CaseSet = caseSetOf({ kind: 'protocol', description: 'synthetic', size: pairs.length, randomCount: 2 }, () => pairs);
  const tokens = [
    [6, 4, 0], // 46, right
    [0, 1, 1], // 110 instead of 100
    [0, 0, 1], // 100, right
    [5, 1, 0], // 15, right
  ];
  // Margins and top-1 logits ([case][step], 3 steps per case) chosen so that the smallest gap by value (2^-20 at logit 1.5: float32
  // ULP 2^-23, so 8 ULPs) and by ULPs (0.5 at logit 3e6: float32 ULP 0.25, so 2 ULPs) differ.
  const margins = Float64Array.from([1, 1, 1, 1, 2 ** -20, 1, 1, 1, 1, 1, 0.5, 1]);
  const top1Logit = Float64Array.from([10, 10, 10, 10, 1.5, 10, 10, 10, 10, 10, 3e6, 10]);
  const result: DecodeResult = { tokens, margins, top1Logit };
  const report = buildReport({ model: 'toy', params: 3, dtype: 'float32', device: 'cpu', task, cases, result, seconds: 2 });

  it('counts passes and lists each failure with a + b', () => {
    expect(report.total).toBe(4);
    expect(report.passed).toBe(3);
    expect(report.accuracy).toBe(75);
    expect(report.qualified).toBe(false);
    expect(report.failures).toEqual([{ a: 99, b: 1, inputs: { a: 99, b: 1 }, expected: 100, got: 110, tokens: [0, 1, 1] }]);
    expect(report.additions_per_second).toBe(2);
    expect(report.cases_sha256).toBe(sha256Lines(pairs));
  });

  it('per-digit accuracy, from the digits of a + b', () => {
    const want = [0, 1, 2].map((step) => {
      const right = pairs.filter(([a, b], i) => Math.floor((a + b) / 10 ** step) % 10 === tokens[i]![step]).length;
      return { step, place: step, correct: right, accuracy: (right / pairs.length) * 100 };
    });
    expect(report.per_digit_accuracy).toEqual(want);
    expect(want.map((d) => d.correct)).toEqual([4, 3, 4]);
  });

  it('the bound uses only the random pairs, which all passed', () => {
    expect(report.cases.random).toBe(2);
    expect(report.error_rate_upper_95).toBeCloseTo(1 - Math.sqrt(0.05), 14);
  });

  it('finds the smallest gap by value and by ULPs, per step too, and warns at ≤ 4 ULPs', () => {
    expect(report.min_margin).toEqual({ value: 2 ** -20, ulps: 8, logit: 1.5, a: 99, b: 1, step: 1 });
    expect(report.min_margin_ulps).toEqual({ value: 0.5, ulps: 2, logit: 3e6, a: 7, b: 8, step: 1 });
    expect(report.min_margin_per_step.map((m) => [m.step, m.value, m.a])).toEqual([
      [0, 1, 12],
      [1, 2 ** -20, 99],
      [2, 1, 12],
    ]);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(/2 ULPs.*\(7, 8\) step 1/);
  });

  it('float64 counts ULPs of float64', () => {
    const r64 = buildReport({ model: 'toy', params: 3, dtype: 'float64', device: 'cpu', task, cases, result, seconds: 2 });
    // 0.5 at 3e6 (float64 ULP 2^-31) is 2^30 ULPs; 2^-20 at 1.5 (ULP 2^-52) is 2^32.
    expect(r64.min_margin_ulps).toMatchObject({ ulps: 2 ** 30, a: 7, b: 8 });
    expect(r64.min_margin!.ulps).toBe(2 ** 32);
    expect(r64.warnings).toEqual([]);
  });

  it('a failing random pair removes the bound; a non-digit token reads as null', () => {
    const broken: DecodeResult = { tokens: [tokens[0]!, tokens[1]!, tokens[2]!, [5, 11, 0]], margins, top1Logit };
    const r = buildReport({ model: 'toy', params: 3, dtype: 'float32', device: 'cpu', task, cases, result: broken, seconds: 1 });
    expect(r.error_rate_upper_95).toBeNull();
    expect(r.failures.map((f) => [f.a, f.b, f.expected, f.got])).toEqual([
      [99, 1, 100, 110],
      [7, 8, 15, null],
    ]);
  });

  it('MSB-first answers map steps to places from the top', () => {
    const msb = digitTaskOf(additionTask({ answer: 'msb' }));
    const msbTokens = pairs.map(([a, b]) => digitsLsb(a + b, 3).reverse());
    msbTokens[0] = [0, 4, 7]; // 47 for 46: the units digit (step 2) is wrong
    const r = buildReport({ model: 'toy', params: 3, dtype: 'float32', device: 'cpu', task: msb, cases, result: { tokens: msbTokens, margins, top1Logit }, seconds: 1 });
    expect(r.per_digit_accuracy.map((d) => [d.step, d.place, d.correct])).toEqual([
      [0, 2, 4],
      [1, 1, 4],
      [2, 0, 3],
    ]);
    expect(r.failures).toEqual([{ a: 12, b: 34, inputs: { a: 12, b: 34 }, expected: 46, got: 47, tokens: [0, 4, 7] }]);
  });

  it('lists every case where two builds generate different tokens', () => {
    const other: DecodeResult = { tokens: [tokens[0]!, [0, 0, 1], tokens[2]!, tokens[3]!], margins, top1Logit };
    expect(dtypeDisagreements(task, cases, result, other)).toEqual([
      { a: 99, b: 1, expected: 100, float32: 110, float64: 100, float32_tokens: [0, 1, 1], float64_tokens: [0, 0, 1] },
    ]);
    expect(dtypeDisagreements(task, cases, result, result)).toEqual([]);
  });
});

// ---------------------------------------------------------------- the 10p on onnxruntime

describe('the 10p design on onnxruntime', () => {
  const source10p = readFileSync(EXAMPLE_10P, 'utf8');
  let session: InferenceSession;
  let task: DigitTask;

  beforeAll(async () => {
    const out = compileSource(source10p);
    expect(out.onnx).toBeDefined();
    task = digitTaskOf(out.model!.task!);
    session = (await openSession(out.onnx!, { dtype: 'float32' })).session;
  });
  afterAll(async () => session?.release());

  it('passes the full seed-2025 protocol, over exactly the protocol pairs', async () => {
    const cases = protocolCaseSet();
    let lastProgress = [0, 0];
    const { result, seconds } = await runCases(task, cases, (p, s) => greedyDecode(session, p, s), {
      onProgress: (done, total) => (lastProgress = [done, total]),
    });
    const report = buildReport({ model: '10p', params: 10, dtype: 'float32', device: 'cpu', task, cases, result, seconds });

    expect(report.cases_sha256).toBe(sha256Lines([...EDGE, ...csvPairs()]));
    expect(report.total).toBe(10_010);
    expect(report.failures).toEqual([]);
    expect(report.passed).toBe(report.total);
    expect(report.qualified).toBe(true);
    expect(lastProgress).toEqual([10_010, 10_010]);
    expect(report.per_digit_accuracy.every((d) => d.accuracy === 100)).toBe(true);
    expect(report.error_rate_upper_95).toBeCloseTo(1 - 0.05 ** (1 / 10_000), 12);

    // The reported closest call, re-run here as a single sequence: the spec's prompt plus the
    // answer digits before that step; its top-1 − top-2 gap is measured here.
    const m = report.min_margin!;
    const seq = [...prompt10p(m.a, m.b!), ...digitsLsb(m.a + m.b!, 11).slice(0, m.step)];
    const { data, vocab } = await runLogits(session, BigInt64Array.from(seq.map(BigInt)), 1, seq.length);
    const last = Array.from(data.subarray((seq.length - 1) * vocab, seq.length * vocab)).sort((x, y) => y - x);
    const logitUlp = 2 ** (Math.floor(Math.log2(last[0]!)) - 23);
    expect(Math.abs(last[0]! - last[1]! - m.value)).toBeLessThanOrEqual(2 * logitUlp);
    expect(m.ulps).toBe(m.value / 2 ** (Math.floor(Math.log2(m.logit)) - 23));
  });

  it('runCases stitches chunks back in case order', async () => {
    const cases = protocolCaseSet({ tests: 20 });
    const chunked = await runCases(task, cases, (p, s) => greedyDecode(session, p, s), { chunkSize: 7 });
    const whole = await greedyDecode(session, cases.pairs.map(([a, b]) => prompt10p(a, b)), 11);
    expect(chunked.result.tokens).toEqual(whole.tokens);
    expect(chunked.result.margins).toEqual(whole.margins);
    expect(chunked.result.top1Logit).toEqual(whole.top1Logit);
  });

  it('a streamed run (chunks of 7, counters only) reports what one batch does, failures and hash included', async () => {
    const brokenSource = source10p.replace('(-94)', '(-84)');
    const broken = compileSource(brokenSource).model!;
    const cases = protocolCaseSet({ tests: 300 });
    const strip = (r: VerifyReport) => ({ ...r, seconds: 0, additions_per_second: 0 });
    const streamed = await verifyDigits(broken, task, cases, ['float32'], { threads: 1, chunkSize: 7 });
    const batch = await verifyDigits(broken, task, cases, ['float32'], { threads: 1, chunkSize: 100_000 });
    const s = streamed.reports[0]!;
    expect(strip(s)).toEqual(strip(batch.reports[0]!));
    // Independently: the pairs hashed here from the CSV of Python's draws, the failures by a hand decode.
    expect(s.cases_sha256).toBe(sha256Lines([...EDGE, ...csvPairs().slice(0, 300)]));
    const hand = await (async () => {
      const session = (await openSession(compileSource(brokenSource).onnx!, { dtype: 'float32' })).session;
      try {
        return await greedyDecode(session, cases.pairs.map(([a, b]) => prompt10p(a, b)), 11);
      } finally {
        await session.release();
      }
    })();
    const wrong = cases.pairs.map(([a, b], i) => ({ a, b, expected: a + b, got: answerLsb(hand.tokens[i]!) })).filter((f) => f.got !== f.expected);
    expect(wrong.length).toBeGreaterThan(0);
    expect(s.failures.map(({ a, b, expected, got }) => ({ a, b, expected, got }))).toEqual(wrong);
    expect(s.passed).toBe(310 - wrong.length);
  });

  it('catches a design with a moved hinge threshold and lists its failures with a + b', async () => {
    const brokenSource = source10p.replace('(-94)', '(-84)');
    expect(brokenSource).not.toBe(source10p);
    const out = compileSource(brokenSource);
    const broken = (await openSession(out.onnx!, { dtype: 'float32' })).session;
    try {
      const cases = protocolCaseSet({ tests: 1000 });
      const { result, seconds } = await runCases(task, cases, (p, s) => greedyDecode(broken, p, s));
      const report = buildReport({ model: 'broken', params: 10, dtype: 'float32', device: 'cpu', task, cases, result, seconds });

      // Which cases fail, decided here: the spec's prompts, decoded, read LSB first, compared with a + b.
      const hand = await greedyDecode(broken, cases.pairs.map(([a, b]) => prompt10p(a, b)), 11);
      const wrong = cases.pairs
        .map(([a, b], i) => ({ a, b, expected: a + b, got: answerLsb(hand.tokens[i]!) }))
        .filter((f) => f.got !== f.expected);
      expect(wrong.length).toBeGreaterThan(10);
      expect(report.failures.map(({ a, b, expected, got }) => ({ a, b, expected, got }))).toEqual(wrong);
      expect(report.passed).toBe(1010 - wrong.length);
      expect(report.qualified).toBe(false);
      expect(report.error_rate_upper_95).toBeNull();
    } finally {
      await broken.release();
    }
  });
});

// ---------------------------------------------------------------- the command

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: TMP });
}

describe.concurrent('handwire verify', () => {
  it('a task longer than any context is the checker\'s error at its line, not a verify error', async () => {
    const source = readFileSync(EXAMPLE_10P, 'utf8').replace('decode 11', 'decode 9000');
    writeFileSync(join(TMP, 'long-task.hw'), source);
    const r = await cli(['verify', 'long-task.hw']);
    expect(r.code).toBe(1);
    const before = source.slice(0, source.indexOf('decode 9000'));
    const at = `${before.split('\n').length}:${before.length - before.lastIndexOf('\n')}`;
    expect(r.stderr).toContain(`long-task.hw:${at}: error HW029`);
    expect(r.stderr).toMatch(/over the context limit of 8192/);
    expect(r.stderr.match(/error HW/g)).toHaveLength(1);
  });

  it('--json on a broken design: exit 1, every failure with a + b, the pairs hashed', async () => {
    const file = join(TMP, 'broken.hw');
    writeFileSync(file, readFileSync(EXAMPLE_10P, 'utf8').replace('(-94)', '(-84)'));
    const r = await cli(['verify', file, '--tests', '40', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    for (const key of ['model', 'params', 'total', 'passed', 'accuracy', 'qualified', 'failures', 'min_margin', 'per_digit_accuracy', 'seconds', 'additions_per_second', 'cases_sha256']) {
      expect(report, key).toHaveProperty(key);
    }
    expect(report.model).toBe('adder-10p-rope19');
    expect(report.params).toBe(10);
    expect(report.total).toBe(50);
    expect(report.cases_sha256).toBe(sha256Lines([...EDGE, ...csvPairs().slice(0, 40)]));
    expect(report.failures.length).toBe(50 - report.passed);
    expect(report.failures.length).toBeGreaterThan(0);
    for (const f of report.failures) expect(f.expected).toBe(f.a + f.b);
    for (const f of report.failures) expect(f.got).not.toBe(f.a + f.b);
    expect(Object.keys(report.min_margin).sort()).toEqual(['a', 'b', 'logit', 'step', 'ulps', 'value']);
    expect(report.per_digit_accuracy).toHaveLength(11);
  });

  it('--compare-dtypes: both builds pass and agree on the 10p; usage mistakes are one line, exit 2', async () => {
    const [compare, badSweep, tooWide] = await Promise.all([
      cli(['verify', EXAMPLE_10P, '--compare-dtypes', '--tests', '30', '--json']),
      cli(['verify', EXAMPLE_10P, '--carry-chains', '--seed', '7']),
      cli(['verify', EXAMPLE_10P, '--exhaustive-digits', '5']),
    ]);
    expect(compare.code, compare.stderr).toBe(0);
    const c = JSON.parse(compare.stdout);
    expect(c.disagreements).toEqual([]);
    expect(c.float32.dtype).toBe('float32');
    expect(c.float64.dtype).toBe('float64');
    expect(c.float32.passed).toBe(40);
    expect(c.float64.passed).toBe(40);
    // float64's ULP at a logit near 1e5 is 2^29 times smaller than float32's.
    expect(c.float64.min_margin_ulps.ulps).toBeGreaterThan(1e6);

    for (const r of [badSweep, tooWide]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    expect(badSweep.stderr).toMatch(/--seed only applies to the random protocol/);
    expect(tooWide.stderr).toMatch(/10,000,000,000 pairs/);
  });
});
