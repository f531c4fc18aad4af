// verify as a library call (src/verify/verify.ts), for both task kinds, on the real onnxruntime and
// no CLI. Expected results are computed here, never taken from the code under test: the adder's
// sums by BigInt addition of the AdderBoard pairs (the edge cases and the official seed-2025 CSV),
// the broken adder's tokens by a greedy loop written in this file (the 10p spec's prompt layout,
// full recompute, argmax of the logits), majority's answers by counting the ones.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CheckedModel } from '../src/check/model.ts';
import { compileSource } from '../src/compile.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { verify, verifyOptionsProblem } from '../src/verify/verify.ts';
import { VerifyError } from '../src/verify/verify-model.ts';
import { PROTOCOL_EDGE_CASES } from './reference/common.ts';
import { prompt10p, sumDigitsLsb } from './helpers/adder-10p.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADDER_SOURCE = readFileSync(join(ROOT, 'examples/adder/adder-10p-rope19.hw'), 'utf8');
const MAJORITY_SOURCE = readFileSync(join(ROOT, 'examples/zoo/majority.hw'), 'utf8');
const REVERSE_SOURCE = readFileSync(join(ROOT, 'examples/tasks/reverse-13p-sinpe32.hw'), 'utf8');

function modelOf(source: string): CheckedModel {
  const out = compileSource(source);
  if (!out.model) throw new Error(`does not compile: ${out.diagnostics.map((d) => d.message).join('; ')}`);
  return out.model;
}

/** The edge cases, then the first `n` random pairs of the official CSV (Python's random.Random(2025)). */
function protocolPairs(n: number): Array<[number, number]> {
  const lines = readFileSync(join(ROOT, 'test/data/seed2025_random_pairs.csv'), 'utf8').trim().split('\n');
  expect(lines[0]).toBe('a,b');
  const random = lines.slice(1, 1 + n).map((l) => l.split(',').map(Number) as [number, number]);
  return [...PROTOCOL_EDGE_CASES.map(([a, b]) => [a, b] as [number, number]), ...random];
}

const sha256Lines = (pairs: ReadonlyArray<readonly number[]>) => createHash('sha256').update(pairs.map((p) => `${p.join(',')}\n`).join('')).digest('hex');

/** Greedy decoding written out here: re-run the whole sequence, append the argmax, 11 times. */
async function decodeByHand(onnx: Uint8Array, pairs: ReadonlyArray<readonly [number, number]>): Promise<number[][]> {
  const { session } = await openSession(onnx, { dtype: 'float64' });
  try {
    const rows = pairs.map(([a, b]) => prompt10p(a, b));
    for (let step = 0; step < 11; step++) {
      const seq = rows[0]!.length;
      const { data, vocab } = await runLogits(session, BigInt64Array.from(rows.flat(), (t) => BigInt(t)), rows.length, seq);
      rows.forEach((row, i) => {
        const at = (i * seq + seq - 1) * vocab;
        let best = 0;
        for (let t = 1; t < vocab; t++) if (data[at + t]! > data[at + best]!) best = t;
        row.push(best);
      });
    }
    return rows.map((row) => row.slice(-11));
  } finally {
    await session.release();
  }
}

describe('verify (library) on a digit task: the 10p adder', () => {
  it('the protocol: every sum right, the cases are the edge cases and the CSV pairs', async () => {
    const v = await verify(modelOf(ADDER_SOURCE), { tests: 40 });
    expect(v.kind).toBe('digits');
    if (v.kind !== 'digits') return;
    expect(v.ok).toBe(true);
    expect(v.reports).toHaveLength(1);
    const r = v.reports[0]!;
    expect(r.cases.kind).toBe('protocol');
    expect(r.total).toBe(50);
    expect(r.passed).toBe(50);
    expect(r.failures).toEqual([]);
    expect(r.qualified).toBe(true);
    expect(r.cases_sha256).toBe(sha256Lines(protocolPairs(40)));
    expect(r.per_digit_accuracy.map((d) => d.correct)).toEqual(new Array(11).fill(50));
  });

  it('a broken copy: exactly the pairs a hand-written greedy loop gets wrong fail, each against its BigInt sum', async () => {
    const broken = ADDER_SOURCE.replace('(-94)', '(-84)');
    expect(broken).not.toBe(ADDER_SOURCE);
    const pairs = protocolPairs(40);
    const tokens = await decodeByHand(compileSource(broken, { dtype: 'float64' }).onnx!, pairs);
    const wrong = pairs.filter((p, i) => tokens[i]!.some((t, k) => t !== sumDigitsLsb(p[0], p[1])[k]));
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong.length).toBeLessThan(pairs.length);

    const v = await verify(modelOf(broken), { tests: 40, dtype: 'float64' });
    if (v.kind !== 'digits') throw new Error(`a digit task verified as ${v.kind}`);
    expect(v.ok).toBe(false);
    const r = v.reports[0]!;
    expect(r.failures.map((f) => [f.a, f.b])).toEqual(wrong);
    expect(r.passed).toBe(pairs.length - wrong.length);
    for (const f of r.failures) {
      expect(BigInt(f.expected)).toBe(BigInt(f.a) + BigInt(f.b!));
      const i = pairs.findIndex(([a, b]) => a === f.a && b === f.b);
      expect(f.tokens).toEqual(tokens[i]);
      expect(f.got).toBe(tokens[i]!.reduceRight((acc, d) => acc * 10 + d, 0));
    }
  });

  it('both dtypes on an exhaustive sweep: 100 one-digit pairs, a outer, both builds right and in agreement', async () => {
    const v = await verify(modelOf(ADDER_SOURCE), { compareDtypes: true, exhaustiveDigits: 1, edge: true });
    if (v.kind !== 'digits') throw new Error(`a digit task verified as ${v.kind}`);
    expect(v.reports.map((r) => r.dtype)).toEqual(['float32', 'float64']);
    const pairs = Array.from({ length: 100 }, (_, i) => [Math.floor(i / 10), i % 10]);
    for (const r of v.reports) {
      expect(r.cases.kind).toBe('exhaustive');
      expect(r.total).toBe(100);
      expect(r.passed).toBe(100);
      expect(r.cases_sha256).toBe(sha256Lines(pairs));
    }
    expect(v.disagreements).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('a one-input digit task gets seeded random inputs: the 13p reverser passes 2 edge + 8 random cases', async () => {
    const v = await verify(modelOf(REVERSE_SOURCE), { tests: 8 });
    if (v.kind !== 'digits') throw new Error(`a digit task verified as ${v.kind}`);
    const r = v.reports[0]!;
    expect([r.cases.kind, r.total, r.passed, v.ok]).toEqual(['random', 10, 10, true]);
  });

  it('options that do not fit are VerifyErrors before anything runs', async () => {
    const adder = modelOf(ADDER_SOURCE);
    await expect(verify(adder, { budget: 5 })).rejects.toThrow(new VerifyError('--budget is for token-string tasks; this model has a digit task'));
    await expect(verify(adder, { carryChains: true, seed: 7 })).rejects.toThrow(/^--seed only applies to the random protocol, not to sweeps$/);
    await expect(verify(adder, { exhaustiveDigits: 11 })).rejects.toThrow(/wider than the task's inputs \(10 digits\)/);
    await expect(verify(adder, { threads: 65 })).rejects.toThrow(/--threads 65 is more than 64/);
    await expect(verify(adder, { dtype: 'float64', compareDtypes: true })).rejects.toBeInstanceOf(VerifyError);
  });
});

// ---------------------------------------------------------------- token-string task

/** Every 0/1 string of length 1..12, by length, then counting up with 0 before 1 (the enumeration order). */
function bitStrings(): number[][] {
  const out: number[][] = [];
  for (let n = 1; n <= 12; n++) for (let i = 0; i < 2 ** n; i++) out.push(Array.from({ length: n }, (_, k) => (i >> (n - 1 - k)) & 1));
  return out;
}
const isTie = (s: number[]) => 2 * s.filter((t) => t === 1).length === s.length;

describe('verify (library) on a token-string task: majority', () => {
  it('exhaustive over the 8,190 strings; a broken copy fails exactly the ties, the first ten listed in order', async () => {
    const all = bitStrings();
    const ties = all.filter(isTie);
    const ok = await verify(modelOf(MAJORITY_SOURCE));
    if (ok.kind !== 'string') throw new Error(`a token-string task verified as ${ok.kind}`);
    expect(ok.params).toBeGreaterThan(0);
    expect(ok.reports[0]).toMatchObject({ mode: 'exhaustive', cases: all.length, passed: all.length, failures: [] });
    expect(ok.ok).toBe(true);

    const broken = MAJORITY_SOURCE.replace('param bias = -0.5', 'param bias = 0.5');
    const bad = await verify(modelOf(broken));
    if (bad.kind !== 'string') throw new Error(`a token-string task verified as ${bad.kind}`);
    const r = bad.reports[0]!;
    expect(bad.ok).toBe(false);
    expect(r.passed).toBe(all.length - ties.length);
    // A tie's majority is the lower token, "0"; the broken bias answers "1".
    expect(r.failures).toEqual(ties.slice(0, 10).map((s) => ({ input: `"${s.join(' ')}"`, expected: '0', got: '1', firstWrong: 0 })));
  });

  it('against a dataset in both dtypes: a line with a wrong answer is the one failure of each build', async () => {
    const lines = [[1, 1, 0], [0, 1, 0, 0], [1, 0, 1, 1, 1]];
    const right = lines.map((s) => (2 * s.filter((t) => t === 1).length > s.length ? 1 : 0));
    const cases = lines.map((input, i) => ({ input, output: [i === 1 ? 1 - right[i]! : right[i]!], line: i + 1 }));
    const v = await verify(modelOf(MAJORITY_SOURCE), { dataset: { cases, source: 'inline' }, compareDtypes: true });
    if (v.kind !== 'string') throw new Error(`a token-string task verified as ${v.kind}`);
    expect(v.reports.map((r) => [r.dtype, r.mode, r.cases, r.passed])).toEqual([['float32', 'dataset', 3, 2], ['float64', 'dataset', 3, 2]]);
    for (const r of v.reports) expect(r.failures).toEqual([{ input: '"0 1 0 0" (line 2)', expected: '1', got: '0', firstWrong: 0 }]);
    expect(v.ok).toBe(false);
  });

  it('digit-task options are refused by name, in the order the command line checks them', async () => {
    const majority = modelOf(MAJORITY_SOURCE);
    expect(verifyOptionsProblem(majority, ['seed', 'budget'])).toBeUndefined();
    expect(verifyOptionsProblem(majority, ['threads', 'tests'])).toMatch(/^--tests is for digit tasks/);
    await expect(verify(majority, { edge: false })).rejects.toThrow(/^--no-edge is for digit tasks/);
    // `edge: true` is the default, so it is not an option given.
    await expect(verify(majority, { edge: true, budget: 1, samples: 4 })).resolves.toMatchObject({ kind: 'string', ok: true });
  });
});
